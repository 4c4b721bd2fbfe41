import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CursorPosition, EventFilter, Order } from '../domain/filter.js';
import type { EventRow, Store } from '../store/store.js';
import { EXPORT_ENCODERS, type EncoderPool } from './encoder-pool.js';
import type { ExportFormat } from './format.js';

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
 * the next chunk is read from the store only when the consumer has taken the previous one, with
 * at most one chunk per encoding thread being encoded meanwhile, in order. Destroying the stream
 * (a client that went away) stops the reading.
 */
export function exportStream(store: Store, plan: ReadPlan, format: ExportFormat, encoders: EncoderPool = EXPORT_ENCODERS): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    const header = format.header();
    if (header) yield Buffer.from(header, 'utf8');
    const encoding: Promise<Buffer[]>[] = [];
    for await (const rows of readChunks(store, plan)) {
      encoding.push(quiet(encoders.encode(format.name, bodiesOf(rows))));
      if (encoding.length > encoders.size) yield* await encoding.shift()!;
    }
    for (const piece of encoding) yield* await piece;
  }
  return Readable.from(bytes(), { objectMode: false });
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
