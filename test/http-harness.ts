/**
 * A real Vigil app for HTTP tests: a SQLite store in a temp directory, the group-commit
 * ingestor, and the Fastify app driven through `inject`. The platform admin key is created
 * the way the first start creates it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generateApiKey } from '../src/auth/api-key.js';
import type { Role } from '../src/domain/access.js';
import { buildApp, type AppServices } from '../src/http/app.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

export interface Harness {
  app: FastifyInstance;
  store: SqliteStore;
  services: AppServices;
  dir: string;
  dbPath: string;
  /** The platform admin key ('' when started without one). */
  admin: string;
  /** Creates a key through the API (as the platform admin unless `as` is given); returns its secret. */
  key(role: Role, tenant: string | null, as?: string): Promise<string>;
  /** POST /v1/events. */
  send(key: string, body: unknown, headers?: Record<string, string>, query?: string): Promise<LightMyRequestResponse>;
  /** GET with a key; `query` as an object (arrays repeat the parameter) or a raw string. */
  get(key: string, url: string, query?: Record<string, string | string[]> | string): Promise<LightMyRequestResponse>;
  /** The producers' events of a tenant (not Vigil's own, category vigil), oldest first, read straight from the store. */
  stored(tenant: string): Promise<Record<string, any>[]>;
  close(): Promise<void>;
}

/** `withAdmin: false` leaves the store without any key, as on a first start; `bodyDictionaryAfter` as SqliteStoreOptions says. */
export async function startHarness({ withAdmin = true, bodyDictionaryAfter = undefined as number | undefined } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-http-'));
  const dbPath = path.join(dir, 'vigil.db');
  const store = new SqliteStore({ path: dbPath, ...(bodyDictionaryAfter === undefined ? {} : { bodyDictionaryAfter }) });
  await store.open();
  const ingestor = new Ingestor(store);
  const { app, services } = await buildApp({ store, ingestor });
  const admin = withAdmin ? (await services.keys.createAsSystem({ name: 'admin', role: 'admin' }, generateApiKey())).token : '';

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const harness: Harness = {
    app,
    store,
    services,
    dir,
    dbPath,
    admin,
    async key(role, tenant, as = admin) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/keys',
        headers: auth(as),
        payload: { name: `${role}-${tenant ?? 'platform'}`, role, ...(tenant === null ? {} : { tenant }) },
      });
      if (res.statusCode !== 201) throw new Error(`creating a ${role} key failed: ${res.body}`);
      return res.json<{ secret: string }>().secret;
    },
    send(key, body, headers = {}, query = '') {
      const json = { 'content-type': 'application/json' };
      return app.inject({ method: 'POST', url: `/v1/events${query}`, headers: { ...auth(key), ...json, ...headers }, payload: JSON.stringify(body) });
    },
    get(key, url, query) {
      const qs = typeof query === 'string' ? query : query ? toQueryString(query) : '';
      return app.inject({ method: 'GET', url: qs ? `${url}?${qs}` : url, headers: auth(key) });
    },
    async stored(tenant) {
      const rows = await store.readBySeq(tenant, 0, Number.MAX_SAFE_INTEGER, 100_000);
      return rows.map((r) => JSON.parse(r.body) as Record<string, any>).filter((e) => e.category !== 'vigil');
    },
    async close() {
      await app.close();
      await ingestor.drain();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

export function toQueryString(query: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) for (const v of [value].flat()) params.append(name, v);
  return params.toString();
}

/** The `data` of a page response. */
export function events(res: LightMyRequestResponse): Record<string, any>[] {
  if (res.statusCode !== 200) throw new Error(`expected 200, got ${res.statusCode}: ${res.body}`);
  return res.json<{ data: Record<string, any>[] }>().data;
}
