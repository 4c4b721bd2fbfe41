import { request as httpRequest } from 'node:http';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../src/domain/event.js';
import { CSV_COLUMNS } from '../src/export/csv.js';
import { EXPORT_ENCODERS } from '../src/export/encoder-pool.js';
import { READ_CHUNK } from '../src/export/stream.js';
import type { EventQuery } from '../src/domain/filter.js';
import type { Store } from '../src/store/store.js';
import { MINUTE, T0 } from './support/events.js';
import { startExportApp, type ExportApp } from './support/export-app.js';
import { answeredWhileStreaming } from './support/streaming.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /v1/audit/export', () => {
  let h: ExportApp;
  let auditor: string;
  let queries: EventQuery[];

  beforeAll(async () => {
    queries = [];
    h = await startExportApp({
      wrap: (store) =>
        Object.create(store, { scan: { value: async (q: EventQuery) => (queries.push(q), store.scan(q)) } }) as Store,
    });
    auditor = await h.key('auditor', 'acme');
    await h.fill('acme', 30_000, (i) => ({
      atUs: T0 + i * MINUTE,
      ...(i % 10 === 0 ? { outcome: { success: false, status: 403, reason: 'time_window' } } : {}),
    }));
    await h.fill('globex', 10);
  });
  afterAll(() => h?.close());

  const vigilEvents = async (tenant: string) =>
    (await h.store.query({ tenant, filter: { category: ['vigil'] }, order: 'asc', limit: 1000 })).map((r) => JSON.parse(r.body) as StoredEvent);

  it('streams every matching event as CSV with a filename, and records who exported what', async () => {
    const res = await h.request('GET', auditor, '/v1/audit/export?format=csv&success=false&order=asc&from=2026-11-01T00:00:00Z');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="vigil-acme-\d{8}T\d{6}Z\.csv"$/);
    const records = parse(res.body, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(3000);
    expect(Object.keys(records[0]!)).toEqual([...CSV_COLUMNS]);
    expect(records.every((r) => r.success === 'false' && r.reason === 'time_window')).toBe(true);
    // seq 0 is the vigil.key.created event of the auditor key.
    expect(records.map((r) => Number(r.seq))).toEqual(Array.from({ length: 3000 }, (_, i) => i * 10 + 1));

    const [recorded] = (await vigilEvents('acme')).filter((e) => e.action === 'vigil.export');
    expect(recorded).toMatchObject({ category: 'vigil', actor: { type: 'api_key', name: 'auditor-acme' } });
    expect(recorded!.context).toMatchObject({ format: 'csv', delivery: 'download' });
    expect(String(recorded!.context!.filter)).toContain('success=false');
  });

  it('streams JSONL, newest first by default like the log', async () => {
    const res = await h.request('GET', auditor, '/v1/audit/export?format=jsonl&success=false&to=2026-11-01T01:00:00Z');
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as StoredEvent);
    expect(lines.map((e) => e.seq)).toEqual([51, 41, 31, 21, 11, 1]);
  });

  it('refuses keys without the export permission, other tenants, paging and unknown formats', async () => {
    const viewer = await h.key('viewer', 'acme');
    expect((await h.request('GET', viewer, '/v1/audit/export?format=csv')).json()).toMatchObject({ error: { code: 'VIGIL_ERR_FORBIDDEN' } });
    const other = await h.request('GET', auditor, '/v1/audit/export?format=csv&tenant=globex');
    expect(other.statusCode).toBe(403);
    const paged = await h.request('GET', auditor, '/v1/audit/export?format=csv&limit=10&cursor=x');
    expect(paged.statusCode).toBe(400);
    expect(paged.json().error.issues.map((i: { path: string }) => i.path)).toEqual(['limit', 'cursor']);
    const bad = await h.request('GET', auditor, '/v1/audit/export?format=xlsx');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/format/);
    const platform = await h.key('auditor', null);
    const globex = await h.request('GET', platform, '/v1/audit/export?format=jsonl&tenant=globex');
    expect(globex.body.trim().split('\n')).toHaveLength(10);
  });

  it('stops reading the store when the client goes away', async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    const threadReads = vi.spyOn(EXPORT_ENCODERS, 'read');
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/audit/export?format=csv', headers: { authorization: `Bearer ${auditor}` } }, (res) => {
        res.once('data', () => {
          // One chunk is enough: hang up without reading the rest.
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (err.message.includes('socket hang up') || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
      req.end();
    });
    await sleep(500);
    // The SQLite store's pages are read on the export threads, never through `scan`.
    expect(queries).toEqual([]);
    const afterHangUp = threadReads.mock.calls.length;
    expect(afterHangUp).toBeGreaterThan(0);
    await sleep(500);
    // 30,000 events take 30,000 / READ_CHUNK reads; a client that left stops them early, and for good.
    expect(afterHangUp).toBeLessThan(30_000 / READ_CHUNK);
    expect(threadReads.mock.calls.length).toBe(afterHangUp);
    threadReads.mockRestore();
  });

  it('answers other requests while an export or the leaves stream', async () => {
    if (!h.app.server.listening) await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as { port: number };
    // Before, a stream whose client kept up went from chunk to chunk without giving the event
    // loop a turn: the page came after the whole stream.
    for (const path of ['/v1/audit/export?format=csv&order=asc', '/v1/audit/export?format=jsonl', '/v1/audit/leaves']) {
      const { before, total } = await answeredWhileStreaming(port, auditor, path, '/v1/audit/logs?limit=1');
      expect(total, path).toBeGreaterThan(5_000_000);
      expect(before, path).toBeGreaterThan(0);
      expect(before, path).toBeLessThan(total / 2);
    }
  });
});
