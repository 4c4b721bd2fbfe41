import type { MessagePort } from 'node:worker_threads';
import { ThreadScanner } from '../store/sqlite/thread-scan.js';
import { FORMATS, type ExportFormatName } from './format.js';
import type { PieceReply, PieceRequest, ReadHead, ReadRequest } from './encoder-pool.js';

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
      const parts = encodePiece(scanner, request, (head) => port.postMessage({ id, head } satisfies PieceReply));
      port.postMessage({ id, parts } satisfies PieceReply, parts.map((part) => part.buffer));
    } catch (error) {
      port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies PieceReply);
    }
  });
}

/** A piece's bytes: its bodies (`pieceBodies`) encoded (`encodeBodies`). Where it runs (a thread, or the event loop: encoder-pool.ts) is the caller's. */
export function encodePiece(scanner: ThreadScanner, request: PieceRequest, sendHead: (head: ReadHead) => void): Uint8Array<ArrayBuffer>[] {
  return encodeBodies(request.format, pieceBodies(scanner, request, sendHead));
}

/** The stored bodies of a piece: those it was given, or those of its page of a scan, read with `scanner`. */
export function pieceBodies(scanner: ThreadScanner, request: PieceRequest, sendHead: (head: ReadHead) => void): readonly string[] {
  return request.kind === 'read' ? read(scanner, request, sendHead) : request.bodies;
}

/**
 * `bodies` in `format`, in parts of PART_ROWS rows, each a fresh ArrayBuffer (never a pooled slab),
 * so that it moves to another thread uncopied.
 */
export function encodeBodies(format: ExportFormatName, bodies: readonly string[]): Uint8Array<ArrayBuffer>[] {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < bodies.length; i += PART_ROWS) parts.push(utf8.encode(FORMATS[format].encode(bodies.slice(i, i + PART_ROWS))));
  return parts;
}

/**
 * The bodies of a page of the scan below the export's snapshot. Its head is sent as soon as the
 * rows are read, before their bodies are decoded, so that another encoder can read the next page
 * meanwhile: only the reads of one export take turns.
 */
function read(scanner: ThreadScanner, { scan, limit, after, belowSeq }: ReadRequest, sendHead: (head: ReadHead) => void): string[] {
  const { rows, body } = scanner.page(scan, limit, after);
  const kept = rows.filter(([seq]) => seq < belowSeq);
  const head: ReadHead = { rows: rows.length, kept: kept.length };
  for (const [seq] of kept) {
    head.seqMin = Math.min(head.seqMin ?? seq, seq);
    head.seqMax = Math.max(head.seqMax ?? seq, seq);
  }
  const last = rows.at(-1);
  if (last) head.last = { occurredUs: last[1], seq: last[0] };
  sendHead(head);
  return kept.map(body);
}
