import { HASH_SIZE } from './hash.js';

/**
 * Readers of the two byte streams a log is verified from (a file or an HTTP body): NDJSON lines
 * and packed 32-byte hashes. Both keep the bytes as they came — a leaf is hashed over the exact
 * bytes of its line — and batch their work per chunk rather than per item.
 */

/** The lines of a byte stream, without their newlines, one array per chunk read. */
export async function* lineBatches(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer[]> {
  let rest: Buffer | null = null;
  for await (const chunk of chunks) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: Buffer[] = [];
    let start = 0;
    let nl = buf.indexOf(0x0a);
    // Only the line that straddles the previous chunk is copied; the others are views.
    if (rest) {
      if (nl < 0) {
        rest = Buffer.concat([rest, buf]);
        continue;
      }
      lines.push(Buffer.concat([rest, buf.subarray(0, nl)]));
      start = nl + 1;
      nl = buf.indexOf(0x0a, start);
    }
    for (; nl >= 0; nl = buf.indexOf(0x0a, start)) {
      lines.push(buf.subarray(start, nl));
      start = nl + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : null;
    if (lines.length > 0) yield lines;
  }
  if (rest) yield [rest];
}

/** Reads 32-byte hashes one at a time from a stream of packed hashes. */
export class HashReader {
  private readonly source: AsyncIterator<Uint8Array>;
  private buf: Buffer = Buffer.alloc(0);
  private offset = 0;
  private ended = false;
  /** Hashes taken so far. */
  taken = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** True when `count` more hashes can be taken without waiting. */
  has(count: number): boolean {
    return this.buf.length - this.offset >= count * HASH_SIZE;
  }

  /** Makes `count` more hashes available to `take`; false when the stream ends first. */
  async ensure(count: number): Promise<boolean> {
    while (!this.has(count) && !this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
      } else {
        this.buf = Buffer.concat([this.buf.subarray(this.offset), next.value]);
        this.offset = 0;
      }
    }
    return this.has(count);
  }

  /** Takes the next hash if it equals `hash` (compared in place, no copy); `ensure` must have made it available. */
  takeIf(hash: Uint8Array): boolean {
    if (this.buf.compare(hash, 0, HASH_SIZE, this.offset, this.offset + HASH_SIZE) !== 0) return false;
    this.offset += HASH_SIZE;
    this.taken++;
    return true;
  }

  /** The next hash; `ensure` must have made it available. */
  take(): Uint8Array {
    const hash = this.buf.subarray(this.offset, this.offset + HASH_SIZE);
    this.offset += HASH_SIZE;
    this.taken++;
    return hash;
  }
}
