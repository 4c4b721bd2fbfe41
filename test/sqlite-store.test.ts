import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-'));
  const store = new SqliteStore({ path: join(dir, 'vigil.db') });
  await store.open();
  // A second connection, as someone with access to the file would have.
  const Database = (await import('better-sqlite3')).default;
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
