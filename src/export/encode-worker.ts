import type { MessagePort } from 'node:worker_threads';
import { ThreadScanner } from '../store/sqlite/thread-scan.js';
import { FORMATS, type ExportFormatName } from './format.js';
import type { PieceReply, PieceRequest, ReadHead } from './encoder-pool.js';

/**
 * Rows encoded into one part. Parts stay under V8's large-object size (~128 KiB), so their text
 * is collected young instead of piling up in the old generation until a full collection.
 */
const PART_ROWS = 200;

const utf8 = new TextEncoder();

/**
 * An export thread's work (src/export/encoder-pool.ts), run on a shared thread
 * (src/threads/thread-host.ts): turns stored bodies into a format's bytes, having read them first
 * when given a page of a scan. Errors go back as messages: a bad row or a failed read fails its
 * export, not the thread. Its connections close with its port.
 */
export function serve(port: MessagePort): void {
  const scanner = new ThreadScanner();
  port.once('close', () => scanner.close());
  port.on('message', ({ id, ...request }: PieceRequest & { id: number }) => {
    try {
      const rows = pieceRows(scanner, request);
      if (rows.head) port.postMessage({ id, head: rows.head } satisfies PieceReply);
      const parts: Uint8Array<ArrayBuffer>[] = [];
      for (let from = 0; from < rows.count; from += PART_ROWS) parts.push(encodePart(request.format, rows.bodies(from, from + PART_ROWS)));
      port.postMessage({ id, parts } satisfies PieceReply, parts.map((part) => part.buffer));
    } catch (error) {
      port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies PieceReply);
    }
  });
}

/** The rows of a piece: for a page of a scan, what its read found (`head`); then their bodies, a slice at a time. */
export interface PieceRows {
  head?: ReadHead;
  count: number;
  bodies(from: number, to: number): string[];
}

/**
 * The rows of a piece: the bodies it was given, or those of its page of a scan, read with
 * `scanner` but not yet decoded — where the page ended is known before its bodies are decoded
 * (zstd, the members put back: most of a read), so that another encoder can read the next page
 * meanwhile: only the reads of one export take turns. Where it runs (a thread, or the event loop:
 * encoder-pool.ts) is the caller's.
 */
export function pieceRows(scanner: ThreadScanner, request: PieceRequest): PieceRows {
  if (request.kind === 'encode') return { count: request.bodies.length, bodies: (from, to) => request.bodies.slice(from, to) };
  const { scan, limit, after, belowSeq } = request;
  const { rows, body } = scanner.page(scan, limit, after);
  const kept = rows.filter(([seq]) => seq < belowSeq);
  const head: ReadHead = { rows: rows.length, kept: kept.length };
  for (const [seq] of kept) {
    head.seqMin = Math.min(head.seqMin ?? seq, seq);
    head.seqMax = Math.max(head.seqMax ?? seq, seq);
  }
  const last = rows.at(-1);
  if (last) head.last = { occurredUs: last[1], seq: last[0] };
  return { head, count: kept.length, bodies: (from, to) => kept.slice(from, to).map(body) };
}

/** `bodies` in `format`, as one part in an ArrayBuffer of its own (never a pooled slab), so that it moves to another thread uncopied. */
export function encodePart(format: ExportFormatName, bodies: readonly string[]): Uint8Array<ArrayBuffer> {
  return utf8.encode(FORMATS[format].encode(bodies));
}
