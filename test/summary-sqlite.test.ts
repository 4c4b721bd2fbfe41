import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PreparedEvent } from '../src/domain/event.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { DAY, T0 } from './support/events.js';
import { randomEvents } from './support/summary-data.js';
import { referenceSummary } from './support/summary-reference.js';

const dirs: string[] = [];
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-summary-'));
  dirs.push(dir);
  return join(dir, 'vigil.db');
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A closed store in a new file holding `events`, appended in groups of `group`. */
async function storeWith(events: readonly PreparedEvent[], group: number): Promise<string> {
  const path = tempDb();
  const store = new SqliteStore({ path });
  await store.open();
  for (let i = 0; i < events.length; i += group) await store.append([{ events: events.slice(i, i + group) }]);
  await store.close();
  return path;
}

describe('SQLite rollups', () => {
  const events = randomEvents(3, 'acme', 1500, T0, T0 + 3 * DAY);
  const q = {
    tenant: 'acme',
    filter: { fromUs: T0 + 7_000_001, toUs: T0 + 3 * DAY - 1 },
    groupBy: ['action', 'actor', 'resource', 'log', 'outcome'] as const,
    bucket: 'hour' as const,
    top: 10,
    baseline: true,
    maxScanRows: 1_000_000,
  };

  it('are durable: a reopened store answers from them the same', async () => {
    const path = await storeWith(events, 300);
    const reopened = new SqliteStore({ path });
    await reopened.open();
    const s = await reopened.summarize({ ...q, groupBy: [...q.groupBy] });
    await reopened.close();
    expect(s.plan).toEqual({ counts: 'rollup', baselines: 'rollup' });
    const { plan: _plan, ...counts } = s;
    expect(counts).toEqual(referenceSummary(events, { ...q, groupBy: [...q.groupBy] }));
  });

  it('are rebuilt from the stored events by their migration', async () => {
    const path = await storeWith(events, events.length);
    // Back to the schema before rollups existed, events kept.
    const raw = new Database(path);
    raw.exec('DROP TABLE rollups; DELETE FROM schema_migrations WHERE version IN (3, 4, 6)');
    raw.close();
    const migrated = new SqliteStore({ path });
    await migrated.open();
    const s = await migrated.summarize({ ...q, groupBy: [...q.groupBy] });
    await migrated.close();
    expect(s.plan.counts).toBe('rollup');
    const { plan: _plan, ...counts } = s;
    expect(counts).toEqual(referenceSummary(events, { ...q, groupBy: [...q.groupBy] }));
  });

  it('keep actor day rows of every log that add up the day rows of each log, also when their migration builds them', async () => {
    const path = await storeWith(events, 250);
    const allLogs = 'SELECT tenant_id, dim, start_hour, value_id, count, failures FROM rollups WHERE span = 3 ORDER BY 1, 2, 3, 4';
    const added = `SELECT tenant_id, dim, start_hour, value_id, SUM(count) AS count, SUM(failures) AS failures FROM rollups
      WHERE span = 2 AND dim = 3 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`;
    const raw = new Database(path);
    const expected = raw.prepare(added).all();
    expect(new Set(events.map((e) => e.log)).size).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan((raw.prepare('SELECT count(*) AS n FROM rollups WHERE span = 2 AND dim = 3').get() as { n: number }).n);
    expect(raw.prepare(allLogs).all()).toEqual(expected);
    // A store of the schema before them: the migration builds them from the day rows.
    raw.exec('DELETE FROM rollups WHERE span = 3; DELETE FROM schema_migrations WHERE version = 6');
    raw.close();
    const migrated = new SqliteStore({ path });
    await migrated.open();
    await migrated.close();
    const reread = new Database(path, { readonly: true });
    expect(reread.prepare(allLogs).all()).toEqual(expected);
    reread.close();
  });

  it('hold one row per tenant, dimension, bucket, value and log, however many appends fed it, and no hour rows of resources', async () => {
    const path = await storeWith(events.slice(0, 200), 1);
    const raw = new Database(path, { readonly: true });
    const hours = raw.prepare('SELECT count(*) AS n, sum(count) AS total FROM rollups WHERE dim = 0 AND span = 1').get() as { n: number; total: number };
    const resourceHours = raw.prepare('SELECT count(*) AS n FROM rollups WHERE dim = 4 AND span = 1').get() as { n: number };
    raw.close();
    expect(resourceHours.n).toBe(0);
    const distinct = new Set(events.slice(0, 200).map((e) => `${Math.floor(Date.parse(e.occurred_at) / 3_600_000)}:${e.log}`));
    expect(hours).toEqual({ n: distinct.size, total: 200 });
  });
});
