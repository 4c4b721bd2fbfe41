import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import type { SummaryQuery } from '../src/store/store.js';
import { DAY, T0 } from './support/events.js';
import { createTestDatabase, describePostgres, type TestDatabase } from './support/postgres.js';
import { randomEvents } from './support/summary-data.js';
import { referenceSummary } from './support/summary-reference.js';

describePostgres('PostgreSQL rollups', () => {
  const events = randomEvents(4, 'acme', 1200, T0, T0 + 3 * DAY);
  const q: SummaryQuery = {
    tenant: 'acme',
    filter: { fromUs: T0 + 7_000_001, toUs: T0 + 3 * DAY - 1 },
    groupBy: ['action', 'actor', 'resource', 'log', 'outcome'],
    bucket: 'hour',
    top: 10,
    baseline: true,
    maxScanRows: 1_000_000,
  };
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const writer = new PostgresStore({ url: db.url, poolSize: 2 });
    await writer.open();
    for (let i = 0; i < events.length; i += 300) await writer.append([{ events: events.slice(i, i + 300) }]);
    await writer.close();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('are shared: another process answers from them what the events say', async () => {
    const reader = new PostgresStore({ url: db.url, poolSize: 2 });
    await reader.open();
    const { plan, ...counts } = await reader.summarize(q);
    await reader.close();
    expect(plan).toEqual({ counts: 'rollup', baselines: 'rollup' });
    expect(counts).toEqual(referenceSummary(events, q));
  });

  /** Events the rollups count for `tenant`: the sum of its total row per hour. */
  async function counted(tenant: string): Promise<number> {
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    const { rows } = await raw.query<{ n: string | null }>(
      'SELECT sum(r.count) AS n FROM rollups r JOIN tenants t ON t.id = r.tenant_id WHERE t.name = $1 AND r.dim = 0 AND r.span = 1',
      [tenant],
    );
    await raw.end();
    return Number(rows[0]!.n ?? 0);
  }

  it('count every event once when several processes fold at the same moment', async () => {
    const beta = randomEvents(5, 'beta', 900, T0, T0 + 3 * DAY);
    const stores = [0, 1, 2].map(() => new PostgresStore({ url: db.url, poolSize: 2 }));
    await Promise.all(stores.map((s) => s.open()));
    for (let i = 0; i < beta.length; i += 300) await stores[i % 3]!.append([{ events: beta.slice(i, i + 300) }]);
    const answers = await Promise.all(stores.map((s) => s.summarize({ ...q, tenant: 'beta' })));
    await Promise.all(stores.map((s) => s.close()));
    for (const { plan, ...counts } of answers) expect(counts).toEqual(referenceSummary(beta, { ...q, tenant: 'beta' }));
    expect(await counted('beta')).toBe(beta.length);
  });

  it('are counted in the background, with no summary asked', async () => {
    const delta = randomEvents(7, 'delta', 300, T0, T0 + DAY);
    const store = new PostgresStore({ url: db.url, poolSize: 2 });
    await store.open();
    try {
      await store.append([{ events: delta }]);
      // The fold runs once a second; give it a few before concluding it does not.
      for (let waited = 0; waited < 5_000 && (await counted('delta')) < delta.length; waited += 100) await sleep(100);
      expect(await counted('delta')).toBe(delta.length);
    } finally {
      await store.close();
    }
  });

  it('count events purged right after they were stored (the purge folds first)', async () => {
    const gamma = randomEvents(6, 'gamma', 400, T0, T0 + DAY);
    const store = new PostgresStore({ url: db.url, poolSize: 2 });
    await store.open();
    await store.append([{ events: gamma }]);
    const purged = await store.purgeEvents('gamma', { beforeUs: T0 + 2 * DAY, belowSeq: gamma.length }, 10_000);
    await store.close();
    expect(purged).toBe(gamma.length);
    expect(await counted('gamma')).toBe(gamma.length);
  });

  it('are rebuilt from the stored events by their migration', async () => {
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    await raw.query('DROP TABLE rollups, rollup_marks; DELETE FROM schema_migrations WHERE version IN (3, 4, 6)');
    await raw.end();
    const migrated = new PostgresStore({ url: db.url, poolSize: 2 });
    await migrated.open();
    const { plan, ...counts } = await migrated.summarize(q);
    await migrated.close();
    expect(plan.counts).toBe('rollup');
    expect(counts).toEqual(referenceSummary(events, q));
  });
});
