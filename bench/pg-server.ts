/**
 * `vigil serve` on the PostgreSQL store, for the benchmark only, while src/cli/serve.ts does not
 * select it yet (issue 3): the same app, ingestor and admin-key bootstrap, with PostgresStore.
 * bench/server.ts stops using this file by itself once `vigil serve` accepts VIGIL_DATABASE_URL;
 * delete it then.
 *
 *   VIGIL_DATABASE_URL=postgres://… PORT=… HOST=127.0.0.1 VIGIL_ADMIN_KEY=vk_… node --import tsx bench/pg-server.ts
 */
import { bootstrapAdminKey } from '../src/auth/bootstrap.js';
import { loadConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/http/logger.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';

const config = loadConfig(process.env);
if (config.databaseUrl === undefined) throw new Error('VIGIL_DATABASE_URL is required');
const logger = createLogger(config.logLevel);
const store = new PostgresStore({ url: config.databaseUrl });
await store.open();
const ingestor = new Ingestor(store);
const { app, services } = await buildApp({ store, ingestor, logger });
await bootstrapAdminKey(store, services.keys, config.adminKey, () => undefined);
await app.listen({ port: config.port, host: config.host });

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await ingestor.drain();
    await store.close();
    process.exit(0);
  })();
});
