import type Database from 'better-sqlite3';
import { VigilError } from '../../domain/errors.js';
import type { PreparedEvent } from '../../domain/event.js';
import { ipKeyHex } from '../../domain/ip.js';
import { sameContent, sameEvent, sealEvent } from '../../domain/seal.js';
import { nowMicros, parseTimeMicros } from '../../domain/time.js';
import { EMPTY_ROOT, hashLeaf } from '../../integrity/hash.js';
import { appendLeaves, type AppendOutcome } from '../../integrity/tiles.js';
import { RollupDeltas } from '../rollups.js';
import type { AppendRequest, AppendResult, AppendedEvent } from '../store.js';
import { CRUD_CODE, LOG_CODE } from './codes.js';
import { TERM, type Dictionary } from './dictionary.js';
import { RollupWriter } from './rollups.js';
import type { TreeCache, TenantTree } from './tree-cache.js';

/** 16 bytes of a UUID string. */
export function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

interface Stored {
  body: string;
  seq: number;
}

/**
 * The write path of the embedded store: one call is one transaction holding the events of many
 * requests (group commit). Owned by SqliteStore, which is the only writer of its file, so the
 * in-memory tree heads are authoritative between calls.
 */
export class Appender {
  private readonly stmt;
  private readonly rollups: RollupWriter;

  /** `integrity: false` skips leaf hashing and tile writes: a benchmark-only switch (SqliteStoreOptions). */
  constructor(
    private readonly db: Database.Database,
    private readonly dict: Dictionary,
    private readonly trees: TreeCache,
    private readonly integrity = true,
  ) {
    this.stmt = {
      byUid: db.prepare<[number, Buffer], Stored>('SELECT body, seq FROM events WHERE tenant_id = ? AND uid = ?'),
      insert: db.prepare(`INSERT INTO events (tenant_id, seq, ts, uid, log, action_id, category_id, crud, actor_id,
        resource_id, source_id, service_id, environment_id, success, status, method_id, ip, request_id, session_id, body)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    };
    this.rollups = new RollupWriter(db);
  }

  /**
   * Sequences and stores every request that does not conflict, in one IMMEDIATE transaction.
   * Durable when it returns (the WAL is synced at commit with synchronous=FULL).
   */
  append(requests: readonly AppendRequest[]): AppendResult[] {
    const batch = new Batch(this.trees, this.integrity);
    let results: AppendResult[];
    try {
      results = this.db.transaction(() => {
        const out = requests.map((request) => this.appendRequest(request, batch));
        batch.extendTrees();
        // Step 2c: the summary rollups of every stored event, one upsert per touched bucket and value.
        this.rollups.write(batch.rollups);
        return out;
      }).immediate();
    } catch (err) {
      // Ids interned by the rolled-back transaction no longer exist.
      this.dict.forget();
      throw err;
    }
    // Step 3: committed — only now do the cached tree heads move forward.
    batch.publishTrees();
    return results;
  }

  /** Step 1 checks the whole request for id reuse; step 2 stores it. Nothing is written on a conflict. */
  private appendRequest(request: AppendRequest, batch: Batch): AppendResult {
    const local = new Map<string, number>();
    const plan: (Stored | number | null)[] = [];
    for (const [i, event] of request.events.entries()) {
      const key = `${event.tenant}\0${event.id}`;
      const earlier = local.get(key);
      const stored = earlier === undefined ? this.storedWithId(event, batch) : undefined;
      const defaulted = request.defaultedTimes?.has(i) ?? false;
      if (earlier !== undefined) {
        if (!sameEvent(request.events[earlier]!, event, defaulted)) return conflict(event, i);
        plan.push(earlier);
      } else if (stored) {
        if (!sameContent(stored.body, event, defaulted)) return conflict(event, i);
        plan.push(stored);
      } else {
        local.set(key, i);
        plan.push(null);
      }
    }
    const appended: AppendedEvent[] = [];
    for (const [i, event] of request.events.entries()) {
      const step = plan[i];
      if (step === null) appended.push({ id: event.id, seq: this.insert(event, batch), duplicate: false });
      else if (typeof step === 'number') appended.push({ id: event.id, seq: appended[step]!.seq, duplicate: true });
      else appended.push({ id: event.id, seq: step!.seq, duplicate: true });
    }
    return { ok: true, events: appended };
  }

  private storedWithId(event: PreparedEvent, batch: Batch): Stored | undefined {
    const pending = batch.stored.get(`${event.tenant}\0${event.id}`);
    if (pending) return pending;
    const tenantId = this.dict.findTenant(event.tenant);
    return tenantId === undefined ? undefined : this.stmt.byUid.get(tenantId, uuidBytes(event.id));
  }

  private insert(event: PreparedEvent, batch: Batch): number {
    const tenantId = this.dict.tenant(event.tenant);
    const tree = batch.tree(tenantId);
    const seq = tree.size + tree.leaves.length;
    const body = sealEvent(event, seq, batch.receivedUs);
    tree.leaves.push(this.integrity ? hashLeaf(body) : EMPTY_ROOT);
    batch.stored.set(`${event.tenant}\0${event.id}`, { body, seq });
    const d = this.dict;
    const ip = event.client?.ip === undefined ? null : ipKeyHex(event.client.ip);
    const ts = parseTimeMicros(event.occurred_at)!;
    const log = LOG_CODE[event.log];
    // In rollups.ts VALUE_DIMS order: action, category, actor, resource, source, service, environment.
    const values = [
      d.term(TERM.action, event.action),
      d.term(TERM.category, event.category),
      d.actor(tenantId, event.actor),
      event.resource ? d.resource(tenantId, event.resource) : null,
      d.optionalTerm(TERM.source, event.source),
      d.optionalTerm(TERM.service, event.service),
      d.optionalTerm(TERM.environment, event.environment),
    ] as const;
    const [action, category, actor, resource, source, service, environment] = values;
    this.stmt.insert.run(
      tenantId,
      seq,
      ts,
      uuidBytes(event.id),
      log,
      action,
      category,
      CRUD_CODE[event.crud],
      actor,
      resource,
      source,
      service,
      environment,
      event.outcome.success ? 1 : 0,
      event.outcome.status ?? null,
      d.optionalTerm(TERM.method, event.request?.method),
      ip === null ? null : Buffer.from(ip, 'hex'),
      event.request?.id ?? null,
      event.session_id ?? null,
      body,
    );
    batch.rollups.add({ tenantId, tsUs: ts, log, success: event.outcome.success, values });
    return seq;
  }
}

function conflict(event: PreparedEvent, index: number): AppendResult {
  return {
    ok: false,
    error: new VigilError(
      'VIGIL_ERR_CONFLICT',
      `events[${index}].id: ${event.id} was already stored with other content`,
      [{ path: `events[${index}].id`, message: 'already stored with other content' }],
    ),
  };
}

/** What one transaction accumulates: new leaves per tenant and the events stored so far. */
class Batch {
  readonly receivedUs = nowMicros();
  readonly stored = new Map<string, Stored>();
  readonly rollups = new RollupDeltas();
  private readonly trees = new Map<number, TenantTree & { leaves: Uint8Array[] }>();
  private readonly extended: [number, TenantTree][] = [];

  constructor(
    private readonly cache: TreeCache,
    private readonly integrity: boolean,
  ) {}

  tree(tenantId: number): TenantTree & { leaves: Uint8Array[] } {
    let tree = this.trees.get(tenantId);
    if (!tree) {
      tree = { ...this.cache.get(tenantId), leaves: [] };
      this.trees.set(tenantId, tree);
    }
    return tree;
  }

  /** Step 2b: the new leaves of every tenant go into its tiles, in the same transaction. */
  extendTrees(): void {
    for (const [tenantId, tree] of this.trees) {
      if (tree.leaves.length === 0) continue;
      const outcome: AppendOutcome = this.integrity
        ? appendLeaves(tree.size, tree.edge, tree.leaves)
        : { size: tree.size + tree.leaves.length, root: EMPTY_ROOT, writes: [], edge: new Map() };
      this.cache.write(tenantId, outcome);
      this.extended.push([tenantId, { size: outcome.size, root: outcome.root, edge: outcome.edge }]);
    }
  }

  publishTrees(): void {
    for (const [tenantId, tree] of this.extended) this.cache.set(tenantId, tree);
  }
}
