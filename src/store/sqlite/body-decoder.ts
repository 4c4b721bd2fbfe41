import zstd from 'zstd-napi/binding.js';
import { MAX_EVENT_BYTES } from '../../domain/limits.js';

/**
 * An event body as the SQLite store keeps it (body-codec.ts): its canonical JSON as TEXT, or one
 * byte naming the compression dictionary followed by a zstd frame of that JSON against it.
 */
export type StoredBody = string | Uint8Array;

/** Bounds a stored body: an event of MAX_EVENT_BYTES with everything Vigil adds is far below it. */
const MAX_STORED_BODY_BYTES = 4 * MAX_EVENT_BYTES;

/** Turns stored bodies back into their canonical JSON, byte for byte. */
export class BodyDecoder {
  private readonly dictionaries = new Map<number, zstd.DDict>();
  private readonly dctx = new zstd.DCtx();
  private output = Buffer.allocUnsafe(64 * 1024);

  /** Makes dictionary `id` available to the bodies that name it. */
  add(id: number, bytes: Uint8Array): void {
    this.dictionaries.set(id, new zstd.DDict(bytes));
  }

  /** The canonical JSON of a stored body. */
  decode(body: StoredBody): string {
    if (typeof body === 'string') return body;
    const id = body[0]!;
    const dictionary = this.dictionaries.get(id);
    if (!dictionary) throw new Error(`stored event body uses compression dictionary ${id}, which this store does not hold`);
    try {
      const frame = body.subarray(1);
      const size = zstd.getFrameContentSize(frame);
      // A stored body is one event (at most MAX_EVENT_BYTES sent, plus what Vigil adds): a frame
      // that claims more, or no size, was not written by Vigil.
      if (size === null || size > MAX_STORED_BODY_BYTES) throw new Error(`content size ${size ?? 'missing'}`);
      if (this.output.length < size) this.output = Buffer.allocUnsafe(size);
      const length = this.dctx.decompressUsingDDict(this.output, frame, dictionary);
      return this.output.toString('utf8', 0, length);
    } catch (error) {
      // A frame that no longer decompresses was altered or damaged on disk; one that still does
      // but was altered is caught by its leaf hash, like altered JSON text.
      throw new Error(`stored event body cannot be decompressed (${(error as Error).message}): the store is damaged`);
    }
  }
}
