import { describe, expect, it } from 'vitest';
import zstd from 'zstd-napi/binding.js';
import { BodyDecoder } from './body-decoder.js';

const dictionary = Buffer.from('{"action":"secret.read","category":"secrets","crud":"read","log":"audit"}');
const body = '{"action":"secret.read","actor":{"id":"u_1","type":"user"},"category":"secrets","crud":"read","log":"audit","seq":7}';

/** A stored body as the SQLite store writes it: the dictionary's id, then the zstd frame. */
function stored(json: string, id = 1): Buffer {
  const frame = Buffer.alloc(zstd.compressBound(json.length));
  const size = new zstd.CCtx().compressUsingDict(frame, Buffer.from(json), dictionary, 3);
  return Buffer.concat([Buffer.from([id]), frame.subarray(0, size)]);
}

describe('BodyDecoder', () => {
  it('gives back the exact JSON of a compressed body, and JSON text as it is', () => {
    const decoder = new BodyDecoder();
    decoder.add(1, dictionary);
    expect(decoder.decode(stored(body))).toBe(body);
    expect(decoder.decode(body)).toBe(body);
  });

  it('refuses a body whose dictionary it was not given, naming it', () => {
    const decoder = new BodyDecoder();
    decoder.add(1, dictionary);
    expect(() => decoder.decode(stored(body, 2))).toThrow('stored event body uses compression dictionary 2, which this store does not hold');
    expect(() => new BodyDecoder().decode(stored(body))).toThrow(/compression dictionary 1/);
  });

  it('says the store is damaged for a frame that does not decompress or claims an impossible size', () => {
    const decoder = new BodyDecoder();
    decoder.add(1, dictionary);
    const broken = stored(body);
    broken[2] = broken[2]! ^ 0xff;
    expect(() => decoder.decode(broken)).toThrow(/^stored event body cannot be decompressed \(.+\): the store is damaged$/);
    // A frame header claiming 33 MB of content (a 4-byte content size field, 0x01ff0000).
    const huge = Buffer.concat([Buffer.from([1]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x80, 0, 0, 0, 0xff, 0x01, 0, 0])]);
    expect(() => decoder.decode(huge)).toThrow(/cannot be decompressed \(content size \d+\): the store is damaged/);
  });
});
