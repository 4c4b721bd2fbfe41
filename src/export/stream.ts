import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CursorPosition, EventFilter, Order } from '../domain/filter.js';
import type { EventRow, Store, ThreadScan } from '../store/store.js';
import { EXPORT_ENCODERS, type EncoderPool } from './encoder-pool.js';
import type { ExportFormat, ExportFormatName } from './format.js';

/**
 * Rows one keyset read asks for, and one encoding thread's piece: enough to amortise the query
 * and the hand-over between threads, few enough that a chunk's rows are collected young.
 */
export const READ_CHUNK = 500;

/** Which events an export reads, and from where. */
export interface ReadPlan {
  tenant: string;
  filter: EventFilter;
  order: Order;
  /**
   * Only events with `seq` below this: the tenant's tree size when the export began. Events are
   * append-only, so this makes the exported set fixed even while ingest goes on (and lets a job
   * resume into exactly the same files).
   */
  belowSeq: number;
  /** Resume strictly after this position in `order`. */
  after?: CursorPosition;
  chunk?: number;
}

export function positionOf(row: EventRow): CursorPosition {
  return { occurredUs: row.occurredUs, seq: row.seq };
}

/**
 * The matching events in chunks, read by keyset (never OFFSET), one chunk at a time: a chunk is
 * read only when the consumer asks for the next, so memory stays at one chunk whatever the size,
 * and a consumer that stops (`return()`, or `signal`) stops the reading.
 */
export async function* readChunks(store: Store, plan: ReadPlan, signal?: AbortSignal): AsyncGenerator<EventRow[]> {
  const chunk = plan.chunk ?? READ_CHUNK;
  let after = plan.after;
  for (;;) {
    signal?.throwIfAborted();
    // A turn of the event loop per chunk: the SQLite store answers synchronously, and while the
    // consumer keeps up nothing else would, so every other request would wait for the whole read.
    await nextTurn();
    const rows = await store.scan({ tenant: plan.tenant, filter: plan.filter, order: plan.order, limit: chunk, ...(after ? { after } : {}) });
    const kept = rows.filter((row) => row.seq < plan.belowSeq);
    if (kept.length > 0) yield kept;
    if (rows.length < chunk) return;
    after = positionOf(rows[rows.length - 1]!);
  }
}

/**
 * An export as a byte stream (the format's header, then its lines). It honours back-pressure:
 * the next page is read only when the consumer has taken the previous one, with at most one page
 * per thread being read or encoded meanwhile, in order. Where the store offers a thread scan, the
 * threads read the pages themselves (encoder-pool.ts). Destroying the stream (a client that went
 * away) stops the reading.
 */
export function exportStream(store: Store, plan: ReadPlan, format: ExportFormat, encoders: EncoderPool = EXPORT_ENCODERS): Readable {
  const scan = store.threadScan?.({ tenant: plan.tenant, filter: plan.filter, order: plan.order });
  async function* bytes(): AsyncGenerator<Buffer> {
    const header = format.header();
    if (header) yield Buffer.from(header, 'utf8');
    const encoding: Promise<Buffer[]>[] = [];
    const pieces = scan ? threadPieces(encoders, scan, plan, format.name) : storePieces(store, plan, format.name, encoders);
    for await (const { parts } of pieces) {
      encoding.push(quiet(parts));
      if (encoding.length > encoders.size) yield* await encoding.shift()!;
    }
    for (const piece of encoding) yield* await piece;
  }
  return Readable.from(bytes(), { objectMode: false });
}

/** A piece of an export on its way: its bytes once a thread has encoded them (wrapped, as an async generator awaits what it yields). */
interface Piece {
  parts: Promise<Buffer[]>;
}

/** Pages read here, encoded on the threads. */
async function* storePieces(store: Store, plan: ReadPlan, format: ExportFormatName, encoders: EncoderPool): AsyncGenerator<Piece> {
  for await (const rows of readChunks(store, plan)) yield { parts: encoders.encode(format, bodiesOf(rows)) };
}

/** Pages read and encoded on the threads: each page's read starts once the previous one's has told where it ended. */
async function* threadPieces(encoders: EncoderPool, scan: ThreadScan, plan: ReadPlan, format: ExportFormatName): AsyncGenerator<Piece> {
  const limit = plan.chunk ?? READ_CHUNK;
  let after = plan.after;
  for (;;) {
    const { head, parts } = encoders.read(format, scan, { limit, belowSeq: plan.belowSeq, ...(after ? { after } : {}) });
    yield { parts };
    // A failed read stops here; its parts report the error in its turn, after the pieces before it.
    const read = await head.catch(() => undefined);
    if (!read || read.rows < limit) return;
    after = read.last;
  }
}

/** The stored bodies of rows: all the encoders read. */
export function bodiesOf(rows: readonly EventRow[]): string[] {
  return rows.map((row) => row.body);
}

/**
 * `promise`, marked as handled: a piece that fails while earlier ones are still being sent is
 * reported when its turn comes (or not at all if the consumer left), never as an unhandled rejection.
 */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
