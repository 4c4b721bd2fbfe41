import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedEvent, StoredEvent } from '../src/domain/event.js';
import { CSV_COLUMNS, escapeFormula, unescapeFormula } from '../src/export/csv.js';
import { FORMATS } from '../src/export/format.js';
import { exportStream, readChunks } from '../src/export/stream.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { EventQuery } from '../src/domain/filter.js';
import type { Store } from '../src/store/store.js';
import { MINUTE, T0, preparedEvent } from './support/events.js';
import { referenceRoot } from './support/merkle-reference.js';

async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Values a spreadsheet or a naive CSV writer gets wrong. */
const TRICKY: Partial<PreparedEvent>[] = [
  { actor: { type: 'user', id: 'u,1', name: 'O"Brien, Pat', email: 'pat@acme.example' } },
  { resource: { type: 'secret', id: 's1', name: '=HYPERLINK("http://evil")', path: 'prod/"quoted"/x' } },
  { outcome: { success: false, status: 403, reason: '+cmd|calc', error_code: '-1' } },
  { outcome: { success: false, status: 500, reason: "line one\r\nline two\n'three'" } },
  { session_id: '@session', request: { id: '\tid', method: 'GET', path: '/x' } },
  { resource: { type: 'secret', name: "'=already quoted", path: 'ünï/cødé/日本' } },
  { changes: [{ field: 'rotation_days', old: 30, new: 90 }, { field: 'note', old: null, new: 'a,"b"\nc' }], context: { a: '=1', b: 2, c: true } },
  { client: { ip: '2001:db8::1', user_agent: 'Mozilla/5.0 (X11; Linux)', kind: 'browser', name: 'Firefox 120 on Linux' }, source: 'dashboard', service: 'github', environment: 'production' },
  { actor: { type: 'api_key', id: 'k_1', name: 'ci' }, resource: undefined, session_id: ' "padded", twice ' },
  { resource: { type: 'secret', id: 's2', name: '  spaced  ', path: ' lead/trail ' }, session_id: ' ' },
];

describe('export encoders and streaming', () => {
  let store: SqliteStore;
  const T = 'enc';
  let stored: StoredEvent[];

  beforeAll(async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.open();
    const events = TRICKY.map((o, i) => preparedEvent({ tenant: T, atUs: T0 + i * MINUTE, ...o }));
    const more = Array.from({ length: 41 }, (_, i) => preparedEvent({ tenant: T, atUs: T0 + (TRICKY.length + i) * MINUTE }));
    const [result] = await store.append([{ events: [...events, ...more] }]);
    expect(result!.ok).toBe(true);
    stored = (await store.readBySeq(T, 0, 1000, 1000)).map((r) => JSON.parse(r.body) as StoredEvent);
  });
  afterAll(() => store.close());

  const everything = (order: 'asc' | 'desc' = 'asc') => ({ tenant: T, filter: {}, order, belowSeq: 1_000_000, chunk: 7 });

  it('escapes formula starters reversibly', () => {
    for (const v of ['=1+1', '+1', '-1', '@a', '\tx', '\rx', "'quoted", "'=x"]) {
      expect(escapeFormula(v)).toBe(`'${v}`);
      expect(unescapeFormula(escapeFormula(v))).toBe(v);
    }
    for (const v of ['plain', '1=1', 'a-b', '']) expect(escapeFormula(v)).toBe(v);
  });

  it('writes CSV that a standard parser reads back to the same events', async () => {
    const text = await collect(exportStream(store, everything(), FORMATS.csv));
    expect(text.startsWith(`${CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    const records = parse(text, { columns: true, relax_column_count: false }) as Record<string, string>[];
    expect(records).toHaveLength(stored.length);
    for (const [i, raw] of records.entries()) {
      const row = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, unescapeFormula(v)]));
      const e = stored[i]!;
      expect(Object.keys(raw)).toEqual([...CSV_COLUMNS]);
      expect(row.id).toBe(e.id);
      expect(Number(row.seq)).toBe(e.seq);
      expect(row.occurred_at).toBe(e.occurred_at);
      expect([row.tenant, row.log, row.category, row.action, row.crud]).toEqual([e.tenant, e.log, e.category, e.action, e.crud]);
      expect([row.actor_type, row.actor_id]).toEqual([e.actor.type, e.actor.id]);
      expect(row.resource_type).toBe(e.resource?.type ?? '');
      expect(row.resource).toBe(e.resource?.name ?? '');
      expect(row.path).toBe(e.resource?.path ?? '');
      expect(row.success).toBe(String(e.outcome.success));
      expect(row.status).toBe(e.outcome.status === undefined || e.outcome.status === null ? '' : String(e.outcome.status));
      expect(row.reason).toBe(e.outcome.reason ?? '');
      expect(row.error_code).toBe(e.outcome.error_code ?? '');
      expect(row.request_id).toBe(e.request?.id ?? '');
      expect(row.session_id).toBe(e.session_id ?? '');
      expect(row.user_agent).toBe(e.client?.user_agent ?? '');
      expect(row.client).toBe(e.client?.name ?? '');
      expect(row.changes === '' ? undefined : JSON.parse(row.changes!)).toEqual(e.changes);
      expect(row.context === '' ? undefined : JSON.parse(row.context!)).toEqual(e.context);
    }
    expect(records[8]!.actor).toBe('api-key:ci');
    expect(records[8]!.session_id).toBe(' "padded", twice ');
  });

  it('never lets a cell begin with a formula character', async () => {
    const text = await collect(exportStream(store, everything(), FORMATS.csv));
    const cells = (parse(text, { from_line: 2 }) as string[][]).flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(cells).toContain(`'=HYPERLINK("http://evil")`);
  });

  it('writes JSONL lines that are the stored bodies, so the leaves can be recomputed', async () => {
    const text = await collect(exportStream(store, everything(), FORMATS.jsonl));
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    const rows = await store.readBySeq(T, 0, 1000, 1000);
    expect(lines).toEqual(rows.map((r) => r.body));
    const head = await store.treeHead(T);
    expect(referenceRoot(lines).equals(Buffer.from(head.root))).toBe(true);
  });

  it('follows the order and filter, and leaves out events sequenced after the export began', async () => {
    const newest = await collect(exportStream(store, { ...everything('desc'), belowSeq: 10 }, FORMATS.jsonl));
    expect(newest.trim().split('\n').map((l) => (JSON.parse(l) as StoredEvent).seq)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const denied = await collect(exportStream(store, { ...everything(), filter: { success: false } }, FORMATS.jsonl));
    expect(denied.trim().split('\n').map((l) => (JSON.parse(l) as StoredEvent).seq)).toEqual([2, 3]);
  });

  it('reads the next chunk only when the consumer asks, and stops when the consumer goes away', async () => {
    const queries: EventQuery[] = [];
    const counting: Store = Object.create(store, {
      scan: { value: async (q: EventQuery) => (queries.push(q), store.scan(q)) },
    }) as Store;
    const stream = exportStream(counting, { ...everything(), chunk: 5 }, FORMATS.jsonl);
    stream.pause();
    const first = await new Promise<Buffer>((resolve) => stream.once('readable', () => resolve(stream.read() as Buffer)));
    expect(first.length).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const whilePaused = queries.length;
    // The stream buffers up to its 16 KiB high-water mark, then waits; the whole export needs 11 reads.
    expect(whilePaused).toBeLessThan(11);
    stream.destroy();
    await new Promise((r) => stream.once('close', r));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(queries.length).toBe(whilePaused);
  });

  it('resumes strictly after a position', async () => {
    const chunks: number[][] = [];
    for await (const rows of readChunks(store, { ...everything(), after: { occurredUs: T0 + 44 * MINUTE, seq: 44 } })) {
      chunks.push(rows.map((r) => r.seq));
    }
    expect(chunks.flat()).toEqual([45, 46, 47, 48, 49, 50]);
  });
});
