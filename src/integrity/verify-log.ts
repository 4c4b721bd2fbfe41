import { HashReader, lineBatches } from './byte-stream.js';
import type { Checkpoint } from './checkpoint.js';
import { CompactRange } from './compact-range.js';
import { hashLeaf } from './hash.js';

/**
 * Verification of a whole tenant log against a signed checkpoint, the engine of `vigil verify`
 * (online and offline alike). It streams the stored events in seq order, recomputes each leaf from
 * the event's bytes and the tree's root with a compact range, in constant memory.
 *
 * With Vigil's leaf hashes beside the events (from its tiles), it also names the first event that
 * does not match and stands in for events no longer stored (purged). Those hashes are trusted
 * only because the root they make is the signed one: each stored event must then hash to its
 * leaf, so the events are exactly the signed tree's. Without them, the events alone must make the
 * signed root.
 */

export interface VerifyLogInput {
  /** The checkpoint to verify against; its signature and origin already checked. */
  checkpoint: Checkpoint;
  /** The tenant the checkpoint is for: every event must belong to it. */
  tenant: string;
  /** The stored events as NDJSON bytes, in seq order, each line byte for byte as hashed. */
  events: AsyncIterable<Uint8Array>;
  /** Vigil's leaf hashes of seq 0 … size − 1, 32 bytes each. */
  leafHashes?: AsyncIterable<Uint8Array>;
  /** A checkpoint verified before (size and root), which this one must extend. */
  saved?: { size: number; root: Uint8Array };
}

/** Something that does not match, at a seq when it has one. */
export interface Problem {
  seq: number | null;
  message: string;
}

export interface VerifyLogReport {
  ok: boolean;
  /** Problems found, the first (lowest seq) first; empty when ok. */
  problems: Problem[];
  /** Events whose leaf was recomputed from their bytes. */
  recomputed: number;
  /** Ranges [from, to) of seqs not stored, whose leaves came from Vigil's leaf hashes. */
  gaps: [number, number][];
  /** Number of leaves in `gaps`. */
  fromTiles: number;
  /** Retention purges recorded in the log (`vigil.retention.purged` events). */
  purges: { events: number; count: number; belowSeq: number };
}

const SEQ_KEY = Buffer.from(',"seq":');
const PURGE_PREFIX = Buffer.from('{"action":"vigil.retention.purged"');
/** Hashes asked of the stream at a time while filling a gap. */
const FILL_BATCH = 4096;

/** Stops the scan: the events can no longer be placed in the tree. */
class Stop extends Error {}

/** Verifies the log; never throws for what it finds (that is in the report), only for I/O failures. */
export async function verifyLog(input: VerifyLogInput): Promise<VerifyLogReport> {
  return new LogScan(input).run();
}

class LogScan {
  private readonly size: number;
  private readonly reference: HashReader | null;
  private readonly range = new CompactRange();
  private readonly tenantSuffix: Buffer;
  private readonly problems: Problem[] = [];
  private readonly gaps: [number, number][] = [];
  private readonly purges = { events: 0, count: 0, belowSeq: 0 };
  private next = 0;
  private lines = 0;
  private recomputed = 0;
  /** Without leaf hashes, a gap makes the root impossible to compute. */
  private rootKnown = true;
  private savedRoot: Uint8Array | null = null;

  constructor(private readonly input: VerifyLogInput) {
    this.size = input.checkpoint.size;
    this.reference = input.leafHashes ? new HashReader(input.leafHashes) : null;
    this.tenantSuffix = Buffer.from(`,"tenant":${JSON.stringify(input.tenant)}}`);
  }

  async run(): Promise<VerifyLogReport> {
    this.snapshot();
    let stopped = false;
    try {
      for await (const lines of lineBatches(this.input.events)) {
        for (const line of lines) {
          // Where it goes, its leaf, its tenant; awaiting only to fill a gap or read more hashes.
          const seq = this.place(line);
          if (seq > this.next) await this.gap(seq);
          if (this.reference && !this.reference.has(1)) await this.ensureHashes(1);
          this.check(seq, line);
        }
      }
      if (this.next < this.size) await this.gap(this.size);
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
      stopped = true;
    }
    this.judgeGaps();
    if (!stopped) this.judgeRoots();
    this.problems.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity));
    const fromTiles = this.reference ? this.gaps.reduce((n, [from, to]) => n + to - from, 0) : 0;
    return { ok: this.problems.length === 0, problems: this.problems, recomputed: this.recomputed, gaps: this.gaps, fromTiles, purges: this.purges };
  }

  /** The event's seq, if it can go next (or after a gap); stops the scan otherwise. */
  private place(line: Buffer): number {
    this.lines++;
    const seq = seqOf(line);
    if (seq === null) this.stop(this.next, `line ${this.lines} is not a Vigil event (no seq)`);
    if (seq >= this.size) this.stop(seq, `${describe(seq, line)}: beyond the checkpoint, which has ${this.size} events`);
    if (seq < this.next) {
      const what = seq === this.next - 1 ? 'appears twice' : `comes after seq ${this.next - 1}`;
      // The gap it left behind is an ordering problem, not a missing event.
      this.gaps.splice(0, this.gaps.length, ...this.gaps.filter(([from, to]) => seq < from || seq >= to));
      this.stop(seq, `events out of order at seq ${seq}: ${describe(seq, line)} ${what}`);
    }
    return seq;
  }

  /** The event's leaf against the signed one (or into the root), its tenant, and a purge it records. */
  private check(seq: number, line: Buffer): void {
    const leaf = hashLeaf(line);
    this.recomputed++;
    if (this.reference) {
      if (this.reference.takeIf(leaf)) {
        this.append(leaf);
      } else {
        this.problems.push({ seq, message: `${describe(seq, line)}: leaf does not match the signed tree` });
        this.append(this.reference.take());
      }
    } else if (this.rootKnown) {
      this.append(leaf);
    }
    this.checkTenant(seq, line);
    if (startsWith(line, PURGE_PREFIX)) this.countPurge(line);
    this.next = seq + 1;
  }

  /** Seqs next … to − 1 are not stored: their leaves come from Vigil's leaf hashes, if given. */
  private async gap(to: number): Promise<void> {
    this.gaps.push([this.next, to]);
    if (!this.reference) {
      this.rootKnown = false;
    } else {
      while (this.range.size < to) {
        await this.ensureHashes(Math.min(FILL_BATCH, to - this.range.size));
        for (let n = Math.min(FILL_BATCH, to - this.range.size); n > 0; n--) this.append(this.reference.take());
      }
    }
    this.next = to;
  }

  private async ensureHashes(count: number): Promise<void> {
    if (!(await this.reference!.ensure(count))) {
      this.stop(null, `Vigil's leaf hashes end after seq ${this.reference!.taken - 1}, short of the checkpoint's ${this.size} events`);
    }
  }

  private append(leaf: Uint8Array): void {
    this.range.append(leaf);
    this.snapshot();
  }

  /** Keeps the root of the first `saved.size` leaves, to compare with the saved checkpoint. */
  private snapshot(): void {
    if (this.input.saved && this.range.size === this.input.saved.size) this.savedRoot = this.range.root();
  }

  private checkTenant(seq: number, line: Buffer): void {
    if (endsWith(line, this.tenantSuffix)) return;
    const tenant = parseEvent(line)?.tenant;
    if (tenant !== this.input.tenant) {
      this.problems.push({ seq, message: `${describe(seq, line)}: belongs to tenant ${JSON.stringify(tenant)}, not ${JSON.stringify(this.input.tenant)}` });
    }
  }

  /** A `vigil.retention.purged` event: Vigil's record of a purge (how many, below which seq). */
  private countPurge(line: Buffer): void {
    const context = parseEvent(line)?.context;
    if (typeof context?.count !== 'number' || typeof context.below_seq !== 'number') return;
    this.purges.events++;
    this.purges.count += context.count;
    this.purges.belowSeq = Math.max(this.purges.belowSeq, context.below_seq);
  }

  /**
   * Gaps are purged events when Vigil's leaf hashes stand in for them and the log accounts for
   * them: events before the first stored one (the oldest are purged first), or events below a
   * recorded purge's `below_seq`, no more than the recorded purges deleted. Any other gap is a
   * missing event.
   */
  private judgeGaps(): void {
    const missing = this.gaps.reduce((n, [from, to]) => n + to - from, 0);
    const accounted = missing <= this.purges.count;
    this.gaps.forEach(([from, to], i) => {
      const purged = this.reference !== null && ((i === 0 && from === 0) || (accounted && to <= this.purges.belowSeq));
      if (!purged) this.problems.push({ seq: from, message: `seq ${from} missing${to - from > 1 ? ` (and the ${to - from - 1} after it)` : ''}` });
    });
  }

  private judgeRoots(): void {
    const { checkpoint, saved } = this.input;
    if (this.rootKnown && !same(this.range.root(), checkpoint.root)) {
      this.problems.push({
        seq: null,
        message: this.reference
          ? "Vigil's leaf hashes do not make the signed root: the tree it stores was altered"
          : 'the events do not make the signed root: an event was changed, added or moved (verify against a running Vigil, or a bundle with leaf-hashes.bin, to name it)',
      });
    }
    if (saved && saved.size > this.size) {
      this.problems.push({ seq: null, message: `the checkpoint has ${this.size} events, fewer than the ${saved.size} of the checkpoint saved before: the log was truncated or rewritten` });
    } else if (saved && this.savedRoot && !same(this.savedRoot, saved.root)) {
      this.problems.push({ seq: null, message: `the log does not extend the checkpoint saved before (size ${saved.size}): it was rewritten` });
    }
  }

  private stop(seq: number | null, message: string): never {
    this.problems.push({ seq, message });
    throw new Stop(message);
  }
}

/**
 * The top-level `seq` of a canonical event: the last `,"seq":` in it, since in RFC 8785 key order
 * only string fields follow it (and a string cannot hold an unescaped quote). A line that is not
 * canonical is parsed. Where an event is placed never decides whether it verifies — its leaf
 * must still be the signed one at that place — so a misleading line only changes the message.
 */
function seqOf(line: Buffer): number | null {
  const at = line.lastIndexOf(SEQ_KEY);
  if (at >= 0) {
    let seq = 0;
    let i = at + SEQ_KEY.length;
    for (; i < line.length && line[i]! >= 0x30 && line[i]! <= 0x39 && i - at < SEQ_KEY.length + 16; i++) seq = seq * 10 + line[i]! - 0x30;
    if (i > at + SEQ_KEY.length && (line[i] === 0x2c || line[i] === 0x7d) && Number.isSafeInteger(seq)) return seq;
  }
  const seq = parseEvent(line)?.seq;
  return Number.isSafeInteger(seq) && (seq as number) >= 0 ? (seq as number) : null;
}

interface EventFields {
  seq?: unknown;
  id?: unknown;
  tenant?: unknown;
  context?: Record<string, unknown>;
}

function parseEvent(line: Buffer): EventFields | null {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as EventFields) : null;
  } catch {
    return null;
  }
}

/** `seq 41 (id …)`, for messages. */
function describe(seq: number, line: Buffer): string {
  const id = parseEvent(line)?.id;
  return `seq ${seq} (id ${typeof id === 'string' ? id : 'unreadable'})`;
}

// Compared in place: these run for every event, and a view per call is garbage.
function startsWith(line: Buffer, prefix: Buffer): boolean {
  return line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function endsWith(line: Buffer, suffix: Buffer): boolean {
  return line.length >= suffix.length && line.compare(suffix, 0, suffix.length, line.length - suffix.length) === 0;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
