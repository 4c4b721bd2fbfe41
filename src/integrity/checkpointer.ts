import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { CheckpointRecord, Store } from '../store/store.js';
import { checkpointOrigin, DEFAULT_ORIGIN_PREFIX, parseCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { parseNote, verifierOf, type NoteSigner, type NoteVerifier } from './note.js';
import { consistencyProof, type ReadTiles } from './proof-tiles.js';
import { TileTrees } from './tile-trees.js';
import { verifyConsistency } from './verify-proof.js';

/** Where the checkpointer reports (pino and Fastify's logger fit). */
export interface CheckpointLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CheckpointerOptions {
  store: Store;
  /** The checkpoint signing key (`loadSigningKey`). */
  signer: NoteSigner;
  /** Origins are `<prefix>/<tenant>`; default `vigil`. */
  originPrefix?: string;
  /** How often the timer looks for grown trees, and the least time between two signings of one tenant on demand; default 1000 ms. */
  intervalMs?: number;
  /** Absent: alarms go to standard error. */
  logger?: CheckpointLogger;
  /** Longest a sweep holds the event loop before letting other work run; default 5 ms. */
  sliceMs?: number;
  /** Tile trees kept between checks (shared with the proofs served); default, the checkpointer's own. */
  tileTrees?: TileTrees;
}

/**
 * The stored tree does not extend the latest checkpoint: someone rewrote, removed or truncated
 * events or hashes behind Vigil's back. The checkpointer refuses to sign over it.
 */
export class IntegrityAlarm extends Error {
  override readonly name = 'IntegrityAlarm';

  constructor(
    readonly tenant: string,
    message: string,
  ) {
    super(`tenant ${tenant}: ${message}`);
  }
}

/**
 * Signs C2SP checkpoints of each tenant's tree as it grows, off the ingest path: a timer looks
 * every `intervalMs` for trees larger than their latest checkpoint, so a tenant gets at most about
 * one checkpoint a second however fast it ingests. Before signing, it proves from the stored tiles
 * that the new tree extends the latest checkpoint (an RFC 9162 consistency proof, verified against
 * both roots); when that fails it logs an alarm and signs nothing, so a tampered log never gets a
 * signature. Several processes may share one store: checkpoints are keyed by (tenant, size), and
 * each process checks against the latest one whoever signed it.
 */
export class Checkpointer {
  /** The public half of the signing key: what auditors verify checkpoints with. */
  readonly verifier: NoteVerifier;
  private readonly prefix: string;
  private readonly intervalMs: number;
  private readonly sliceMs: number;
  private readonly tileTrees: TileTrees;
  /** Size of the latest checkpoint this process knows of, per tenant (saves a read per tick). */
  private readonly signedSize = new Map<string, number>();
  /** When this process last signed for a tenant (ms), for the on-demand rate limit. */
  private readonly signedAt = new Map<string, number>();
  /** The current alarm of each tenant whose tree failed the check. */
  private readonly alarms = new Map<string, string>();
  /** One signing at a time per tenant: the timer and requests queue behind each other. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(private readonly options: CheckpointerOptions) {
    this.verifier = verifierOf(options.signer);
    this.prefix = options.originPrefix ?? DEFAULT_ORIGIN_PREFIX;
    this.intervalMs = options.intervalMs ?? 1000;
    this.sliceMs = options.sliceMs ?? 5;
    this.tileTrees = options.tileTrees ?? new TileTrees();
  }

  /** The origin line of a tenant's checkpoints. */
  origin(tenant: string): string {
    return checkpointOrigin(tenant, this.prefix);
  }

  /** Starts the timer (it does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  /** The alarm raised for a tenant by the last check, if its tree failed it. */
  alarm(tenant: string): string | undefined {
    return this.alarms.get(tenant);
  }

  /** One pass over every tenant: signs those whose tree grew. Passes never overlap. */
  sweep(): Promise<void> {
    this.sweeping ??= this.signGrown().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /**
   * Signs the tenant's tree now if it grew since the latest checkpoint, and returns the latest
   * checkpoint (null for a tenant without events). Throws IntegrityAlarm when the tree does not
   * extend the latest checkpoint.
   */
  checkpointNow(tenant: string): Promise<CheckpointRecord | null> {
    return this.queued(tenant, () => this.signIfGrown(tenant));
  }

  /**
   * The latest checkpoint if it covers `size` leaves; otherwise one signed for the purpose, but
   * never sooner than `intervalMs` after this process last signed for the tenant (so requests
   * cannot make it sign faster than the timer). Null when the tree is not that large, or when it
   * failed its check (the alarm says why).
   */
  async covering(tenant: string, size: number): Promise<CheckpointRecord | null> {
    const covers = (record: CheckpointRecord | null) => (record && record.size >= size ? record : null);
    const latest = covers(await this.options.store.latestCheckpoint(tenant));
    if (latest) return latest;
    return this.queued(tenant, async () => {
      // Whoever was queued before may have signed one that covers it.
      const signed = covers(await this.options.store.latestCheckpoint(tenant));
      if (signed) return signed;
      const wait = (this.signedAt.get(tenant) ?? -Infinity) + this.intervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        return covers(await this.signIfGrown(tenant));
      } catch (err) {
        if (err instanceof IntegrityAlarm) return null;
        throw err;
      }
    });
  }

  /**
   * Signs every tenant whose tree is larger than its latest checkpoint (or whose last check
   * failed), then stores all the new checkpoints in one transaction: one commit per tick however
   * many tenants grew, rather than one each. It gives the event loop a turn every few
   * milliseconds: the SQLite store answers synchronously, so a sweep of 100 grown tenants otherwise
   * held the loop for 35–50 ms every second, the p99 of single-event ingest (a turn after every
   * tenant made a sweep last 1–2 s under load, each turn waiting behind an append).
   */
  private async signGrown(): Promise<void> {
    const { store, logger } = this.options;
    let sizes: Map<string, number>;
    try {
      // One read for every tenant: a sweep of a store whose trees did not grow costs nothing more.
      sizes = await store.treeSizes();
    } catch (err) {
      logger?.warn({ err }, 'checkpoints: cannot list tenants; trying again at the next tick');
      return;
    }
    const signed: CheckpointRecord[] = [];
    let turnAt = performance.now();
    for (const [tenant, size] of sizes) {
      try {
        const known = this.signedSize.get(tenant) ?? (await store.latestCheckpoint(tenant))?.size ?? 0;
        this.signedSize.set(tenant, known);
        if (size === known && !this.alarms.has(tenant)) continue;
        const { fresh } = await this.queued(tenant, () => this.nextCheckpoint(tenant));
        if (fresh) signed.push(fresh);
      } catch (err) {
        // An alarm was logged when raised; anything else (the store not answering) waits a tick.
        if (!(err instanceof IntegrityAlarm)) logger?.warn({ err, tenant }, 'checkpoints: cannot sign; trying again at the next tick');
      }
      if (performance.now() - turnAt >= this.sliceMs) {
        await nextTurn();
        turnAt = performance.now();
      }
    }
    try {
      await this.saveSigned(signed);
    } catch (err) {
      logger?.warn({ err }, 'checkpoints: cannot store; trying again at the next tick');
    }
  }

  private queued<T>(tenant: string, task: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(tenant) ?? Promise.resolve()).then(task);
    this.queues.set(tenant, run.catch(() => undefined));
    return run;
  }

  /** The check, the signature and storing it; call through `queued`. */
  private async signIfGrown(tenant: string): Promise<CheckpointRecord | null> {
    const { latest, fresh } = await this.nextCheckpoint(tenant);
    if (fresh) await this.saveSigned([fresh]);
    return fresh ?? latest;
  }

  /**
   * The latest stored checkpoint, and a new one signed over the tree now when it grew (not yet
   * stored). Throws IntegrityAlarm when the tree does not extend the latest checkpoint. The head
   * is read after the checkpoint: read before, a checkpoint another server signed in between
   * could be larger than it, and be taken for a truncated log.
   */
  private async nextCheckpoint(tenant: string): Promise<{ latest: CheckpointRecord | null; fresh: CheckpointRecord | null }> {
    const { store, signer } = this.options;
    const latest = await store.latestCheckpoint(tenant);
    const head = await store.treeHead(tenant);
    if (head.size === 0) return { latest: null, fresh: null };
    if (latest) {
      const previous = parseCheckpoint(parseNote(latest.note).text);
      await this.checkExtends(tenant, previous, head);
      if (previous.size === head.size) {
        this.signedSize.set(tenant, head.size);
        return { latest, fresh: null };
      }
    }
    const fresh: CheckpointRecord = {
      tenant,
      size: head.size,
      note: signCheckpoint(signer, this.origin(tenant), head.size, head.root),
      createdAt: new Date().toISOString(),
    };
    return { latest, fresh };
  }

  /** Stores new checkpoints together, then remembers them as this process's latest. */
  private async saveSigned(records: readonly CheckpointRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.options.store.saveCheckpoints(records);
    const now = Date.now();
    for (const { tenant, size } of records) {
      this.signedSize.set(tenant, size);
      this.signedAt.set(tenant, now);
    }
  }

  /**
   * Throws IntegrityAlarm (and logs it, once per distinct alarm) unless the tree of `head.size`
   * leaves with `head.root` extends the checkpointed tree: proved from the stored tiles and
   * verified against both roots, as an auditor would.
   */
  private async checkExtends(tenant: string, previous: Checkpoint, head: { size: number; root: Uint8Array }): Promise<void> {
    const readTiles: ReadTiles = (keys) => this.options.store.readTiles(tenant, keys);
    let problem: string | null = null;
    if (previous.size > head.size) {
      problem = `the tree has ${head.size} leaves but was checkpointed at ${previous.size}: events were removed`;
    } else if (previous.size > 0) {
      try {
        const proof = await consistencyProof(readTiles, previous.size, head.size, this.tileTrees.of(tenant));
        verifyConsistency(previous.size, head.size, proof, previous.root, head.root);
      } catch (err) {
        problem = `the tree of ${head.size} leaves does not extend the checkpoint of ${previous.size} (${(err as Error).message}): events or hashes were changed`;
      }
    }
    if (problem === null) {
      this.alarms.delete(tenant);
      return;
    }
    if (this.alarms.get(tenant) !== problem) {
      this.alarms.set(tenant, problem);
      this.report(tenant, problem);
    }
    throw new IntegrityAlarm(tenant, problem);
  }

  private report(tenant: string, problem: string): void {
    const msg = 'INTEGRITY ALARM: the stored log does not extend its latest signed checkpoint; no checkpoint will be signed for this tenant';
    if (this.options.logger) this.options.logger.error({ tenant, problem }, msg);
    else process.stderr.write(`${msg}: tenant ${tenant}: ${problem}\n`);
  }
}
