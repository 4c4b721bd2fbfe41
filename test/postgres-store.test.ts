import pg from 'pg';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { describeStoreContract } from './store-contract.js';
import { createTestDatabase, describePostgres } from './support/postgres.js';

describePostgres('PostgreSQL store', () => {
  describeStoreContract('postgres', async () => {
    const db = await createTestDatabase();
    const store = new PostgresStore({ url: db.url, poolSize: 4 });
    await store.open();
    // A second connection, as someone with access to the database would have.
    const raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    return {
      store,
      exec: async (sql) => {
        await raw.query(sql);
      },
      destroy: async () => {
        await raw.end();
        await store.close();
        await db.drop();
      },
    };
  });
});
