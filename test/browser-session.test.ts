/**
 * The dashboard's server side, over HTTP (no browser needed): sign-in with a key into an
 * httpOnly session cookie, the cookie standing in for the key on reads only, CSRF on sign-in and
 * sign-out, sessions ending with sign-out, revocation and expiry; and the static dashboard.
 */
import Fastify from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../src/auth/api-key.js';
import { DASHBOARD_DIR, dashboardRoutes } from '../src/http/routes/dashboard.js';
import { SESSION_COOKIE, SESSION_TTL_MS, SessionStore } from '../src/http/routes/session.js';
import { startHarness, type Harness } from './http-harness.js';

const CSRF = { 'x-vigil-csrf': '1' };

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  const res = await h.send(h.admin, {
    events: [
      { tenant: 'acme', action: 'secret.read', actor: { type: 'user', id: 'u_1', email: 'alice@acme.example' } },
      { tenant: 'globex', action: 'secret.read', actor: { type: 'user', id: 'u_2', email: 'bob@globex.example' } },
    ],
  });
  expect(res.statusCode).toBe(201);
});
afterAll(() => h.close());

function signIn(key: string, headers: Record<string, string> = CSRF): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'POST', url: '/v1/session', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ key }) });
}

/** The session cookie a sign-in set, as a request header. */
function cookieOf(res: LightMyRequestResponse): { cookie: string } {
  const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error(`no session cookie: ${res.statusCode} ${res.body}`);
  return { cookie: `${SESSION_COOKIE}=${cookie.value}` };
}

function read(headers: Record<string, string>, url = '/v1/audit/logs?tenant=acme'): Promise<LightMyRequestResponse> {
  return h.app.inject({ method: 'GET', url, headers });
}

describe('sign-in', () => {
  it('sets an httpOnly, SameSite=Strict cookie holding an opaque id, and returns who signed in but never the key', async () => {
    const key = await h.key('auditor', 'acme');
    const res = await signIn(key);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'auditor-acme', role: 'auditor', tenant: 'acme' });
    expect(Date.parse(res.json().expires_at)).toBeGreaterThan(Date.now());
    const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // Plain HTTP here: a Secure cookie would never come back.
    expect(cookie.secure).toBeUndefined();
    const { secret } = parseApiKey(key)!;
    expect(cookie.value).not.toContain(secret);
    expect(res.body).not.toContain(secret);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses a request without the CSRF header, naming it, and sets no cookie', async () => {
    const res = await signIn(h.admin, {});
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues[0].path).toBe('x-vigil-csrf');
    expect(res.cookies).toHaveLength(0);
  });

  it('refuses a wrong or malformed key with 401 and sets no cookie', async () => {
    const wrong = h.admin.slice(0, -4) + 'AAAA';
    for (const key of [wrong, 'not-a-key']) {
      const res = await signIn(key);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('VIGIL_ERR_UNAUTHENTICATED');
      expect(res.cookies).toHaveLength(0);
    }
  });
});

describe('the session cookie', () => {
  it('reads like the key it was opened with, within that key tenant', async () => {
    const session = cookieOf(await signIn(await h.key('viewer', 'acme')));
    const logs = await read(session);
    expect(logs.statusCode).toBe(200);
    // The tenant's producer events, not Vigil's own records of key changes (category vigil).
    const produced = logs.json().data.filter((e: { category: string }) => e.category !== 'vigil');
    expect(produced.map((e: { actor: { email: string } }) => e.actor.email)).toEqual(['alice@acme.example']);
    expect((await read(session, '/v1/audit/logs?tenant=globex')).statusCode).toBe(403);
    const who = await read(session, '/v1/session');
    expect(who.json()).toMatchObject({ role: 'viewer', tenant: 'acme' });
  });

  it('does not ingest or manage keys: only reads accept it', async () => {
    const session = cookieOf(await signIn(h.admin));
    const ingest = await h.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...session, ...CSRF, 'content-type': 'application/json' },
      payload: JSON.stringify({ tenant: 'acme', action: 'secret.read', actor: { type: 'user', id: 'u_9' } }),
    });
    expect(ingest.statusCode).toBe(401);
    const create = await h.app.inject({ method: 'POST', url: '/v1/keys', headers: { ...session, ...CSRF, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x', role: 'admin' }) });
    expect(create.statusCode).toBe(401);
    expect((await h.stored('acme')).map((e) => e.actor.id)).not.toContain('u_9');
  });

  it('yields to an Authorization header when both are sent', async () => {
    const session = cookieOf(await signIn(await h.key('viewer', 'acme')));
    const res = await read({ ...session, authorization: 'Bearer not-a-key' });
    expect(res.statusCode).toBe(401);
  });
});

describe('sign-out and the end of a session', () => {
  it('needs the CSRF header, then ends the session and clears the cookie', async () => {
    const session = cookieOf(await signIn(h.admin));
    const forged = await h.app.inject({ method: 'DELETE', url: '/v1/session', headers: session });
    expect(forged.statusCode).toBe(400);
    expect((await read(session)).statusCode).toBe(200);

    const out = await h.app.inject({ method: 'DELETE', url: '/v1/session', headers: { ...session, ...CSRF } });
    expect(out.statusCode).toBe(204);
    const cleared = out.cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(cleared.value).toBe('');
    expect(cleared.expires!.getTime()).toBeLessThanOrEqual(Date.now());
    const after = await read(session);
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toMatch(/sign in again/);
  });

  it('ends when its key is revoked', async () => {
    const key = await h.key('auditor', 'acme');
    const session = cookieOf(await signIn(key));
    expect((await read(session)).statusCode).toBe(200);
    const revoked = await h.app.inject({ method: 'DELETE', url: `/v1/keys/${parseApiKey(key)!.id}`, headers: { authorization: `Bearer ${h.admin}` } });
    expect(revoked.statusCode).toBe(200);
    const res = await read(session);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toMatch(/revoked/);
  });

  it('expires after its lifetime, or when its key expires if that is sooner', async () => {
    let now = Date.now();
    const sessions = new SessionStore(h.store, h.store, () => now);
    const { id } = await sessions.open(h.admin);
    now += SESSION_TTL_MS - 1000;
    await expect(sessions.principal(id)).resolves.toMatchObject({ role: 'admin' });
    now += 1000;
    await expect(sessions.principal(id)).rejects.toThrow(/expired/);

    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'short', role: 'viewer', tenant: 'acme', expires_at: expiresAt }),
    });
    now = Date.now();
    const short = await sessions.open(created.json().secret);
    expect(short.view.expires_at).toBe(expiresAt);
    now += 60_000;
    await expect(sessions.principal(short.id)).rejects.toThrow(/expired/);
  });

  it('outlives the process that opened it (kept in the store, under a hash of its id), until signed out', async () => {
    const before = new SessionStore(h.store, h.store);
    const { id } = await before.open(h.admin);
    // What a restarted server (or another process on the same database) has: the store alone.
    const after = new SessionStore(h.store, h.store);
    await expect(after.principal(id)).resolves.toMatchObject({ role: 'admin', tenant: null });
    expect(await h.store.findSession(id)).toBeNull();
    await after.close(id);
    await expect(before.principal(id)).rejects.toThrow(/signed out/);
  });

  it('is unknown for a made-up id', async () => {
    const res = await read({ cookie: `${SESSION_COOKIE}=made-up` });
    expect(res.statusCode).toBe(401);
  });
});

describe('the dashboard files', () => {
  it('serves the built app at / with a strict CSP, and hashed assets as immutable', async () => {
    if (!existsSync(path.join(DASHBOARD_DIR, 'index.html'))) throw new Error(`no dashboard build in ${DASHBOARD_DIR}: run "npm run build"`);
    const index = await h.app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.body).toContain('<div id="root">');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = readdirSync(path.join(DASHBOARD_DIR, 'assets')).find((f) => f.endsWith('.js'))!;
    const js = await h.app.inject({ method: 'GET', url: `/assets/${asset}` });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    const unknown = await h.app.inject({ method: 'GET', url: '/no-such-page' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('VIGIL_ERR_NOT_FOUND');
  });

  it('says how to build it when web/dist is missing', async () => {
    const app = Fastify();
    await dashboardRoutes(app, path.join(h.dir, 'no-build'));
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await app.close();
  });
});
