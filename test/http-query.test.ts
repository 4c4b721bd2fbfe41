/**
 * The read API: keyset pages in both orders, cursors, one event by id, trails, refused queries,
 * and the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, startHarness, type Harness } from './http-harness.js';

const actor = { type: 'user', id: 'u_1', email: 'alice@acme.example' };
const N = 25;

let h: Harness;
let viewer: string;
let ids: string[];

beforeAll(async () => {
  h = await startHarness();
  viewer = await h.key('viewer', 'acme');
  const writer = await h.key('writer', 'acme');
  // Pairs of events share a time, so pages must order by (time, seq) to stay exact.
  const batch = Array.from({ length: N }, (_, i) => ({
    action: i % 2 ? 'secret.read' : 'secret.set',
    actor,
    resource: { type: 'secret', id: `sec_${i % 3}`, path: `prod/app/${i % 3}` },
    occurred_at: new Date(Date.UTC(2026, 9, 1, 12, Math.floor(i / 2))).toISOString(),
    context: { i },
  }));
  const res = await h.send(writer, { events: batch });
  ids = res.json<{ events: { id: string }[] }>().events.map((e) => e.id);
});

afterAll(async () => h?.close());

/** Reads every page; returns the `context.i` of each event in order and the number of pages. */
async function readAll(query: Record<string, string>): Promise<{ order: number[]; pages: number }> {
  const order: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await h.get(viewer, '/v1/audit/logs', { ...query, ...(cursor ? { cursor } : {}) });
    order.push(...events(res).map((e) => e.context.i as number));
    cursor = res.json<{ next_cursor: string | null }>().next_cursor;
    pages++;
  } while (cursor !== null);
  return { order, pages };
}

describe('GET /v1/audit/logs', () => {
  it('pages newest first through every event exactly once', async () => {
    const { order, pages } = await readAll({ category: 'secrets', limit: '4' });
    expect(pages).toBe(7);
    expect(order).toHaveLength(N);
    expect(new Set(order).size).toBe(N);
    // Newest first: the later of each pair of equal times has the higher seq and comes first.
    expect(order).toEqual([...Array(N).keys()].reverse());
  });

  it('pages oldest first with order=asc', async () => {
    const { order } = await readAll({ category: 'secrets', limit: '7', order: 'asc' });
    expect(order).toEqual([...Array(N).keys()]);
  });

  it('gives no cursor when the page is the last', async () => {
    const res = await h.get(viewer, '/v1/audit/logs', { category: 'secrets', limit: String(N) });
    expect(events(res)).toHaveLength(N);
    expect(res.json<{ next_cursor: unknown }>().next_cursor).toBeNull();
  });

  it('combines filters with AND and values with OR', async () => {
    const found = events(await h.get(viewer, '/v1/audit/logs', { action: 'secret.read', resource_id: ['sec_0', 'sec_1'], limit: '100' }));
    const expected = [...Array(N).keys()].filter((i) => i % 2 === 1 && i % 3 !== 2).reverse();
    expect(found.map((e) => e.context.i)).toEqual(expected);
    const prefix = events(await h.get(viewer, '/v1/audit/logs', { action: 'secret.*', limit: '100' }));
    expect(prefix).toHaveLength(N);
  });

  it('keeps the window of a relative range across pages', async () => {
    const writer = await h.key('writer', 'recent');
    const reader = await h.key('viewer', 'recent');
    await h.send(writer, { events: Array.from({ length: 5 }, (_, i) => ({ action: 'secret.read', actor, context: { i } })) });
    const first = await h.get(reader, '/v1/audit/logs', { range: '1h', limit: '2', category: 'secrets' });
    const cursor = first.json<{ next_cursor: string }>().next_cursor;
    const second = await h.get(reader, '/v1/audit/logs', { range: '1h', limit: '2', category: 'secrets', cursor });
    expect(events(second)).toHaveLength(2);
    const otherRange = await h.get(reader, '/v1/audit/logs', { range: '2h', limit: '2', category: 'secrets', cursor });
    expect(otherRange.statusCode).toBe(400);
  });

  it('refuses unknown parameters and bad values by name', async () => {
    const res = await h.get(viewer, '/v1/audit/logs', { acter: 'x', limit: '5000' });
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; issues: { path: string }[] } }>().error;
    expect(error.code).toBe('VIGIL_ERR_VALIDATION');
    expect(error.issues.map((i) => i.path)).toEqual(['acter', 'limit']);
    const twice = await h.get(viewer, '/v1/audit/logs', 'from=2026-01-01T00:00:00Z&from=2026-02-01T00:00:00Z');
    expect(twice.json<{ error: { issues: { path: string }[] } }>().error.issues[0]!.path).toBe('from');
  });

  it('refuses a tampered cursor', async () => {
    const first = await h.get(viewer, '/v1/audit/logs', { limit: '1' });
    const cursor = first.json<{ next_cursor: string }>().next_cursor;
    const res = await h.get(viewer, '/v1/audit/logs', { limit: '1', cursor: `x${cursor}` });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('VIGIL_ERR_BAD_CURSOR');
  });

  it('marks responses as not cacheable', async () => {
    const res = await h.get(viewer, '/v1/audit/logs', { limit: '1' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });
});

describe('one event and trails', () => {
  it('returns one event by id, byte for byte as stored, then its leaf hash and proof', async () => {
    const res = await h.get(viewer, `/v1/audit/logs/${ids[3]}`);
    expect(res.statusCode).toBe(200);
    const stored = (await h.store.getEvent('acme', ids[3]!))!.body;
    expect(res.body.startsWith(`${stored.slice(0, -1)},"leaf_hash":`)).toBe(true);
    expect((await h.get(viewer, '/v1/audit/logs/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await h.get(viewer, `/v1/audit/logs/${ids[3]}`, { limit: '1' })).statusCode).toBe(400);
  });

  it('serves the resource trail and refuses a parameter the trail fixes', async () => {
    const found = events(await h.get(viewer, '/v1/audit/resources/secret/sec_2', { limit: '100' }));
    expect(found.map((e) => e.context.i)).toEqual([...Array(N).keys()].filter((i) => i % 3 === 2).reverse());
    const clash = await h.get(viewer, '/v1/audit/resources/secret/sec_2', { resource_type: 'project' });
    expect(clash.statusCode).toBe(400);
  });

  it('serves the secret trail with a path of several segments', async () => {
    const found = events(await h.get(viewer, '/v1/audit/secrets/prod/app/1', { limit: '100', order: 'asc' }));
    expect(found.map((e) => e.context.i)).toEqual([...Array(N).keys()].filter((i) => i % 3 === 1));
  });

  it('refuses a malformed identity', async () => {
    const res = await h.get(viewer, '/v1/audit/identities/u_1');
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { issues: { path: string }[] } }>().error.issues[0]!.path).toBe('identity');
  });
});

describe('service routes', () => {
  it('serves health checks without a key and records nothing', async () => {
    const before = (await h.stored('acme')).length;
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ok' });
    expect((await h.stored('acme')).length).toBe(before);
  });

  it('answers unknown routes with a coded 404', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('VIGIL_ERR_NOT_FOUND');
  });

  it('publishes an OpenAPI document generated from the routes', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/v1/events', '/v1/audit/logs', '/v1/audit/logs/{id}', '/v1/audit/resources/{type}/{id}', '/v1/audit/identities/{identity}', '/v1/keys', '/v1/keys/{id}', '/healthz', '/readyz']) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    expect(doc.paths['/v1/audit/secrets/{path}']!.get.parameters.map((p: { name: string }) => p.name)).toContain('path');
    expect(doc.paths['/v1/events']!.post.requestBody.content['application/json'].schema).toBeDefined();
    const params = doc.paths['/v1/audit/logs']!.get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['from', 'to', 'range', 'actor', 'ip', 'not_ip', 'cursor', 'limit', 'order', 'tenant']));
    expect(doc.components.schemas).toHaveProperty(['StoredEvent']);
  });
});
