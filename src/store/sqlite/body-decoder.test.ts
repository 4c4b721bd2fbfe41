import { describe, expect, it } from 'vitest';
import zstd from 'zstd-napi/binding.js';
import { BodyDecoder } from './body-decoder.js';
import type { PreparedEvent } from '../../domain/event.js';
import { presealEvent, sealEvent } from '../../domain/seal.js';
import { withoutMembers, type BodyColumns } from './body-members.js';
import { uuidBytes } from './uuids.js';

const dictionary = Buffer.from('{"action":"secret.read","category":"secrets","crud":"read","log":"audit"}');
const ID = '01a24c50-f1f7-7958-bb6e-d476b5bcffe6';
const event = { action: 'secret.read', actor: { id: 'u_1', type: 'user' }, category: 'secrets', crud: 'read', id: ID, log: 'audit' } as unknown as PreparedEvent;
const columns: BodyColumns = { uidHex: uuidBytes(ID).toString('hex'), ts: 0, seq: 7, sessionId: null, requestId: null, receivedLagUs: 5 };
const body = sealEvent(event, 7, 5);

/** A stored body as the SQLite store writes it: the dictionary's id, then the zstd frame (format 2: of the JSON without its columns' members, without the magic number). */
function stored(json: string, id = 1, format = 1): Buffer {
  const frame = Buffer.alloc(zstd.compressBound(json.length));
  const text = format === 1 ? json : withoutMembers(presealEvent(JSON.parse(json) as PreparedEvent), columns);
  const size = new zstd.CCtx().compressUsingDict(frame, Buffer.from(text), dictionary, 3);
  return Buffer.concat([Buffer.from([id]), frame.subarray(format === 1 ? 0 : 4, size)]);
}

describe('BodyDecoder', () => {
  it('gives back the exact JSON of a compressed body in either format, and JSON text as it is', () => {
    const decoder = new BodyDecoder();
    decoder.add(1, dictionary, 1);
    decoder.add(2, dictionary, 2);
    expect(decoder.decode(stored(body), columns)).toBe(body);
    expect(stored(body, 2, 2).length).toBeLessThan(stored(body).length - 20);
    expect(decoder.decode(stored(body, 2, 2), columns)).toBe(body);
    expect(decoder.decode(body, columns)).toBe(body);
  });

  it('rebuilds format 2 from the columns given: other columns, other JSON', () => {
    const decoder = new BodyDecoder();
    decoder.add(2, dictionary, 2);
    expect(decoder.decode(stored(body, 2, 2), { ...columns, seq: 8 })).toBe(sealEvent(event, 8, 5));
  });

  it('refuses a body whose dictionary it was not given, naming it', () => {
    const decoder = new BodyDecoder();
    decoder.add(1, dictionary, 1);
    expect(() => decoder.decode(stored(body, 2), columns)).toThrow('stored event body uses compression dictionary 2, which this store does not hold');
    expect(() => new BodyDecoder().decode(stored(body), columns)).toThrow(/compression dictionary 1/);
  });

  it('says the store is damaged for a frame that does not decompress or claims an impossible size', () => {
    const decoder = new BodyDecoder();
    decoder.add(1, dictionary, 1);
    decoder.add(2, dictionary, 2);
    const broken = stored(body);
    broken[2] = broken[2]! ^ 0xff;
    expect(() => decoder.decode(broken, columns)).toThrow(/^stored event body cannot be decompressed \(.+\): the store is damaged$/);
    // A frame header claiming 33 MB of content (a 4-byte content size field, 0x01ff0000).
    const huge = Buffer.concat([Buffer.from([1]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x80, 0, 0, 0, 0xff, 0x01, 0, 0])]);
    expect(() => decoder.decode(huge, columns)).toThrow(/cannot be decompressed \(content size \d+\): the store is damaged/);
    // Format 2 with its magic number: the frame no longer starts where zstd expects it.
    expect(() => decoder.decode(stored(body, 2), columns)).toThrow(/cannot be decompressed .*: the store is damaged/);
  });
});
