import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VigilError } from '../src/domain/errors.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { preparedEvent } from './support/events.js';
import { createTestDatabase, describePostgres, startTcpProxy, type TcpProxy, type TestDatabase } from './support/postgres.js';

/** Resolves to the VigilError code `promise` rejects with (or 'resolved'). */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return err instanceof VigilError ? `${err.code} ${err.status}` : `other: ${String(err)}`;
  }
}

describePostgres('PostgreSQL store: database outages', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let store: PostgresStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy();
    store = new PostgresStore({ url: proxy.url(db.url), poolSize: 3 });
    await store.open();
  });
  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('answers 503 while the database is unreachable, stores nothing, and recovers by itself', async () => {
    const T = 'outage';
    const ingestor = new Ingestor(store);
    expect((await ingestor.submit({ events: [preparedEvent({ tenant: T })] })).ok).toBe(true);

    await proxy.cut();
    const lost = [preparedEvent({ tenant: T }), preparedEvent({ tenant: T })];
    expect(await outcome(ingestor.submit({ events: lost }))).toBe('VIGIL_ERR_UNAVAILABLE 503');
    expect(await outcome(store.ping())).toBe('VIGIL_ERR_UNAVAILABLE 503');
    expect(await outcome(store.query({ tenant: T, filter: {}, order: 'desc', limit: 10 }))).toBe('VIGIL_ERR_UNAVAILABLE 503');

    await proxy.restore();
    expect(await outcome(store.ping())).toBe('resolved');
    // The producer retries the refused request: stored now, with the next seqs, nothing lost or doubled.
    const retried = await ingestor.submit({ events: lost });
    expect(retried.ok && retried.events.map((e) => [e.seq, e.duplicate])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect((await store.readBySeq(T, 0, 10, 10)).map((r) => r.seq)).toEqual([0, 1, 2]);
  });

  it('drops connections that the server terminated and carries on', async () => {
    const T = 'terminated';
    await store.append([{ events: [preparedEvent({ tenant: T })] }]);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>(
        "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'vigil'",
      );
      expect(rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    // A connection may be handed out before its termination notice was read: that call fails
    // as unavailable, never otherwise, and the next one gets a fresh connection.
    const first = await outcome(store.append([{ events: [preparedEvent({ tenant: T })] }]));
    expect(['resolved', 'VIGIL_ERR_UNAVAILABLE 503']).toContain(first);
    const [again] = await store.append([{ events: [preparedEvent({ tenant: T })] }]);
    expect(again!.ok).toBe(true);
    const seqs = (await store.readBySeq(T, 0, 10, 10)).map((r) => r.seq);
    expect(seqs).toEqual([...Array(seqs.length).keys()]);
    expect(seqs.length).toBe(first === 'resolved' ? 3 : 2);
  });
});
