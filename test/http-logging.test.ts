/** Request logs never carry API keys or request bodies (which may hold secrets). */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/http/logger.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

describe('request logging', () => {
  it('logs requests without their Authorization header or body', async () => {
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
    const marker = 'body-marker-7f3a9c';
    const headers = { authorization: `Bearer ${admin}` };
    const sent = await app.inject({ method: 'POST', url: '/v1/events', headers, payload: { tenant: 'acme', action: 'secret.read', actor: { type: 'user', id: marker } } });
    expect(sent.statusCode).toBe(201);
    await app.inject({ method: 'POST', url: '/v1/events', headers, payload: { tenant: 'acme', action: marker } });
    await app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${admin.slice(0, -3)}xyz` }, payload: { marker } });
    await app.close();
    await ingestor.drain();
    await store.close();

    const log = lines.join('');
    expect(log).toContain('"url":"/v1/events"');
    expect(log).not.toContain(admin.slice(16));
    expect(log).not.toContain(marker);
  });
});
