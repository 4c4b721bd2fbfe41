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

  it('are rebuilt from the stored events by their migration', async () => {
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    await raw.query('DROP TABLE rollups; DELETE FROM schema_migrations WHERE version IN (3, 4)');
    await raw.end();
    const migrated = new PostgresStore({ url: db.url, poolSize: 2 });
    await migrated.open();
    const { plan, ...counts } = await migrated.summarize(q);
    await migrated.close();
    expect(plan.counts).toBe('rollup');
    expect(counts).toEqual(referenceSummary(events, q));
  });
});
