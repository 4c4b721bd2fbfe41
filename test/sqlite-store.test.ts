import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';
import { MINUTE, preparedEvent, T0 } from './support/events.js';

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-'));
  const store = new SqliteStore({ path: join(dir, 'vigil.db') });
  await store.open();
  // A second connection, as someone with access to the file would have.
  const raw = new Database(join(dir, 'vigil.db'));
  return {
    store,
    exec: async (sql) => void raw.exec(sql),
    destroy: async () => {
      raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite rollups waiting in memory', () => {
  it('are counted again from the events when the store opens after a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-rollups-'));
    const file = join(dir, 'vigil.db');
    const raw = new Database(file);
    const counted = () =>
      (raw.prepare('SELECT coalesce(sum(count), 0) AS n FROM rollups WHERE dim = 0 AND span = 1').get() as { n: number }).n;
    try {
      const crashed = new SqliteStore({ path: file });
      await crashed.open();
      const events = (from: number) => Array.from({ length: 20 }, (_, i) => preparedEvent({ tenant: 'roll', atUs: T0 + (from + i) * MINUTE }));
      // The second append comes well within a second of the first: its rollups wait in memory.
      await crashed.append([{ events: events(0) }]);
      await crashed.append([{ events: events(20) }]);
      expect(counted()).toBeLessThan(40);
      // The process dies without closing the store: nothing flushes what waits.
      (crashed as unknown as { db: Database.Database }).db.close();

      const reopened = new SqliteStore({ path: file });
      await reopened.open();
      expect(counted()).toBe(40);
      // Only once: opening again counts nothing twice.
      await reopened.close();
      const again = new SqliteStore({ path: file });
      await again.open();
      expect(counted()).toBe(40);
      await again.append([{ events: events(40) }]);
      await again.close();
      expect(counted()).toBe(60);
    } finally {
      raw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
