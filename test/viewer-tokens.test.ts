/**
 * Viewer tokens (DESIGN.md §8): minted by platform admin keys only, read-only, one tenant,
 * optionally narrowed to one actor or resource on every read, stateless but tamper-proof,
 * accepted by the dashboard sign-in, and recorded in the tenant's log without the token.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../src/auth/api-key.js';
import { authenticate } from '../src/auth/authenticate.js';
import { loadServerSecrets } from '../src/config/server-secrets.js';
import { buildApp } from '../src/http/app.js';
import { SESSION_COOKIE, SessionStore } from '../src/http/routes/session.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { events, startHarness, type Harness } from './http-harness.js';
import { startLoggingApp } from './support/logging-app.js';

const u1 = { type: 'user', id: 'u_1', email: 'alice@acme.example' };
const u2 = { type: 'user', id: 'u_2', email: 'bob@acme.example' };
const sec1 = { type: 'secret', id: 'sec_1', path: 'prod/db/password' };
const sec2 = { type: 'secret', id: 'sec_2', path: 'prod/api/token' };
const CSRF = { 'x-vigil-csrf': '1' };

let h: Harness;
/** Ids of acme's producer events by who did what: u1 on sec1 ×3, u2 on sec2 ×2, u1 on sec2 ×1. */
let ids: { u1sec1: string[]; u2sec2: string[]; u1sec2: string[] };
let globexId: string;

beforeAll(async () => {
  h = await startHarness();
  const send = async (tenant: string, actor: object, resource: object, n: number) => {
    const res = await h.send(h.admin, { events: Array.from({ length: n }, () => ({ tenant, action: 'secret.read', actor, resource })) });
    expect(res.statusCode).toBe(201);
    return res.json<{ events: { id: string }[] }>().events.map((e) => e.id);
  };
  ids = { u1sec1: await send('acme', u1, sec1, 3), u2sec2: await send('acme', u2, sec2, 2), u1sec2: await send('acme', u1, sec2, 1) };
  globexId = (await send('globex', u1, sec1, 2))[0]!;
});
afterAll(async () => h?.close());

function mint(key: string, body: object): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'POST', url: '/v1/viewer-tokens', headers: { authorization: `Bearer ${key}` }, payload: body });
}

async function token(body: object): Promise<string> {
  const res = await mint(h.admin, body);
  if (res.statusCode !== 201) throw new Error(`minting failed: ${res.body}`);
  return res.json<{ token: string }>().token;
}

const error = (res: LightMyRequestResponse) => res.json<{ error: { code: string; message: string; issues?: { path: string }[] } }>().error;
/** Ids of a page's producer events (not Vigil's own, category vigil). */
const producerIds = (res: LightMyRequestResponse) => events(res).filter((e) => e.category !== 'vigil').map((e) => e.id as string).sort();
const sorted = (...lists: string[][]) => lists.flat().sort();

describe('minting', () => {
  it('a platform admin mints a token for one tenant, 15 minutes by default', async () => {
    const before = Date.now();
    const res = await mint(h.admin, { tenant: 'acme' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.token).toMatch(/^vt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(body.tenant).toBe('acme');
    expect(body).not.toHaveProperty('actor');
    const expires = Date.parse(body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 900_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 900_000);
  });

  it('echoes the narrowing and the requested lifetime', async () => {
    const res = await mint(h.admin, { tenant: 'acme', ttl_seconds: 86_400, actor: { type: 'user', id: 'u_1' }, resource: { type: 'secret', id: 'sec_2' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ tenant: 'acme', actor: { type: 'user', id: 'u_1' }, resource: { type: 'secret', id: 'sec_2' } });
    expect(Date.parse(res.json().expires_at)).toBeGreaterThan(Date.now() + 86_000_000);
  });

  it('refuses every key but a platform admin, naming the rule', async () => {
    const refused = [
      ...(['admin', 'auditor', 'viewer', 'writer'] as const).map((role) => h.key(role, 'acme')),
      h.key('auditor', null),
      token({ tenant: 'acme' }),
    ];
    for (const key of await Promise.all(refused)) {
      const res = await mint(key, { tenant: 'acme' });
      expect(res.statusCode, res.body).toBe(403);
      expect(error(res)).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN', message: expect.stringContaining('platform admin keys only') });
    }
  });

  it.each([
    [{ tenant: 'acme', ttl_seconds: 0 }, 'ttl_seconds'],
    [{ tenant: 'acme', ttl_seconds: 86_401 }, 'ttl_seconds'],
    [{ tenant: 'acme', ttl_seconds: 1.5 }, 'ttl_seconds'],
    [{ tenant: 'acme', actor: { type: 'robot', id: 'r' } }, 'actor'],
    [{ tenant: 'acme', resource: { type: 'secret' } }, 'resource'],
    [{ tenant: 'acme', extra: 1 }, 'extra'],
    [{ tenant: 'Not A Tenant' }, 'tenant'],
    [{ tenant: '_platform' }, 'tenant'],
    [{}, 'tenant'],
  ])('refuses %j with 400 naming %s, and records nothing', async (body, path) => {
    const before = (await h.store.readBySeq('acme', 0, Number.MAX_SAFE_INTEGER, 100_000)).length;
    const res = await mint(h.admin, body);
    expect(res.statusCode).toBe(400);
    expect(error(res).code).toBe('VIGIL_ERR_VALIDATION');
    expect(JSON.stringify(error(res).issues)).toContain(path);
    expect((await h.store.readBySeq('acme', 0, Number.MAX_SAFE_INTEGER, 100_000)).length).toBe(before);
  });

  it("records the minting in the tenant's log, naming the platform key but never the token", async () => {
    const res = await mint(h.admin, { tenant: 'acme', actor: { type: 'user', id: 'u_2' } });
    const minted = res.json<{ token: string; expires_at: string }>();
    const [recorded] = events(await h.get(h.admin, '/v1/audit/logs', { tenant: 'acme', action: 'vigil.viewer_token.created', limit: '1' }));
    expect(recorded).toMatchObject({
      action: 'vigil.viewer_token.created',
      category: 'vigil',
      crud: 'create',
      actor: { type: 'api_key', id: parseApiKey(h.admin)!.id },
      resource: { type: 'viewer_token' },
      context: { expires_at: minted.expires_at, actor: 'user:u_2' },
    });
    const signature = minted.token.split('.')[1]!;
    const stored = (await h.store.readBySeq('acme', 0, Number.MAX_SAFE_INTEGER, 100_000)).map((r) => r.body).join('\n');
    expect(stored).not.toContain(signature);
    expect(stored).not.toContain(minted.token.slice(3, 40));
  });
});

describe('a token reads its tenant and nothing else', () => {
  let vt: string;
  beforeAll(async () => {
    vt = await token({ tenant: 'acme' });
  });

  it('reads the whole tenant, as its platform admin would', async () => {
    const asAdmin = producerIds(await h.get(h.admin, '/v1/audit/logs', { tenant: 'acme' }));
    expect(producerIds(await h.get(vt, '/v1/audit/logs'))).toEqual(asAdmin);
    expect(asAdmin).toEqual(sorted(ids.u1sec1, ids.u2sec2, ids.u1sec2));
    expect((await h.get(vt, '/v1/audit/logs', { tenant: 'acme' })).statusCode).toBe(200);
    expect((await h.get(vt, `/v1/audit/logs/${ids.u2sec2[0]}`)).statusCode).toBe(200);
  });

  it('cannot name another tenant, nor fetch its events', async () => {
    const res = await h.get(vt, '/v1/audit/logs', { tenant: 'globex' });
    expect(res.statusCode).toBe(403);
    expect(error(res).message).toContain('"globex"');
    expect((await h.get(vt, '/v1/audit/summary', { tenant: 'globex' })).statusCode).toBe(403);
    expect((await h.get(vt, '/v1/audit/checkpoint', { tenant: 'globex' })).statusCode).toBe(403);
    expect((await h.get(vt, `/v1/audit/logs/${globexId}`)).statusCode).toBe(404);
  });

  it('cannot write, export, verify or manage keys and tokens', async () => {
    const auth = { authorization: `Bearer ${vt}` };
    const refused = [
      h.send(vt, { action: 'secret.read', actor: u1 }),
      h.app.inject({ method: 'POST', url: '/v1/keys', headers: auth, payload: { name: 'x', role: 'viewer' } }),
      h.get(vt, '/v1/keys'),
      h.app.inject({ method: 'DELETE', url: `/v1/keys/${parseApiKey(h.admin)!.id}`, headers: auth }),
      mint(vt, { tenant: 'acme' }),
      h.get(vt, '/v1/audit/export'),
      h.app.inject({ method: 'POST', url: '/v1/audit/exports', headers: auth, payload: {} }),
      h.get(vt, '/v1/audit/leaves'),
      h.get(vt, '/v1/audit/leaf-hashes'),
      h.app.inject({ method: 'PUT', url: '/v1/tenants/acme/retention', headers: auth, payload: { days: 30 } }),
    ];
    for (const res of await Promise.all(refused)) {
      expect(res.statusCode, `${res.raw.req.method} ${res.raw.req.url}: ${res.body}`).toBe(403);
      expect(error(res).code).toBe('VIGIL_ERR_FORBIDDEN');
    }
    expect(await h.stored('acme')).toHaveLength(6);
  });

  it('works on every process of one database: the signing key is shared through the store', async () => {
    const store = new SqliteStore({ path: h.dbPath });
    await store.open();
    const ingestor = new Ingestor(store);
    const { app } = await buildApp({ store, ingestor });
    try {
      const res = await app.inject({ method: 'GET', url: '/v1/audit/logs', headers: { authorization: `Bearer ${vt}` } });
      expect(producerIds(res)).toEqual(sorted(ids.u1sec1, ids.u2sec2, ids.u1sec2));
    } finally {
      await app.close();
      await ingestor.drain();
      await store.close();
    }
  });
});

describe('narrowing', () => {
  let alice: string;
  let sec2Token: string;
  let aliceOnSec2: string;
  beforeAll(async () => {
    alice = await token({ tenant: 'acme', actor: { type: 'user', id: 'u_1' } });
    sec2Token = await token({ tenant: 'acme', resource: { type: 'secret', id: 'sec_2' } });
    aliceOnSec2 = await token({ tenant: 'acme', actor: { type: 'user', id: 'u_1' }, resource: { type: 'secret', id: 'sec_2' } });
  });

  it("an actor-narrowed token lists only that actor's events", async () => {
    const all = events(await h.get(alice, '/v1/audit/logs'));
    expect(all.map((e) => e.id).sort()).toEqual(sorted(ids.u1sec1, ids.u1sec2));
    expect(all.every((e) => e.actor.type === 'user' && e.actor.id === 'u_1')).toBe(true);
  });

  it("a caller's filters are ANDed with the narrowing and never widen it", async () => {
    expect(events(await h.get(alice, '/v1/audit/logs', { actor_id: 'u_2' }))).toEqual([]);
    expect(events(await h.get(alice, '/v1/audit/logs', { actor: 'bob@acme.example' }))).toEqual([]);
    expect(events(await h.get(alice, '/v1/audit/logs', { actor_type: 'api_key' }))).toEqual([]);
    expect(producerIds(await h.get(alice, '/v1/audit/logs', { actor_id: ['u_1', 'u_2'] }))).toEqual(sorted(ids.u1sec1, ids.u1sec2));
    expect(producerIds(await h.get(alice, '/v1/audit/logs', { resource_id: 'sec_2' }))).toEqual(ids.u1sec2);
  });

  it('holds for every trail', async () => {
    expect(events(await h.get(alice, '/v1/audit/identities/user:u_2'))).toEqual([]);
    expect(events(await h.get(alice, '/v1/audit/identities/user:bob@acme.example'))).toEqual([]);
    expect(producerIds(await h.get(alice, '/v1/audit/identities/user:alice@acme.example'))).toEqual(sorted(ids.u1sec1, ids.u1sec2));
    expect(producerIds(await h.get(alice, '/v1/audit/resources/secret/sec_2'))).toEqual(ids.u1sec2);
    expect(producerIds(await h.get(alice, '/v1/audit/secrets/prod/api/token'))).toEqual(ids.u1sec2);
    expect(events(await h.get(sec2Token, '/v1/audit/secrets/prod/db/password'))).toEqual([]);
  });

  it('holds for the summary', async () => {
    const summary = (await h.get(alice, '/v1/audit/summary', { group_by: 'actor,resource' })).json();
    expect(summary.total).toBe(4);
    expect(summary.groups.actor.map((g: { count: number }) => g.count)).toEqual([4]);
    expect((await h.get(alice, '/v1/audit/summary', { actor_id: 'u_2' })).json().total).toBe(0);
    expect((await h.get(sec2Token, '/v1/audit/summary')).json().total).toBe(3);
    expect((await h.get(aliceOnSec2, '/v1/audit/summary')).json().total).toBe(1);
    // The same summary unnarrowed, so the counts above are the narrowing's doing.
    expect((await h.get(h.admin, '/v1/audit/summary', { tenant: 'acme', category: 'secrets' })).json().total).toBe(6);
  });

  it('a single event or inclusion proof outside the narrowing is not found', async () => {
    expect((await h.get(alice, `/v1/audit/logs/${ids.u1sec1[0]}`)).statusCode).toBe(200);
    const hidden = await h.get(alice, `/v1/audit/logs/${ids.u2sec2[0]}`);
    expect(hidden.statusCode).toBe(404);
    expect(error(hidden).code).toBe('VIGIL_ERR_NOT_FOUND');
    expect((await h.get(sec2Token, `/v1/audit/logs/${ids.u1sec1[0]}`)).statusCode).toBe(404);
    expect((await h.get(aliceOnSec2, `/v1/audit/logs/${ids.u1sec1[0]}`)).statusCode).toBe(404);
    expect((await h.get(aliceOnSec2, `/v1/audit/logs/${ids.u1sec2[0]}`)).statusCode).toBe(200);

    expect((await h.get(h.admin, '/v1/audit/proofs/inclusion', { tenant: 'acme', id: ids.u2sec2[0]! })).statusCode).toBe(200);
    expect((await h.get(alice, '/v1/audit/proofs/inclusion', { id: ids.u1sec1[0]! })).statusCode).toBe(200);
    expect((await h.get(alice, '/v1/audit/proofs/inclusion', { id: ids.u2sec2[0]! })).statusCode).toBe(404);
    const seq = String((await h.get(h.admin, `/v1/audit/logs/${ids.u2sec2[0]}`, { tenant: 'acme' })).json().seq);
    expect((await h.get(alice, '/v1/audit/proofs/inclusion', { seq })).statusCode).toBe(404);
  });

  it('a resource-narrowed token sees every actor on that resource only', async () => {
    expect(producerIds(await h.get(sec2Token, '/v1/audit/logs'))).toEqual(sorted(ids.u2sec2, ids.u1sec2));
    expect(events(await h.get(sec2Token, '/v1/audit/logs', { resource_type: 'project' }))).toEqual([]);
    expect(producerIds(await h.get(aliceOnSec2, '/v1/audit/logs'))).toEqual(ids.u1sec2);
  });

  it('pages through the narrowed log with its cursors, and no wider cursor carries over', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: LightMyRequestResponse = await h.get(alice, '/v1/audit/logs', { limit: '1', ...(cursor ? { cursor } : {}) });
      seen.push(...events(res).map((e) => e.id as string));
      cursor = res.json<{ next_cursor: string | null }>().next_cursor;
    } while (cursor);
    expect(seen.sort()).toEqual(sorted(ids.u1sec1, ids.u1sec2));

    const wide = (await h.get(h.admin, '/v1/audit/logs', { tenant: 'acme', limit: '1' })).json<{ next_cursor: string }>().next_cursor;
    const bob = await token({ tenant: 'acme', actor: { type: 'user', id: 'u_2' } });
    const bobs = (await h.get(bob, '/v1/audit/logs', { limit: '1' })).json<{ next_cursor: string }>().next_cursor;
    for (const reused of [wide, bobs]) {
      const res = await h.get(alice, '/v1/audit/logs', { limit: '1', cursor: reused });
      expect(res.statusCode).toBe(400);
      expect(error(res).code).toBe('VIGIL_ERR_BAD_CURSOR');
    }
  });
});

describe('refused tokens', () => {
  it('an expired token gets 401 "viewer token expired"', async () => {
    const res = await mint(h.admin, { tenant: 'acme', ttl_seconds: 1 });
    const { token: vt, expires_at } = res.json<{ token: string; expires_at: string }>();
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expires_at) - Date.now() + 20));
    const refused = await h.get(vt, '/v1/audit/logs');
    expect(refused.statusCode).toBe(401);
    expect(error(refused)).toMatchObject({ code: 'VIGIL_ERR_UNAUTHENTICATED', message: expect.stringContaining('viewer token expired') });
  });

  it('expires exactly at its expiry by the clock authenticate is given', async () => {
    const res = await mint(h.admin, { tenant: 'acme', ttl_seconds: 60 });
    const { token: vt, expires_at } = res.json<{ token: string; expires_at: string }>();
    const { viewerTokenKey } = await loadServerSecrets(h.store);
    const at = (ms: number) => authenticate(h.store, `Bearer ${vt}`, new Date(Date.parse(expires_at) + ms), viewerTokenKey);
    await expect(at(-1)).resolves.toMatchObject({ role: 'viewer', tenant: 'acme', viewer: { expiresAt: expires_at } });
    await expect(at(0)).rejects.toThrow(/viewer token expired/);
  });

  it('a token altered in any byte, or signed with another key, gets 401', async () => {
    const vt = await token({ tenant: 'acme', actor: { type: 'user', id: 'u_1' } });
    const [body, tag] = vt.slice(3).split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const reencoded = (p: object) => Buffer.from(JSON.stringify(p)).toString('base64url');
    const flipped = Buffer.from(body, 'base64url');
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 3) ^ 0x01, flipped.length - 3);
    const forged = [
      `vt_${flipped.toString('base64url')}.${tag}`,
      `vt_${reencoded({ ...payload, t: 'globex' })}.${tag}`,
      `vt_${reencoded({ ...payload, a: undefined })}.${tag}`,
      `vt_${reencoded({ ...payload, e: payload.e + 86_400_000 })}.${tag}`,
      `vt_${body}.${tag.slice(0, -2)}${tag.endsWith('AA') ? 'BB' : 'AA'}`,
    ];
    for (const bad of forged) {
      const res = await h.get(bad, '/v1/audit/logs');
      expect(res.statusCode, bad).toBe(401);
      expect(error(res).message).toContain('viewer token is not valid');
    }
    const other = await startHarness();
    try {
      const foreign = (await other.app.inject({ method: 'POST', url: '/v1/viewer-tokens', headers: { authorization: `Bearer ${other.admin}` }, payload: { tenant: 'acme' } })).json().token;
      expect((await h.get(foreign, '/v1/audit/logs')).statusCode).toBe(401);
    } finally {
      await other.close();
    }
  });

  it.each(['vt_', 'vt_abc', `vt_${'a'.repeat(20)}.short`, 'vt_a.b.c'])('a malformed token %s gets 401 naming the format', async (bad) => {
    const res = await h.get(bad, '/v1/audit/logs');
    expect(res.statusCode).toBe(401);
    expect(error(res).message).toContain('viewer token is malformed');
  });
});

describe('dashboard sign-in with a viewer token', () => {
  function signIn(key: string) {
    return h.app.inject({ method: 'POST', url: '/v1/session', headers: { 'content-type': 'application/json', ...CSRF }, payload: JSON.stringify({ key }) });
  }

  it('opens a session that reads as the token does, narrowed, until the token expires', async () => {
    const minted = (await mint(h.admin, { tenant: 'acme', actor: { type: 'user', id: 'u_1' } })).json<{ token: string; expires_at: string }>();
    const res = await signIn(minted.token);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ role: 'viewer', tenant: 'acme', expires_at: minted.expires_at });
    const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(cookie.value).not.toContain(minted.token.split('.')[1]);
    const headers = { cookie: `${SESSION_COOKIE}=${cookie.value}` };
    const read = (url: string) => h.app.inject({ method: 'GET', url, headers });
    expect(producerIds(await read('/v1/audit/logs'))).toEqual(sorted(ids.u1sec1, ids.u1sec2));
    expect((await read('/v1/audit/logs?tenant=globex')).statusCode).toBe(403);
    expect((await read(`/v1/audit/logs/${ids.u2sec2[0]}`)).statusCode).toBe(404);
    expect((await read('/v1/session')).json()).toMatchObject({ role: 'viewer', tenant: 'acme' });
  });

  it('refuses an expired or forged token, and ends the session when the token expires', async () => {
    const minted = (await mint(h.admin, { tenant: 'acme', ttl_seconds: 60 })).json<{ token: string; expires_at: string }>();
    expect((await signIn(`${minted.token.slice(0, -2)}AA`)).statusCode).toBe(401);
    let now = Date.now();
    const { viewerTokenKey } = await loadServerSecrets(h.store);
    const sessions = new SessionStore(h.store, h.store, () => now, viewerTokenKey);
    const { id, view } = await sessions.open(minted.token);
    expect(view.expires_at).toBe(minted.expires_at);
    await expect(sessions.principal(id)).resolves.toMatchObject({ role: 'viewer', tenant: 'acme' });
    now = Date.parse(minted.expires_at);
    await expect(sessions.principal(id)).rejects.toThrow(/expired/);
    await expect(sessions.open(minted.token)).rejects.toThrow(/viewer token expired/);
  });

  it('needs the key to be accepted: without the signing key a session refuses viewer tokens', async () => {
    const vt = await token({ tenant: 'acme' });
    await expect(new SessionStore(h.store, h.store).open(vt)).rejects.toThrow(/viewer tokens are not accepted/);
  });
});

describe('request logs', () => {
  it('never carry a viewer token', async () => {
    const { app, admin, log: logged, close } = await startLoggingApp();
    try {
      const minted = await app.inject({ method: 'POST', url: '/v1/viewer-tokens', headers: { authorization: `Bearer ${admin}` }, payload: { tenant: 'acme' } });
      const vt = minted.json<{ token: string }>().token;
      await app.inject({ method: 'GET', url: '/v1/audit/logs', headers: { authorization: `Bearer ${vt}` } });
      await app.inject({ method: 'POST', url: '/v1/session', headers: { 'content-type': 'application/json', ...CSRF }, payload: JSON.stringify({ key: vt }) });
      const log = logged();
      expect(log).toContain('"url":"/v1/viewer-tokens"');
      expect(log).not.toContain(vt.split('.')[1]);
      expect(log).not.toContain(vt.slice(3, 30));
    } finally {
      await close();
    }
  });
});
