/**
 * A real Vigil app for export and retention tests: a SQLite store in a directory, the
 * group-commit ingestor, the Fastify app with export destinations and retention settings, and
 * helpers to fill the store and call the API through `inject`. `restart()` closes everything
 * and opens the same database again, as a restarted server would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generateApiKey } from '../../src/auth/api-key.js';
import type { Role } from '../../src/domain/access.js';
import type { PreparedEvent } from '../../src/domain/event.js';
import type { BackgroundOptions } from '../../src/export/jobs/background.js';
import { buildApp, type AppDeps, type AppServices } from '../../src/http/app.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { preparedEvent } from './events.js';

export interface ExportApp {
  app: FastifyInstance;
  store: SqliteStore;
  services: AppServices;
  dir: string;
  admin: string;
  key(role: Role, tenant: string | null): Promise<string>;
  request(method: 'GET' | 'POST' | 'PUT', key: string, url: string, body?: unknown): Promise<LightMyRequestResponse>;
  /** Stores `n` events straight through the store (fast), `make(i)` overriding the defaults. */
  fill(tenant: string, n: number, make?: (i: number) => Partial<PreparedEvent> & { atUs?: number }): Promise<void>;
  /** Closes app and store, and opens the same database again (keys survive). */
  restart(jobs?: BackgroundOptions): Promise<ExportApp>;
  close(options?: { keepFiles?: boolean }): Promise<void>;
}

export interface ExportAppOptions {
  jobs?: BackgroundOptions;
  /** Checkpoint signing (the signer, kept across restarts); default: a key made for this app. */
  integrity?: AppDeps['integrity'];
  /** Reuse a directory (restart); default: a new temp directory. */
  dir?: string;
  admin?: string;
  /** Wraps the store the app uses (e.g. to count or pause calls); the raw store stays in `store`. */
  wrap?: (store: SqliteStore) => Store;
}

export async function startExportApp(options: ExportAppOptions = {}): Promise<ExportApp> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'vigil-export-'));
  const store = new SqliteStore({ path: path.join(dir, 'vigil.db') });
  await store.open();
  const used = options.wrap ? options.wrap(store) : store;
  const ingestor = new Ingestor(used);
  const { app, services } = await buildApp({
    store: used,
    ingestor,
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.integrity ? { integrity: options.integrity } : {}),
  });
  const admin = options.admin ?? (await services.keys.createAsSystem({ name: 'admin', role: 'admin' }, generateApiKey())).token;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const self: ExportApp = {
    app,
    store,
    services,
    dir,
    admin,
    async key(role, tenant) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/keys',
        headers: auth(admin),
        payload: { name: `${role}-${tenant ?? 'platform'}`, role, ...(tenant === null ? {} : { tenant }) },
      });
      if (res.statusCode !== 201) throw new Error(`creating a ${role} key failed: ${res.body}`);
      return res.json<{ secret: string }>().secret;
    },
    request(method, key, url, body) {
      return app.inject({ method, url, headers: auth(key), ...(body === undefined ? {} : { payload: body as object }) });
    },
    async fill(tenant, n, make = () => ({})) {
      for (let from = 0; from < n; from += 5000) {
        const events = Array.from({ length: Math.min(5000, n - from) }, (_, i) => preparedEvent({ tenant, ...make(from + i) }));
        const [result] = await store.append([{ events }]);
        if (!result?.ok) throw new Error('append refused');
      }
    },
    async restart(jobs) {
      await self.close({ keepFiles: true });
      return startExportApp({ ...options, dir, admin, ...(jobs ? { jobs } : {}) });
    },
    async close({ keepFiles = false } = {}) {
      await services.background.stop();
      await app.close();
      await ingestor.drain();
      await store.close();
      if (!keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
