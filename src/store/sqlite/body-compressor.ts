import zstd from 'zstd-napi/binding.js';
import { ZSTD_MAGIC } from './body-decoder.js';
import { withoutMembers, type SearchedColumns } from './body-members.js';

/** zstd level for bodies: 3 compresses a few percent better than 1 for ~1 µs more per event. */
const LEVEL = 3;

/** A dictionary bodies are compressed against: its id (the stored body's first byte) and zstd's prepared form. */
export interface CompressionDictionary {
  id: number;
  cdict: zstd.CDict;
}

/** `bytes` prepared for compressing bodies as dictionary `id`. */
export function compressionDictionary(id: number, bytes: Uint8Array): CompressionDictionary {
  return { id, cdict: new zstd.CDict(bytes, LEVEL) };
}

/**
 * Compresses event bodies as the SQLite store keeps them (body-decoder.ts), into scratch buffers
 * of its own: on the event loop (body-codec.ts) and on the ingest thread, which compresses a
 * large request's bodies before the event loop sequences them (src/ingest/check-worker.ts).
 */
export class BodyCompressor {
  private readonly cctx = new zstd.CCtx();
  private input = Buffer.allocUnsafe(64 * 1024);
  private output = Buffer.allocUnsafe(zstd.compressBound(64 * 1024) + 1);

  /**
   * The format-2 form of a presealed body (`presealEvent`) kept in a row holding `columns`: without
   * the members the columns hold, compressed against `dictionary`, its id in place of the frame's
   * magic number. In the scratch buffer, which the next call reuses: copy or bind it at once.
   */
  stored(presealed: string, columns: SearchedColumns, dictionary: CompressionDictionary): Buffer {
    const frame = this.frame(withoutMembers(presealed, columns), dictionary);
    frame[ZSTD_MAGIC.length] = frame[0]!;
    return frame.subarray(ZSTD_MAGIC.length);
  }

  /** `text` as a format-1 body: the dictionary's id, then a zstd frame against it. In the scratch buffer (see `stored`). */
  frame(text: string, { id, cdict }: CompressionDictionary): Buffer {
    const maxBytes = text.length * 3;
    if (this.input.length < maxBytes) this.input = Buffer.allocUnsafe(maxBytes);
    const length = this.input.write(text, 0);
    const bound = zstd.compressBound(length) + 1;
    if (this.output.length < bound) this.output = Buffer.allocUnsafe(bound);
    this.output[0] = id;
    const size = this.cctx.compressUsingCDict(this.output.subarray(1), this.input.subarray(0, length), cdict);
    return this.output.subarray(0, size + 1);
  }
}
