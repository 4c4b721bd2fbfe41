import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { generateApiKey } from '../src/auth/api-key.js';
import { bootstrapAdminKey, type BootstrapOutcome } from '../src/auth/bootstrap.js';
import { buildApp } from '../src/http/app.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { createTestDatabase, describePostgres, TEST_DATABASE_URL, type TestDatabase } from './support/postgres.js';

/** What a Vigil process needs to bootstrap: its own store (pool) and key service, on the shared database. */
async function startProcess(url: string) {
  // One connection: the bootstrap must not wait on the pool it appends and inserts through.
  const store = new PostgresStore({ url, poolSize: 1 });
  await store.open();
  const { app, services } = await buildApp({ store, ingestor: new Ingestor(store) });
  return { store, keys: services.keys, close: async () => (await app.close(), await store.close()) };
}

describePostgres('PostgreSQL: processes starting at once on an empty database', () => {
  let db: TestDatabase;
  let processes: Awaited<ReturnType<typeof startProcess>>[];

  beforeEach(async () => {
    db = await createTestDatabase();
    processes = [];
    for (let i = 0; i < 4; i++) processes.push(await startProcess(db.url));
  }, 60_000);
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.close()));
    await db.drop();
  });

  it('create one admin key between them, shown once, and record its creation once', async () => {
    const shown: string[] = [];
    const outcomes = await Promise.all(processes.map((p) => bootstrapAdminKey(p.store, p.keys, undefined, (token) => shown.push(token))));
    expect(outcomes.sort()).toEqual<BootstrapOutcome[]>(['created', 'not-needed', 'not-needed', 'not-needed']);
    expect(shown).toHaveLength(1);
    const keys = await processes[0]!.store.listKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.id).toBe(shown[0]!.slice(3, 15));
    const events = await processes[0]!.store.readBySeq('_platform', 0, 100, 100);
    expect(events.map((e) => JSON.parse(e.body).action)).toEqual(['vigil.key.created']);
  });

  it('install the same VIGIL_ADMIN_KEY once between them', async () => {
    const { token } = generateApiKey();
    const outcomes = await Promise.all(processes.map((p) => bootstrapAdminKey(p.store, p.keys, token, () => expect.unreachable('never printed'))));
    expect(outcomes.sort()).toEqual<BootstrapOutcome[]>(['installed', 'present', 'present', 'present']);
    expect(await processes[0]!.store.listKeys()).toHaveLength(1);
  });
});

describePostgres('PostgreSQL: bootstrapping with the database out of reach', () => {
  it('fails as unavailable, having run nothing', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.port = '1';
    const unreachable = new PostgresStore({ url: url.toString() });
    const fn = vi.fn(async () => 'ran');
    try {
      await expect(unreachable.bootstrapExclusively(fn)).rejects.toMatchObject({ code: 'VIGIL_ERR_UNAVAILABLE' });
      expect(fn).not.toHaveBeenCalled();
    } finally {
      await unreachable.close();
    }
  });
});
