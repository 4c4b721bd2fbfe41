import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvLines } from '../src/export/csv.js';
import { EncoderPool } from '../src/export/encoder-pool.js';
import { FORMATS } from '../src/export/format.js';
import { jsonlLines } from '../src/export/jsonl.js';
import { exportStream } from '../src/export/stream.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { EventQuery } from '../src/domain/filter.js';
import type { Store } from '../src/store/store.js';
import { MINUTE, T0, preparedEvent } from './support/events.js';

/** Stored bodies with values that need quoting, formula escaping and more than one part per piece. */
function bodies(n: number): string[] {
  return Array.from({ length: n }, (_, seq) =>
    JSON.stringify({
      ...preparedEvent({ atUs: T0 + seq * MINUTE, outcome: { success: seq % 3 !== 0, status: 403, reason: seq % 2 ? '=cmd, "quoted"\r\nnext' : 'ünï 日本' } }),
      seq,
    }),
  );
}

async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

describe('export encoding threads', () => {
  it('encode exactly what the formats write on the calling thread, in parts under the large-object size', async () => {
    const pool = new EncoderPool(2);
    try {
      const input = bodies(450);
      const csv = await pool.encode('csv', input);
      expect(csv.length).toBe(3);
      expect(Math.max(...csv.map((part) => part.length))).toBeLessThan(128 * 1024);
      expect(Buffer.concat(csv).toString('utf8')).toBe(csvLines(input));
      expect(Buffer.concat(await pool.encode('jsonl', input)).toString('utf8')).toBe(jsonlLines(input));
      expect(await pool.encode('csv', [])).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('fail a piece with a bad row, with a message that says so, and keep working', async () => {
    const pool = new EncoderPool(1);
    try {
      await expect(pool.encode('csv', [...bodies(3), '{"not json'])).rejects.toThrow(/^export encoding failed: .*JSON/);
      expect(pool.running).toBe(1);
      const input = bodies(2);
      expect(Buffer.concat(await pool.encode('csv', input)).toString('utf8')).toBe(csvLines(input));
    } finally {
      await pool.close();
    }
  });

  it('start on demand, spread pieces over at most `size` threads, and stop when idle', async () => {
    const pool = new EncoderPool(2, 100);
    expect(pool.running).toBe(0);
    const input = bodies(300);
    const pieces = await Promise.all(Array.from({ length: 6 }, () => pool.encode('csv', input)));
    expect(pool.running).toBe(2);
    for (const piece of pieces) expect(Buffer.concat(piece).toString('utf8')).toBe(csvLines(input));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pool.running).toBe(0);
    expect(Buffer.concat(await pool.encode('jsonl', ['{}'])).toString('utf8')).toBe('{}\n');
    expect(pool.running).toBe(1);
    await pool.close();
    expect(pool.running).toBe(0);
  });

  it('fail the pieces in flight when a thread stops', async () => {
    const pool = new EncoderPool(1);
    const piece = pool.encode('csv', bodies(20_000));
    await pool.close();
    await expect(piece).rejects.toThrow(/export encoding thread stopped/);
  });

  describe('an export stream', () => {
    let store: SqliteStore;
    const T = 'threads';
    const everything = { tenant: T, filter: {}, order: 'asc' as const, belowSeq: 1_000_000, chunk: 7 };

    beforeAll(async () => {
      // Bodies compressed from the 101st event on (the first 100 are JSON text): the export reads both.
      store = new SqliteStore({ path: ':memory:', bodyDictionaryAfter: 40 });
      await store.open();
      const events = (from: number) =>
        Array.from({ length: 100 }, (_, i) => preparedEvent({ tenant: T, atUs: T0 + (from + i) * MINUTE, session_id: `=s${from + i}` }));
      for (const from of [0, 100]) {
        const [result] = await store.append([{ events: events(from) }]);
        expect(result!.ok).toBe(true);
      }
    });
    afterAll(() => store.close());

    it('keeps the rows in order while several threads encode its chunks', async () => {
      const pool = new EncoderPool(3);
      try {
        const expected = csvLines((await store.readBySeq(T, 0, 1000, 1000)).map((row) => row.body));
        expect(await collect(exportStream(store, everything, FORMATS.csv, pool))).toBe(FORMATS.csv.header() + expected);
        expect(pool.running).toBeGreaterThan(1);
      } finally {
        await pool.close();
      }
    });

    it('ends with the encoding error when a row cannot be encoded, having sent only rows before it, in order', async () => {
      const pool = new EncoderPool(2);
      const broken: Store = Object.create(store, {
        scan: {
          value: async (q: EventQuery) => {
            const rows = await store.scan(q);
            return rows.map((row) => (row.seq === 30 ? { ...row, body: '{"truncated' } : row));
          },
        },
      }) as Store;
      try {
        let text = '';
        const failure = await (async () => {
          for await (const chunk of exportStream(broken, everything, FORMATS.csv, pool)) text += (chunk as Buffer).toString('utf8');
        })().then(
          () => null,
          (error: Error) => error,
        );
        expect(failure?.message).toMatch(/^export encoding failed: .*JSON/);
        const seqs = text.split('\r\n').slice(1, -1).map((line) => Number(line.split(',')[1]));
        expect(seqs).toEqual(seqs.map((_, i) => i));
        expect(seqs.length).toBeLessThanOrEqual(28);
      } finally {
        await pool.close();
      }
    });
  });
});
