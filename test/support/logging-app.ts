import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { generateApiKey } from '../../src/auth/api-key.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/logger.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** An app on an in-memory store whose request logs (level trace) are captured, with an admin key. */
export interface LoggingApp {
  app: FastifyInstance;
  admin: string;
  /** Everything logged so far. */
  log(): string;
  close(): Promise<void>;
}

export async function startLoggingApp(): Promise<LoggingApp> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  const ingestor = new Ingestor(store);
  const { app, services } = await buildApp({ store, ingestor, logger: createLogger('trace', sink) });
  const admin = (await services.keys.createAsSystem({ name: 'admin', role: 'admin' }, generateApiKey())).token;
  return {
    app,
    admin,
    log: () => lines.join(''),
    async close() {
      await app.close();
      await ingestor.drain();
      await store.close();
    },
  };
}
