import { availableParallelism } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { THREAD_HOSTS, type HostedModule, type ThreadHosts } from '../threads/thread-host.js';
import type { CursorPosition } from '../domain/filter.js';
import { ThreadScanner } from '../store/sqlite/thread-scan.js';
import type { ThreadScan } from '../store/store.js';
import { encodePart, pieceRows } from './encode-worker.js';
import type { ExportFormatName } from './format.js';

/** A piece of an export for a thread: stored bodies to encode, or a page of a scan to read and encode. */
export type PieceRequest = EncodeRequest | ReadRequest;

/** Stored bodies to encode, in order. */
export interface EncodeRequest {
  kind: 'encode';
  format: ExportFormatName;
  bodies: readonly string[];
}

/** A page of a scan, read on the thread's own connection; its rows with `seq` below `belowSeq` are encoded. */
export interface ReadRequest extends ReadPage {
  kind: 'read';
  format: ExportFormatName;
  scan: ThreadScan;
}

/** Which page: at most `limit` rows after `after`, of which those below the export's snapshot are kept. */
export interface ReadPage {
  limit: number;
  after?: CursorPosition;
  belowSeq: number;
}

/** What a read found, sent as soon as it is read so that the next page's read can start. */
export interface ReadHead {
  /** Rows the page read. */
  rows: number;
  /** Where the next page starts: the position of the last row read. */
  last?: CursorPosition;
  /** The rows below the snapshot, which are encoded, and their lowest and highest seq (a job's manifest lists them). */
  kept: number;
  seqMin?: number;
  seqMax?: number;
}

/** A thread's answers to request `id`: a read's head first, then the encoded bytes, or why it failed. */
export type PieceReply = { id: number } & ({ head: ReadHead } | { parts: Uint8Array[] } | { error: string });

/** A read piece: its head when read, its bytes when encoded. */
export interface ReadPiece {
  head: Promise<ReadHead>;
  parts: Promise<Buffer[]>;
}

/**
 * Threads that read and encode exports (src/export/encode-worker.ts). Parsing each stored body
 * and writing its CSV cells is most of an export's CPU, and on SQLite reading and decompressing
 * the rows most of the rest; on the event loop they held ingest and queries back for as long as an
 * export ran, and capped the export at what one core does. Where the store offers a thread scan
 * (`Store.threadScan`: SQLite), a thread reads each page on a connection of its own and encodes
 * it, and only the bytes come back; otherwise (PostgreSQL, whose pool lives on the event loop)
 * the event loop reads and the bodies cross to a thread to be encoded. Bytes come back moved, not
 * copied.
 *
 * A thread's work starts with the first piece it is given and stops after `idleMs` without work
 * (its thread with it, unless the checkpoints share it), so a server that does not export runs
 * none of its own. A thread keeps the process alive only while it has pieces in flight.
 *
 * The event loop encodes too (`LoopEncoder`): when every thread is busy, it takes a piece while
 * the rest of its work leaves it more than half idle. A lone export is limited by its one thread
 * on two cores while the event loop idles ~80% of the time (BENCHMARKS.md, eighteenth round); a
 * second thread would use that core too, but at ~25 MB of memory more than the 200 MB an export
 * may take, where the event loop's heap is there already.
 */
export class EncoderPool {
  private readonly threads: EncoderThread[] = [];
  private readonly loop: LoopEncoder | undefined;

  constructor(
    /**
     * Threads at most: one per core but the event loop's. The first is the shared thread of a
     * SQLite store's WAL checkpoints (src/threads/thread-host.ts); each other costs ~25–30 MB of
     * memory while it runs. On two cores a second one gains an export 15–40% since pages' heads
     * come before their bodies, but a fresh server's peak reached 181–197 MB with it, and one
     * after an ingest burst, ~150 MB before, would pass 200 (BENCHMARKS.md, fifteenth round). A
     * download keeps a piece in flight per encoder (the event loop's included), and one more.
     */
    private readonly threadLimit = Math.max(1, Math.min(4, availableParallelism() - 1)),
    private readonly idleMs = 30_000,
    private readonly hosts: ThreadHosts = THREAD_HOSTS,
    /** The share of the event loop's time its other work took lately (0–1), or false for no encoding on the event loop. */
    loopLoad: (() => number) | false = new LoopLoad().others,
  ) {
    this.loop = loopLoad === false ? undefined : new LoopEncoder(idleMs, loopLoad);
  }

  /** Pieces that can be encoded at once: one per thread, and one on the event loop. */
  get size(): number {
    return this.threadLimit + (this.loop ? 1 : 0);
  }

  /**
   * The bytes of `bodies` in `format`, in parts (in order): one thread's work, so pieces of one
   * export may run in parallel.
   */
  encode(format: ExportFormatName, bodies: readonly string[]): Promise<Buffer[]> {
    return this.pick().run({ kind: 'encode', format, bodies }).parts;
  }

  /** A page of `scan`, read and encoded in `format` by one thread. */
  read(format: ExportFormatName, scan: ThreadScan, page: ReadPage): ReadPiece {
    return this.pick().run({ kind: 'read', format, scan, ...page });
  }

  /** Threads running now. */
  get running(): number {
    return this.threads.length;
  }

  /** Stops every thread, and the event loop's connections; pieces still in flight fail. */
  async close(): Promise<void> {
    this.loop?.close();
    // A copy: each thread leaves the list as it stops.
    await Promise.all([...this.threads].map((thread) => thread.stop()));
  }

  /** An idle thread, a new one while below the limit, the event loop if it has time, else the least busy thread. */
  private pick(): EncoderThread | LoopEncoder {
    const idle = this.threads.find((thread) => thread.busy === 0);
    if (idle) return idle;
    if (this.threads.length < this.threadLimit) {
      // The lowest shared thread this pool does not use yet: the first is the WAL checkpointer's (on SQLite).
      const slot = [...Array(this.threadLimit).keys()].find((n) => !this.threads.some((thread) => thread.slot === n))!;
      const thread = new EncoderThread(this.hosts, slot, this.idleMs, () => this.threads.splice(this.threads.indexOf(thread), 1));
      this.threads.push(thread);
      return thread;
    }
    if (this.loop?.available()) return this.loop;
    return this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
  }
}

/** A piece in flight: what settles its head (reads only) and its bytes. */
interface Pending {
  kind: PieceRequest['kind'];
  head: Deferred<ReadHead>;
  parts: Deferred<Buffer[]>;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  // Marked as handled: an encode's head is never awaited, and a read's failure is reported by its parts.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Why a thread's pieces in flight fail when it stops or is stopped. */
const STOPPED = 'the export encoding thread stopped';

class EncoderThread {
  private readonly module: HostedModule;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private gone = false;

  constructor(
    hosts: ThreadHosts,
    readonly slot: number,
    private readonly idleMs: number,
    private readonly removed: () => void,
  ) {
    this.module = hosts.start(slot, import.meta.url, 'encode-worker', undefined, () => this.fail(new Error(STOPPED)));
    this.module.listen((reply) => this.settle(reply as PieceReply));
  }

  get busy(): number {
    return this.pending.size;
  }

  run(request: PieceRequest): ReadPiece {
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    const pending: Pending = { kind: request.kind, head: deferred(), parts: deferred() };
    // Pieces in flight keep the process alive; an idle thread does not.
    if (this.pending.size === 0) this.module.ref();
    this.pending.set(id, pending);
    this.module.port.postMessage({ id, ...request });
    return { head: pending.head.promise, parts: pending.parts.promise };
  }

  /** Leaves the pool and its shared thread; pieces in flight fail. */
  async stop(): Promise<void> {
    this.fail(new Error(STOPPED));
    await this.module.close();
  }

  private settle(reply: PieceReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if ('head' in reply) return pending.head.resolve(reply.head);
    this.pending.delete(reply.id);
    if ('error' in reply) {
      const error = pieceError(pending.kind, reply.error);
      pending.head.reject(error);
      pending.parts.reject(error);
    } else {
      pending.parts.resolve(reply.parts.map(buffer));
    }
    if (this.pending.size === 0) {
      this.module.unref();
      this.idleTimer = setTimeout(() => void this.stop(), this.idleMs);
      this.idleTimer.unref();
    }
  }

  /** The thread is gone (or broken): its pieces fail and the pool forgets it. */
  private fail(error: Error): void {
    for (const pending of this.pending.values()) {
      pending.head.reject(error);
      pending.parts.reject(error);
    }
    this.pending.clear();
    this.leave();
  }

  /** Out of the pool at once, so that no new piece goes to a thread on its way out. */
  private leave(): void {
    clearTimeout(this.idleTimer);
    if (this.gone) return;
    this.gone = true;
    this.removed();
  }
}

/** Why a piece of `kind` failed. */
function pieceError(kind: PieceRequest['kind'], message: string): Error {
  return new Error(`export ${kind === 'read' ? 'reading' : 'encoding'} failed: ${message}`);
}

/** An encoded part as a Buffer over the same memory. */
function buffer(part: Uint8Array): Buffer {
  return Buffer.from(part.buffer, part.byteOffset, part.byteLength);
}

/** Above this share of the event loop's time taken by its other work, it encodes nothing. */
const LOOP_BUSY = 0.5;
/** Rows the event loop decodes and encodes in one turn: ~1–4 ms, what a request may wait behind it. */
const LOOP_ROWS = 100;

/**
 * Encodes one piece at a time on the event loop, a turn after it is given, on connections of its
 * own (closed after `idleMs` without a piece). Offered a piece only while `othersShare()` — the
 * share of the loop's time its other work (ingest, queries, sending) took lately — is at most
 * LOOP_BUSY, so that an export yields to the rest; a turn of it holds the loop for LOOP_ROWS rows.
 */
export class LoopEncoder {
  private busy = false;
  private scanner: ThreadScanner | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly othersShare: () => number,
  ) {}

  available(): boolean {
    return !this.busy && this.othersShare() <= LOOP_BUSY;
  }

  /**
   * Reads the piece's page (or takes its bodies) in one turn, then decodes and encodes LOOP_ROWS
   * rows a turn: the next page's read, which waits for this one's head, goes to a thread after the
   * first turn, and other requests wait at most one turn.
   */
  run(request: PieceRequest): ReadPiece {
    clearTimeout(this.idleTimer);
    this.busy = true;
    const head = deferred<ReadHead>();
    const parts = deferred<Buffer[]>();
    void this.encode(request, head)
      .then(parts.resolve, (error: unknown) => {
        const failure = pieceError(request.kind, error instanceof Error ? error.message : String(error));
        head.reject(failure);
        parts.reject(failure);
      })
      .finally(() => this.done());
    return { head: head.promise, parts: parts.promise };
  }

  private async encode(request: PieceRequest, head: Deferred<ReadHead>): Promise<Buffer[]> {
    await nextTurn();
    const rows = timed(() => pieceRows((this.scanner ??= new ThreadScanner()), request));
    if (rows.head) head.resolve(rows.head);
    const encoded: Buffer[] = [];
    for (let from = 0; from < rows.count; from += LOOP_ROWS) {
      await nextTurn();
      encoded.push(timed(() => buffer(encodePart(request.format, rows.bodies(from, from + LOOP_ROWS)))));
    }
    return encoded;
  }

  private done(): void {
    this.busy = false;
    this.idleTimer = setTimeout(() => this.close(), this.idleMs);
    this.idleTimer.unref();
  }

  close(): void {
    clearTimeout(this.idleTimer);
    this.scanner?.close();
    this.scanner = undefined;
  }
}

/** The event loop's time spent encoding export pieces, in milliseconds, by every pool of the process. */
const LOOP_ENCODING = { ms: 0 };

/** `work()`, its time counted in LOOP_ENCODING. */
function timed<T>(work: () => T): T {
  const started = performance.now();
  try {
    return work();
  } finally {
    LOOP_ENCODING.ms += performance.now() - started;
  }
}

/**
 * The share of the event loop's time that its work other than encoding exports took over the last
 * quarter second or more (`performance.eventLoopUtilization`, less LOOP_ENCODING), from the first
 * call: none is known before, and what the process did before its first export (starting up,
 * say) is not what it does now.
 */
export class LoopLoad {
  private last: EventLoopUtilization | undefined;
  private encodedMs = 0;
  private share = 0;

  readonly others = (): number => {
    const now = performance.eventLoopUtilization();
    if (this.last) {
      const { active, idle } = performance.eventLoopUtilization(now, this.last);
      if (active + idle < 250) return this.share;
      this.share = Math.max(0, active - (LOOP_ENCODING.ms - this.encodedMs)) / (active + idle);
    }
    this.last = now;
    this.encodedMs = LOOP_ENCODING.ms;
    return this.share;
  };
}

/** The process's export threads, shared by downloads and export jobs. */
export const EXPORT_ENCODERS = new EncoderPool();
