import { parentPort } from 'node:worker_threads';
import { FORMATS } from './format.js';
import type { EncodeReply, EncodeRequest } from './encoder-pool.js';

/**
 * Rows encoded into one part. Parts stay under V8's large-object size (~128 KiB), so their text
 * is collected young instead of piling up in the old generation until a full collection.
 */
const PART_ROWS = 200;

/**
 * An export encoding thread (src/export/encoder-pool.ts): turns stored bodies into a format's
 * bytes. Errors go back as messages: a bad row fails its export, not the thread.
 */
const port = parentPort!;
const utf8 = new TextEncoder();

port.on('message', ({ id, format, bodies }: EncodeRequest) => {
  try {
    const parts: Uint8Array<ArrayBuffer>[] = [];
    // Each part a fresh ArrayBuffer (never a pooled slab), so it moves to the main thread uncopied.
    for (let i = 0; i < bodies.length; i += PART_ROWS) parts.push(utf8.encode(FORMATS[format].encode(bodies.slice(i, i + PART_ROWS))));
    port.postMessage({ id, parts } satisfies EncodeReply, parts.map((part) => part.buffer));
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies EncodeReply);
  }
});
