import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { csvLines } from '../src/export/csv.js';
import { EncoderPool, EXPORT_ENCODERS, LoopEncoder, LoopLoad } from '../src/export/encoder-pool.js';
import { THREAD_HOSTS } from '../src/threads/thread-host.js';
import { FileDestination } from '../src/export/destinations/file.js';
import { NO_FILES, writeFiles, type FilesProgress, type FilesSpec } from '../src/export/file-writer.js';
import { FORMATS } from '../src/export/format.js';
import { jsonlLines } from '../src/export/jsonl.js';
import { exportStream, type ReadPlan } from '../src/export/stream.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { EventQuery } from '../src/domain/filter.js';
import type { Store } from '../src/store/store.js';
import { DAY, MINUTE, T0, preparedEvent } from './support/events.js';
import { ALICE, randomEvents } from './support/summary-data.js';
import { rewriteBody, tenantId } from './support/tamper.js';

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

/** What a stream gave before it failed, and its error (null when it ended well). */
async function collectUntilFailure(stream: NodeJS.ReadableStream): Promise<{ text: string; failure: Error | null }> {
  let text = '';
  try {
    for await (const chunk of stream) text += (chunk as Buffer).toString('utf8');
    return { text, failure: null };
  } catch (error) {
    return { text, failure: error as Error };
  }
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
    // Idle for a second, a thread stops: long enough that the first to finish is still there when
    // the other (which may have started slowly on a busy machine) finishes too.
    const pool = new EncoderPool(2, 1_000);
    expect(pool.running).toBe(0);
    const input = bodies(300);
    const pieces = await Promise.all(Array.from({ length: 6 }, () => pool.encode('csv', input)));
    expect(pool.running).toBe(2);
    for (const piece of pieces) expect(Buffer.concat(piece).toString('utf8')).toBe(csvLines(input));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(pool.running).toBe(0);
    expect(Buffer.concat(await pool.encode('jsonl', ['{}'])).toString('utf8')).toBe('{}\n');
    expect(pool.running).toBe(1);
    await pool.close();
    expect(pool.running).toBe(0);
  });

  it('stop every thread on close, and their shared threads with them', async () => {
    const pool = new EncoderPool(3);
    const running = THREAD_HOSTS.running;
    await Promise.all(Array.from({ length: 6 }, () => pool.encode('csv', bodies(300))));
    expect(pool.running).toBe(3);
    await pool.close();
    expect(pool.running).toBe(0);
    expect(THREAD_HOSTS.running).toBeLessThanOrEqual(running);
  });

  it('keep the process alive while a piece is in flight, and not once its thread is idle', async () => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/encode-and-exit.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number];
    // Exit code 13 would be a process that ended with the piece unfinished.
    expect(code).toBe(0);
    expect(Number(out.trim())).toBe(jsonlLines(Array.from({ length: 50_000 }, (_, n) => JSON.stringify({ n }))).length);
    // Its thread would stop after ten idle minutes: the process ended long before.
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);

  it('fail the pieces in flight when a thread stops', async () => {
    const pool = new EncoderPool(1);
    const piece = pool.encode('csv', bodies(20_000));
    await pool.close();
    await expect(piece).rejects.toThrow(/export encoding thread stopped/);
  });

  it("measure the share of the event loop's time that its other work took lately", async () => {
    const load = new LoopLoad();
    expect(load.others()).toBe(0);
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        const until = performance.now() + 300;
        while (performance.now() < until);
        resolve();
      }),
    );
    expect(load.others()).toBeGreaterThan(0.8);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(load.others()).toBeLessThan(0.3);
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
        const { text, failure } = await collectUntilFailure(exportStream(broken, everything, FORMATS.csv, pool));
        expect(failure?.message).toMatch(/^export encoding failed: .*JSON/);
        const seqs = text.split('\r\n').slice(1, -1).map((line) => Number(line.split(',')[1]));
        expect(seqs).toEqual(seqs.map((_, i) => i));
        expect(seqs.length).toBeLessThanOrEqual(28);
      } finally {
        await pool.close();
      }
    });
  });

  describe('pages read by the threads themselves (SQLite files)', () => {
    const T = 'reader';
    let dir: string;
    let store: SqliteStore;
    let pool: EncoderPool;
    const plan = (filter: ReadPlan['filter'], extra: Partial<ReadPlan> = {}): ReadPlan => ({ tenant: T, filter, order: 'asc', belowSeq: 1_000_000, chunk: 40, ...extra });
    /** The same export read through `scan` on this thread, as PostgreSQL's is. */
    const throughScan = (s: Store): Store => Object.create(s, { threadScan: { value: undefined } }) as Store;

    /** Events with every member a body leaves to its columns, and reasons to search. */
    const events = (seed: number, count: number) =>
      randomEvents(seed, T, count, T0, T0 + 20 * DAY).map((event, i) => ({
        ...event,
        session_id: `sess-${i % 7}`,
        request: { id: `req-${seed}-${i}`, method: 'GET' },
        ...(event.outcome.success ? {} : { outcome: { ...event.outcome, reason: `=denied by policy ${i % 3}` } }),
      }));

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'vigil-export-threads-'));
      // JSON text for the first 50 events, compressed after: a page may hold both.
      store = new SqliteStore({ path: path.join(dir, 'vigil.db'), bodyDictionaryAfter: 50 });
      await store.open();
      for (const [seed, count] of [[1, 30], [2, 300]] as const) expect((await store.append([{ events: events(seed, count) }]))[0]!.ok).toBe(true);
      await store.append([{ events: randomEvents(3, 'other', 50, T0, T0 + DAY) }]);
      pool = new EncoderPool(2);
    });
    afterAll(async () => {
      await pool?.close();
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('give the bytes that reading through `scan` gives, for filters on every index, both orders, a cursor and a snapshot', async () => {
      const reads = vi.spyOn(pool, 'read');
      const cases: ReadPlan[] = [
        plan({}),
        plan({}, { order: 'desc' }),
        plan({ actorId: [ALICE.id] }),
        plan({ action: ['secret.read'], fromUs: T0 + 2 * DAY, toUs: T0 + 9 * DAY }, { order: 'desc' }),
        plan({ q: 'denied by policy 2' }),
        plan({ success: false }, { after: { occurredUs: T0 + 5 * DAY, seq: 0 } }),
        plan({}, { belowSeq: 100 }),
        plan({ actorId: ['nobody'] }),
      ];
      for (const c of cases) {
        for (const format of [FORMATS.csv, FORMATS.jsonl]) {
          const expected = await collect(exportStream(throughScan(store), c, format, pool));
          expect(await collect(exportStream(store, c, format, pool)), JSON.stringify(c)).toBe(expected);
        }
      }
      // Not vacuous: the reads went to the threads, and the rows are there.
      expect(reads.mock.calls.length).toBeGreaterThan(cases.length);
      const all = await collect(exportStream(store, plan({}), FORMATS.jsonl, pool));
      expect(all.split('\n').filter(Boolean)).toHaveLength(330);
      expect(await collect(exportStream(store, plan({}, { belowSeq: 100 }), FORMATS.jsonl, pool))).toBe(
        all.split('\n').filter((line) => line && (JSON.parse(line) as { seq: number }).seq < 100).map((line) => `${line}\n`).join(''),
      );
      reads.mockRestore();
    });

    it('read and encode pages on the event loop too while every thread is busy and the loop has time, giving the same bytes', async () => {
      const onLoop = vi.spyOn(LoopEncoder.prototype, 'run');
      const idleLoop = new EncoderPool(1, 30_000, THREAD_HOSTS, () => 0);
      const busyLoop = new EncoderPool(1, 30_000, THREAD_HOSTS, () => 0.6);
      try {
        for (const format of [FORMATS.csv, FORMATS.jsonl]) {
          const expected = await collect(exportStream(throughScan(store), plan({}), format, pool));
          onLoop.mockClear();
          expect(await collect(exportStream(store, plan({}), format, idleLoop))).toBe(expected);
          expect(onLoop.mock.calls.length).toBeGreaterThan(1);
          // Its other work taking more than half its time, the event loop encodes none.
          onLoop.mockClear();
          expect(await collect(exportStream(store, plan({}), format, busyLoop))).toBe(expected);
          expect(onLoop).not.toHaveBeenCalled();
        }
      } finally {
        onLoop.mockRestore();
        await idleLoop.close();
        await busyLoop.close();
      }
    });

    it('end with the reading error when a stored body no longer decompresses, having sent only the rows before it, in order', async () => {
      const file = path.join(dir, 'damaged.db');
      const damagedStore = new SqliteStore({ path: file, bodyDictionaryAfter: 50 });
      await damagedStore.open();
      const db = new Database(file);
      try {
        // The first 60 bodies are text; the 200 after them are compressed against the dictionary they made.
        for (const [seed, count] of [[7, 60], [8, 200]] as const) expect((await damagedStore.append([{ events: events(seed, count) }]))[0]!.ok).toBe(true);
        const everything = plan({});
        const expected = (await collect(exportStream(throughScan(damagedStore), everything, FORMATS.jsonl, pool))).split('\n').filter(Boolean);
        const damaged = 200;
        const at = expected.findIndex((line) => (JSON.parse(line) as { seq: number }).seq === damaged);
        const { body } = db.prepare('SELECT body FROM events WHERE seq = ?').get(damaged) as { body: Buffer };
        expect(Buffer.isBuffer(body)).toBe(true);
        // Its dictionary's byte kept, the frame behind it garbage: zstd refuses it.
        rewriteBody(db, tenantId(db, T), damaged, Buffer.concat([body.subarray(0, 1), Buffer.alloc(24, 0xa5)]));
        const { text, failure } = await collectUntilFailure(exportStream(damagedStore, everything, FORMATS.jsonl, pool));
        expect(failure?.message).toMatch(/^export reading failed: stored event body cannot be decompressed/);
        const sent = text.split('\n').filter(Boolean);
        expect(sent).toEqual(expected.slice(0, sent.length));
        expect(sent.length).toBeLessThanOrEqual(at);
        expect(at).toBeGreaterThan(40);
      } finally {
        db.close();
        await damagedStore.close();
      }
    });

    it('read bodies compressed against a dictionary the store made after the thread opened it', async () => {
      const later = new SqliteStore({ path: path.join(dir, 'later.db'), bodyDictionaryAfter: 50 });
      await later.open();
      try {
        const laterPlan = { ...plan({}), tenant: T };
        await later.append([{ events: events(4, 20) }]);
        const before = await collect(exportStream(later, laterPlan, FORMATS.jsonl, pool));
        expect(before.split('\n').filter(Boolean)).toHaveLength(20);
        await later.append([{ events: events(5, 100) }]);
        await later.append([{ events: events(6, 100) }]);
        expect(await collect(exportStream(later, laterPlan, FORMATS.jsonl, pool))).toBe(await collect(exportStream(throughScan(later), laterPlan, FORMATS.jsonl, pool)));
      } finally {
        await later.close();
      }
    });

    it('read a file made anew at the same path, not the one a thread had open', async () => {
      const file = path.join(dir, 'again.db');
      const exported = async (seed: number) => {
        const s = new SqliteStore({ path: file });
        await s.open();
        try {
          await s.append([{ events: events(seed, 10) }]);
          return [await collect(exportStream(s, plan({}), FORMATS.jsonl, pool)), (await s.readBySeq(T, 0, 10, 10)).map((row) => `${row.body}\n`).join('')];
        } finally {
          await s.close();
          for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
        }
      };
      const [first, firstStored] = await exported(7);
      const [second, secondStored] = await exported(8);
      expect(first).toBe(firstStored);
      expect(second).toBe(secondStored);
      expect(second).not.toBe(first);
    });

    it('write a job\'s files as reading through `scan` writes them: the same cuts, bytes, seqs and resume points', async () => {
      // The rows fit one chunk of `scan`'s reads, whose chunk ends would otherwise cut pieces shorter.
      const reads = vi.spyOn(EXPORT_ENCODERS, 'read');
      const written = async (s: Store, name: string, start = NO_FILES) => {
        const destination = new FileDestination({ type: 'file', name, directory: path.join(dir, name), prefix: '' });
        const spec: FilesSpec = {
          plan: { tenant: T, filter: { success: true }, belowSeq: 300 },
          format: FORMATS.csv,
          gzip: false,
          splitBytes: 20_000,
          keyOf: (n) => `part-${n}`,
        };
        const saved: FilesProgress[] = [];
        const end = await writeFiles(s, destination, spec, start, async (p) => void saved.push(p), new AbortController().signal);
        const bytes = end.files.slice(start.files.length).map((file) => readFileSync(path.join(dir, name, file.key), 'utf8'));
        return { end, saved, bytes };
      };
      const threads = await written(store, 'threads');
      expect(reads.mock.calls.length).toBeGreaterThan(threads.end.files.length);
      reads.mockRestore();
      const here = await written(throughScan(store), 'here');
      expect(threads.end.files.length).toBeGreaterThan(2);
      expect(threads.end).toEqual(here.end);
      expect(threads.saved).toEqual(here.saved);
      expect(threads.bytes).toEqual(here.bytes);
      // Every row once, below the snapshot, and a resume after the second file writes the rest as they were.
      const rows = threads.bytes.flatMap((text) => text.split('\r\n').slice(1, -1));
      expect(rows).toHaveLength(threads.end.rows);
      expect(Math.max(...threads.end.files.map((file) => file.seq_max))).toBeLessThan(300);
      const resumed = await written(store, 'resumed', threads.saved[1]);
      expect(resumed.end).toEqual(threads.end);
      expect(resumed.bytes).toEqual(threads.bytes.slice(2));
    });

    it('fail a read with a message that says so, and keep the thread', async () => {
      const scan = store.threadScan({ tenant: T, filter: {}, order: 'asc' })!;
      const piece = pool.read('csv', { ...scan, path: path.join(dir, 'missing.db') }, { limit: 10, belowSeq: 1_000 });
      await expect(piece.head).rejects.toThrow(/^export reading failed: .*(unable to open|directory does not exist)/);
      await expect(piece.parts).rejects.toThrow(/^export reading failed/);
      const good = pool.read('jsonl', scan, { limit: 10, belowSeq: 1_000 });
      expect((await good.head).rows).toBe(10);
      expect(Buffer.concat(await good.parts).toString('utf8').split('\n').filter(Boolean)).toHaveLength(10);
    });
  });
  describe('on a SQLite file', () => {
    it('run the first export thread on the thread of the store\'s WAL checkpoints, which keep it after the export\'s work stops', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'vigil-export-shared-'));
      const store = new SqliteStore({ path: path.join(dir, 'vigil.db') });
      const pool = new EncoderPool(1);
      try {
        await EXPORT_ENCODERS.close();
        expect(THREAD_HOSTS.running).toBe(0);
        await store.open();
        expect((await store.append([{ events: randomEvents(9, 'shared', 120, T0, T0 + DAY) }]))[0]!.ok).toBe(true);
        expect(THREAD_HOSTS.running).toBe(1);
        const plan: ReadPlan = { tenant: 'shared', filter: {}, order: 'asc', belowSeq: 1_000, chunk: 50 };
        const csv = await collect(exportStream(store, plan, FORMATS.csv, pool));
        expect(csv).toBe(FORMATS.csv.header() + csvLines((await store.readBySeq('shared', 0, 1_000, 1_000)).map((row) => row.body)));
        expect(pool.running).toBe(1);
        // No thread of its own: the checkpoints' took the export…
        expect(THREAD_HOSTS.running).toBe(1);
        await pool.close();
        // …and keep it.
        expect(THREAD_HOSTS.running).toBe(1);
        await store.close();
        expect(THREAD_HOSTS.running).toBe(0);
      } finally {
        await pool.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
