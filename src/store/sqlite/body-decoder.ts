import zstd from 'zstd-napi/binding.js';
import { MAX_EVENT_BYTES } from '../../domain/limits.js';
import { withMembers, type BodyColumns } from './body-members.js';

/**
 * An event body as the SQLite store keeps it (body-codec.ts): its canonical JSON as TEXT, or one
 * byte naming the compression dictionary followed by a zstd frame against it. The dictionary's
 * format says what the frame holds: 1 (migration 9), a whole frame of the canonical JSON; 2
 * (migration 11), a frame without zstd's 4-byte magic number, of the JSON without the members
 * its row's columns hold (body-members.ts).
 */
export type StoredBody = string | Uint8Array;

export type BodyFormat = 1 | 2;

/** Bounds a stored body: an event of MAX_EVENT_BYTES with everything Vigil adds is far below it. */
const MAX_STORED_BODY_BYTES = 4 * MAX_EVENT_BYTES;

/** The first four bytes of every zstd frame, which format 2 leaves out. */
export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** Turns stored bodies back into their canonical JSON, byte for byte. */
export class BodyDecoder {
  private readonly dictionaries = new Map<number, { ddict: zstd.DDict; format: BodyFormat }>();
  private readonly dctx = new zstd.DCtx();
  private output = Buffer.allocUnsafe(64 * 1024);
  /** A format-2 frame with its magic number put back, which zstd needs. */
  private frame = Buffer.concat([ZSTD_MAGIC, Buffer.alloc(4 * 1024)]);

  /** Makes dictionary `id` available to the bodies that name it. */
  add(id: number, bytes: Uint8Array, format: BodyFormat): void {
    this.dictionaries.set(id, { ddict: new zstd.DDict(bytes), format });
  }

  /** The canonical JSON of a stored body, whose row holds `columns`. */
  decode(body: StoredBody, columns: BodyColumns): string {
    if (typeof body === 'string') return body;
    const id = body[0]!;
    const dictionary = this.dictionaries.get(id);
    if (!dictionary) throw new Error(`stored event body uses compression dictionary ${id}, which this store does not hold`);
    try {
      const frame = dictionary.format === 1 ? body.subarray(1) : this.withMagic(body);
      const size = zstd.getFrameContentSize(frame);
      // A stored body is one event (at most MAX_EVENT_BYTES sent, plus what Vigil adds): a frame
      // that claims more, or no size, was not written by Vigil.
      if (size === null || size > MAX_STORED_BODY_BYTES) throw new Error(`content size ${size ?? 'missing'}`);
      if (this.output.length < size) this.output = Buffer.allocUnsafe(size);
      const length = this.dctx.decompressUsingDDict(this.output, frame, dictionary.ddict);
      const text = this.output.toString('utf8', 0, length);
      return dictionary.format === 1 ? text : withMembers(text, columns);
    } catch (error) {
      // A frame that no longer decompresses was altered or damaged on disk; one that still does
      // but was altered is caught by its leaf hash, like altered JSON text.
      throw new Error(`stored event body cannot be decompressed (${(error as Error).message}): the store is damaged`);
    }
  }

  private withMagic(body: Uint8Array): Buffer {
    const length = ZSTD_MAGIC.length + body.length - 1;
    if (this.frame.length < length) this.frame = Buffer.concat([ZSTD_MAGIC, Buffer.alloc(2 * length)]);
    this.frame.set(body.subarray(1), ZSTD_MAGIC.length);
    return this.frame.subarray(0, length);
  }
}
