/**
 * Key management: keys are shown once and stored only as hashes, revoked and expired keys are
 * refused, every change is recorded as a `vigil` event without the secret, and the first start
 * (or VIGIL_ADMIN_KEY) provides an admin key.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashSecret, parseApiKey } from '../src/auth/api-key.js';
import { authenticate } from '../src/auth/authenticate.js';
import { bootstrapAdminKey } from '../src/auth/bootstrap.js';
import { PLATFORM_TENANT } from '../src/domain/access.js';
import { startHarness, type Harness } from './http-harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const inject = (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  h.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });

/** Vigil's own events in a tenant's log, oldest first. */
async function vigilEvents(tenant: string): Promise<Record<string, any>[]> {
  const rows = await h.store.readBySeq(tenant, 0, Number.MAX_SAFE_INTEGER, 10_000);
  return rows.map((r) => JSON.parse(r.body)).filter((e) => e.category === 'vigil');
}

describe('keys', () => {
  it('creates a key, shows its secret once, and records the creation without the secret', async () => {
    const res = await inject(h.admin, 'POST', '/v1/keys', { name: 'ci deploy', role: 'writer', tenant: 'acme' });
    expect(res.statusCode).toBe(201);
    const { key, secret } = res.json<{ key: Record<string, unknown>; secret: string }>();
    expect(parseApiKey(secret)?.id).toBe(key.id);
    expect(key).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      name: 'ci deploy',
      role: 'writer',
      tenant: 'acme',
      created_at: expect.any(String),
      created_by: parseApiKey(h.admin)!.id,
      expires_at: null,
      revoked_at: null,
    });
    const listed = await inject(h.admin, 'GET', '/v1/keys?tenant=acme');
    expect(listed.json<{ data: unknown[] }>().data).toEqual([key]);
    expect(listed.body).not.toContain(parseApiKey(secret)!.secret);

    const [recorded] = (await vigilEvents('acme')).filter((e) => e.resource.id === key.id);
    expect(recorded).toMatchObject({
      action: 'vigil.key.created',
      category: 'vigil',
      crud: 'create',
      actor: { type: 'api_key', id: parseApiKey(h.admin)!.id, name: 'admin' },
      resource: { type: 'api_key', id: key.id, name: 'ci deploy' },
      context: { role: 'writer', scope: 'acme' },
    });
    expect(JSON.stringify(recorded)).not.toContain(parseApiKey(secret)!.secret);
  });

  it('keeps only a hash of the secret in the database file', async () => {
    const secret = await h.key('viewer', 'acme');
    const { secret: plain } = parseApiKey(secret)!;
    await h.store.close();
    const files = readdirSync(h.dir).filter((f) => f.startsWith('vigil.db'));
    const bytes = Buffer.concat(files.map((f) => readFileSync(path.join(h.dir, f))));
    expect(bytes.includes(Buffer.from(plain))).toBe(false);
    expect(bytes.includes(Buffer.from(hashSecret(plain)))).toBe(true);
    await h.store.open();
  });

  it('revokes a key: it is refused from then on, and the revocation is recorded', async () => {
    const secret = await h.key('viewer', 'acme');
    const id = parseApiKey(secret)!.id;
    expect((await inject(secret, 'GET', '/v1/audit/logs')).statusCode).toBe(200);
    const res = await inject(h.admin, 'DELETE', `/v1/keys/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json<{ revoked_at: string }>().revoked_at).toEqual(expect.any(String));
    const refused = await inject(secret, 'GET', '/v1/audit/logs');
    expect(refused.statusCode).toBe(401);
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/revoked/);
    expect((await vigilEvents('acme')).filter((e) => e.resource.id === id).map((e) => e.action)).toEqual(['vigil.key.created', 'vigil.key.revoked']);
    // Revoking again changes nothing and records nothing.
    expect((await inject(h.admin, 'DELETE', `/v1/keys/${id}`)).statusCode).toBe(200);
    expect((await vigilEvents('acme')).filter((e) => e.resource.id === id)).toHaveLength(2);
    expect((await inject(h.admin, 'DELETE', '/v1/keys/000000000000')).statusCode).toBe(404);
  });

  it('refuses an expired key', async () => {
    const res = await inject(h.admin, 'POST', '/v1/keys', { name: 'short', role: 'viewer', tenant: 'acme', expires_at: new Date(Date.now() + 60_000).toISOString() });
    const secret = res.json<{ secret: string }>().secret;
    expect((await authenticate(h.store, `Bearer ${secret}`)).role).toBe('viewer');
    await expect(authenticate(h.store, `Bearer ${secret}`, new Date(Date.now() + 120_000))).rejects.toThrow(/expired/);
  });

  it('records platform key changes in the _platform log', async () => {
    const secret = await h.key('auditor', null);
    const id = parseApiKey(secret)!.id;
    const recorded = (await vigilEvents(PLATFORM_TENANT)).filter((e) => e.resource.id === id);
    expect(recorded).toMatchObject([{ action: 'vigil.key.created', context: { scope: 'platform', role: 'auditor' } }]);
    const read = await inject(h.admin, 'GET', `/v1/audit/logs?tenant=${PLATFORM_TENANT}&category=vigil`);
    expect(read.statusCode).toBe(200);
    expect(read.json<{ data: { resource: { id: string } }[] }>().data.some((e) => e.resource.id === id)).toBe(true);
  });

  it('a tenant admin creates keys for its own tenant only, never platform keys', async () => {
    const tenantAdmin = await h.key('admin', 'initech');
    const own = await inject(tenantAdmin, 'POST', '/v1/keys', { name: 'reader', role: 'viewer' });
    expect(own.statusCode).toBe(201);
    expect(own.json<{ key: { tenant: string } }>().key.tenant).toBe('initech');
    const other = await inject(tenantAdmin, 'POST', '/v1/keys', { name: 'reader', role: 'viewer', tenant: 'acme' });
    expect(other.statusCode).toBe(403);
  });

  it.each([
    [{ role: 'viewer' }, 'name'],
    [{ name: 'x', role: 'root' }, 'role'],
    [{ name: '', role: 'viewer' }, 'name'],
    [{ name: 'x', role: 'viewer', colour: 'red' }, 'colour'],
    [{ name: 'x', role: 'viewer', tenant: 'Not A Tenant' }, 'tenant'],
    [{ name: 'x', role: 'viewer', expires_at: 'soon' }, 'expires_at'],
    [{ name: 'x', role: 'viewer', tenant: 'acme', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
  ])('refuses %j naming %s, creating nothing', async (payload, field) => {
    const count = (await h.store.listKeys()).length;
    const res = await inject(h.admin, 'POST', '/v1/keys', payload);
    expect(res.statusCode).toBe(400);
    const error = res.json<{ error: { code: string; issues: { path: string }[] } }>().error;
    expect(error.code).toBe('VIGIL_ERR_VALIDATION');
    expect(error.issues.map((i) => i.path)).toContain(field);
    expect((await h.store.listKeys()).length).toBe(count);
  });
});

describe('bootstrap', () => {
  it('creates and shows one admin key on first start only', async () => {
    const fresh = await startHarness({ withAdmin: false });
    const shown: string[] = [];
    expect(await bootstrapAdminKey(fresh.store, fresh.services.keys, undefined, (t) => shown.push(t))).toBe('created');
    expect(shown).toHaveLength(1);
    expect((await authenticate(fresh.store, `Bearer ${shown[0]}`)).role).toBe('admin');
    expect(await bootstrapAdminKey(fresh.store, fresh.services.keys, undefined, (t) => shown.push(t))).toBe('not-needed');
    expect(shown).toHaveLength(1);
    await fresh.close();
  });

  it('installs VIGIL_ADMIN_KEY as a platform admin key, once, and refuses a malformed one', async () => {
    const fresh = await startHarness({ withAdmin: false });
    const { token } = generateApiKey();
    const show = () => expect.unreachable('an env-provided key is never printed');
    expect(await bootstrapAdminKey(fresh.store, fresh.services.keys, token, show)).toBe('installed');
    expect(await authenticate(fresh.store, `Bearer ${token}`)).toMatchObject({ role: 'admin', tenant: null });
    expect(await bootstrapAdminKey(fresh.store, fresh.services.keys, token, show)).toBe('present');
    await expect(bootstrapAdminKey(fresh.store, fresh.services.keys, 'letmein', show)).rejects.toThrow(/VIGIL_ADMIN_KEY/);
    const sameId = `${token.slice(0, 16)}${generateApiKey().secret}`;
    await expect(bootstrapAdminKey(fresh.store, fresh.services.keys, sameId, show)).rejects.toThrow(/already exists/);
    await fresh.close();
  });
});
