/**
 * A key of tenant A never reads, counts, pages into or writes tenant B's events; roles limit
 * what a key may do (DESIGN.md §8).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, startHarness, type Harness } from './http-harness.js';

const actor = { type: 'user', id: 'u_1', email: 'alice@example.com' };
const secret = { type: 'secret', id: 'sec_1', name: 'DB_PASSWORD', path: 'prod/db/password' };

let h: Harness;
let acmeWriter: string;
let acmeViewer: string;
let globexViewer: string;
let globexAdmin: string;
let globexIds: string[];

beforeAll(async () => {
  h = await startHarness();
  acmeWriter = await h.key('writer', 'acme');
  acmeViewer = await h.key('viewer', 'acme');
  globexViewer = await h.key('viewer', 'globex');
  globexAdmin = await h.key('admin', 'globex');
  const batch = (n: number) => ({ events: Array.from({ length: n }, (_, i) => ({ action: 'SECRET_READ', actor, resource: secret, context: { i } })) });
  expect((await h.send(acmeWriter, batch(5))).statusCode).toBe(201);
  const globexWrite = await h.send(await h.key('writer', 'globex'), batch(3));
  expect(globexWrite.statusCode).toBe(201);
  globexIds = globexWrite.json<{ events: { id: string }[] }>().events.map((e) => e.id);
});

afterAll(async () => h?.close());

const code = (res: { json: () => unknown }) => (res.json() as { error: { code: string } }).error.code;

describe('tenant isolation', () => {
  it('a tenant key reads only its own tenant, even with the same filters', async () => {
    expect(events(await h.get(acmeViewer, '/v1/audit/logs', { category: 'secrets' }))).toHaveLength(5);
    expect(events(await h.get(globexViewer, '/v1/audit/logs', { category: 'secrets' }))).toHaveLength(3);
    expect(events(await h.get(acmeViewer, '/v1/audit/secrets/prod/db/password'))).toHaveLength(5);
    expect(events(await h.get(acmeViewer, '/v1/audit/identities/user:u_1'))).toHaveLength(5);
  });

  it('a tenant key cannot name another tenant', async () => {
    const res = await h.get(acmeViewer, '/v1/audit/logs', { tenant: 'globex' });
    expect(res.statusCode).toBe(403);
    expect(code(res)).toBe('VIGIL_ERR_FORBIDDEN');
    expect(res.json<{ error: { message: string } }>().error.message).toContain('"globex"');
    expect((await h.get(acmeViewer, '/v1/audit/logs', { tenant: 'acme' })).statusCode).toBe(200);
  });

  it("a tenant key cannot fetch another tenant's event by id", async () => {
    const res = await h.get(acmeViewer, `/v1/audit/logs/${globexIds[0]}`);
    expect(res.statusCode).toBe(404);
    expect((await h.get(globexViewer, `/v1/audit/logs/${globexIds[0]}`)).statusCode).toBe(200);
  });

  it("a tenant cannot page into another tenant with that tenant's cursor", async () => {
    const page = await h.get(globexViewer, '/v1/audit/logs', { limit: '1' });
    const cursor = page.json<{ next_cursor: string }>().next_cursor;
    expect(cursor).toEqual(expect.any(String));
    const res = await h.get(acmeViewer, '/v1/audit/logs', { limit: '1', cursor });
    expect(res.statusCode).toBe(400);
    expect(code(res)).toBe('VIGIL_ERR_BAD_CURSOR');
  });

  it('a forged cursor naming another tenant is refused', async () => {
    const page = await h.get(acmeViewer, '/v1/audit/logs', { limit: '1' });
    const cursor = page.json<{ next_cursor: string }>().next_cursor;
    const [body, tag] = cursor.split('.');
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...payload, t: 'globex' })).toString('base64url')}.${tag}`;
    for (const key of [acmeViewer, globexViewer]) {
      const res = await h.get(key, '/v1/audit/logs', { limit: '1', cursor: forged });
      expect(res.statusCode).toBe(400);
      expect(code(res)).toBe('VIGIL_ERR_BAD_CURSOR');
    }
  });

  it('a cursor cannot be reused with other filters', async () => {
    const page = await h.get(acmeViewer, '/v1/audit/logs', { limit: '1' });
    const cursor = page.json<{ next_cursor: string }>().next_cursor;
    const res = await h.get(acmeViewer, '/v1/audit/logs', { limit: '1', cursor, action: 'SECRET_SET' });
    expect(code(res)).toBe('VIGIL_ERR_BAD_CURSOR');
  });

  it('a tenant key cannot write to another tenant, in one event or inside a batch; nothing is stored', async () => {
    const one = await h.send(acmeWriter, { tenant: 'globex', action: 'SECRET_READ', actor });
    expect(one.statusCode).toBe(403);
    const batch = await h.send(acmeWriter, { events: [{ action: 'SECRET_READ', actor }, { tenant: 'globex', action: 'SECRET_READ', actor }] });
    expect(batch.statusCode).toBe(403);
    expect(batch.json<{ error: { message: string } }>().error.message).toContain('events[1].tenant');
    expect(await h.stored('acme')).toHaveLength(5);
    expect(await h.stored('globex')).toHaveLength(3);
  });

  it('a writer key cannot read; a viewer cannot ingest or manage keys', async () => {
    for (const url of ['/v1/audit/logs', '/v1/audit/secrets/prod/db/password', '/v1/audit/identities/user:u_1', `/v1/audit/logs/${globexIds[0]}`]) {
      const res = await h.get(acmeWriter, url);
      expect(res.statusCode, url).toBe(403);
    }
    expect((await h.send(acmeViewer, { action: 'SECRET_READ', actor })).statusCode).toBe(403);
    expect((await h.get(acmeViewer, '/v1/keys')).statusCode).toBe(403);
    const create = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { authorization: `Bearer ${acmeViewer}` },
      payload: { name: 'x', role: 'admin' },
    });
    expect(create.statusCode).toBe(403);
    expect(await h.stored('acme')).toHaveLength(5);
  });

  it("a tenant admin manages only its own tenant's keys", async () => {
    const inject = (method: 'POST' | 'GET' | 'DELETE', url: string, payload?: object) =>
      h.app.inject({ method, url, headers: { authorization: `Bearer ${globexAdmin}` }, ...(payload ? { payload } : {}) });
    expect((await inject('POST', '/v1/keys', { name: 'x', role: 'viewer', tenant: 'acme' })).statusCode).toBe(403);
    expect((await inject('GET', '/v1/keys', undefined)).json<{ data: { tenant: string }[] }>().data.every((k) => k.tenant === 'globex')).toBe(true);
    expect((await inject('GET', '/v1/keys?tenant=acme')).statusCode).toBe(403);
    const acmeKeyId = acmeViewer.slice(3, 15);
    expect((await inject('DELETE', `/v1/keys/${acmeKeyId}`)).statusCode).toBe(404);
    expect((await h.get(acmeViewer, '/v1/audit/logs')).statusCode).toBe(200);
  });

  it('a platform key must name the tenant it reads and writes', async () => {
    const res = await h.get(h.admin, '/v1/audit/logs');
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { issues: { path: string }[] } }>().error.issues[0]!.path).toBe('tenant');
    expect(events(await h.get(h.admin, '/v1/audit/logs', { tenant: 'globex', category: 'secrets' }))).toHaveLength(3);
    const write = await h.send(h.admin, { action: 'SECRET_READ', actor });
    expect(write.statusCode).toBe(400);
    expect(write.json<{ error: { issues: { path: string }[] } }>().error.issues[0]!.path).toBe('tenant');
  });
});
