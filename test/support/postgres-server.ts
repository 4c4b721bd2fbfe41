/**
 * A Vigil HTTP server process on the PostgreSQL store, for test/postgres-servers.test.ts: the
 * real app (buildApp), the group-commit ingestor and a PostgresStore, listening on 127.0.0.1 on a
 * port the system picks. Prints `{"port": n}` once listening; stops on SIGTERM.
 *
 * Usage: VIGIL_ADMIN_KEY=vk_… node --import tsx test/support/postgres-server.ts <database url>
 */
import { bootstrapAdminKey } from '../../src/auth/bootstrap.js';
import { buildApp } from '../../src/http/app.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';

async function main(): Promise<void> {
  const store = new PostgresStore({ url: process.argv[2]!, poolSize: 4 });
  await store.open();
  const ingestor = new Ingestor(store);
  const { app, services } = await buildApp({ store, ingestor });
  await bootstrapAdminKey(store, services.keys, process.env.VIGIL_ADMIN_KEY, () => undefined);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await app.close();
      await ingestor.drain();
      await store.close();
      process.exit(0);
    })();
  });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
