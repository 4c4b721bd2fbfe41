import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { bootstrapAdminKey } from '../auth/bootstrap.js';
import type { Config } from '../config/config.js';
import { EXPORT_ENCODERS } from '../export/encoder-pool.js';
import { loadBackgroundOptions } from '../export/jobs/background.js';
import { buildApp } from '../http/app.js';
import { createLogger } from '../http/logger.js';
import { Ingestor } from '../ingest/ingestor.js';
import { loadIntegrityOptions } from '../integrity/integrity-config.js';
import type { Store } from '../store/store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';

/**
 * The store the config selects: PostgreSQL when VIGIL_DATABASE_URL is set, else SQLite at
 * `<dataDir>/vigil.db`. The PostgreSQL driver is loaded only when selected (about 16 MB of memory).
 */
export async function openStore(config: Config): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    const { PostgresStore } = await import('../store/postgres/postgres-store.js');
    return new PostgresStore({ url: config.databaseUrl, poolSize: config.databasePoolSize });
  }
  mkdirSync(config.dataDir, { recursive: true });
  return new SqliteStore({ path: path.join(config.dataDir, 'vigil.db'), synchronous: config.sqliteSynchronous });
}

/**
 * `vigil serve`: opens the store, makes sure an admin key exists, and listens. On SIGTERM or
 * SIGINT it stops accepting requests, lets the ones in flight finish (their events are
 * committed), drains the ingestor and closes the store.
 */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const store = await openStore(config);
  await store.open();
  const ingestor = new Ingestor(store);
  const integrity = await loadIntegrityOptions(process.env, config.dataDir);
  const jobs = { ...loadBackgroundOptions(process.env), logger };
  const { app, services } = await buildApp({ store, ingestor, logger, jobs, integrity });

  await bootstrapAdminKey(store, services.keys, config.adminKey, showFirstKey);
  await app.listen({ port: config.port, host: config.host });
  // Export jobs and retention runs; a job left running by the previous process resumes now.
  services.background.start();
  // Signed checkpoints as tenants' logs grow, about once a second at most.
  services.checkpointer.start();

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A job in progress stops between files and resumes at the next start.
    await services.background.stop();
    await services.checkpointer.stop();
    await app.close();
    await ingestor.drain();
    // The export threads' connections first: the store's is then the last, which removes the write-ahead log.
    await EXPORT_ENCODERS.close();
    await store.close();
    // The request log is written in batches: its last lines first, unless standard output no longer drains.
    setTimeout(() => process.exit(0), 2_000).unref();
    logger.flush(() => process.exit(0));
  };
  process.once('SIGTERM', (s) => void stop(s));
  process.once('SIGINT', (s) => void stop(s));
}

/** Printed straight to stdout, never through the logger: log pipelines must not keep it. */
function showFirstKey(token: string): void {
  process.stdout.write(
    [
      '',
      'Vigil created the first admin key (a platform key: it can manage every tenant).',
      'It is shown only this once; store it somewhere safe:',
      '',
      `  ${token}`,
      '',
      '',
    ].join('\n'),
  );
}
