import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashLeaf } from '../src/integrity/hash.js';
import { appendLeaves } from '../src/integrity/tiles.js';
import { MIGRATIONS } from '../src/store/postgres/migrations.js';
import { monthOf, partitionName } from '../src/store/postgres/partitions.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { describeStoreContract } from './store-contract.js';
import { T0, preparedEvent } from './support/events.js';
import { referenceRoot } from './support/merkle-reference.js';
import { createTestDatabase, describePostgres, type TestDatabase } from './support/postgres.js';

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

describePostgres('PostgreSQL store: schema, partitions, append-only, caches', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  let raw: pg.Client;
  const sql = async <R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []) =>
    (await raw.query<R>(text, values)).rows;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two processes starting at the same moment on a fresh database: the advisory lock orders them.
    const [a, b] = [new PostgresStore({ url: db.url, poolSize: 2 }), new PostgresStore({ url: db.url, poolSize: 2 })];
    await Promise.all([a.open(), b.open()]);
    await b.close();
    store = a;
    raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
  });
  afterAll(async () => {
    await raw?.end();
    await store?.close();
    await db?.drop();
  });

  it('applies each migration once when two stores open a fresh database together', async () => {
    const rows = await sql<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('creates the current month and the next ones ahead at open', async () => {
    const current = monthOf(Date.now() * 1000);
    const names = (await sql<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`,
    )).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining([current, current + 1, current + 2].map(partitionName)));
  });

  it('creates the partition of an old month when its first event arrives', async () => {
    const at = Date.UTC(2019, 2, 15) * 1000;
    const [result] = await store.append([{ events: [preparedEvent({ tenant: 'backfill', atUs: at })] }]);
    expect(result!.ok).toBe(true);
    const [bounds] = await sql<{ bound: string }>(
      "SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_class c WHERE c.relname = 'events_p2019_03'",
    );
    expect(bounds!.bound).toBe(`FOR VALUES FROM ('${Date.UTC(2019, 2, 1) * 1000}') TO ('${Date.UTC(2019, 3, 1) * 1000}')`);
    expect((await store.query({ tenant: 'backfill', filter: {}, order: 'desc', limit: 10 })).map((r) => r.occurredUs)).toEqual([at]);
  });

  it('accepts an event for a month whose partition was dropped meanwhile', async () => {
    const at = Date.UTC(2020, 5, 1) * 1000;
    await store.append([{ events: [preparedEvent({ tenant: 'dropped', atUs: at })] }]);
    // What the retention job does with a whole month: keys first, then the partition.
    await sql('BEGIN');
    await sql("SET LOCAL vigil.purge = 'on'");
    await sql(`DELETE FROM event_keys k USING events_p2020_06 e WHERE k.tenant_id = e.tenant_id AND k.seq = e.seq`);
    await sql('ALTER TABLE events DETACH PARTITION events_p2020_06');
    await sql('DROP TABLE events_p2020_06');
    await sql('COMMIT');
    // This store still believes the month has a partition: the insert fails, it re-checks, creates it, retries.
    const [result] = await store.append([{ events: [preparedEvent({ tenant: 'dropped', atUs: at + 1 })] }]);
    expect(result!.ok && result!.events.map((e) => e.seq)).toEqual([1]);
    expect((await store.readBySeq('dropped', 0, 10, 10)).map((r) => r.seq)).toEqual([1]);
  });

  it('refuses changes to events on every partition, their keys and tiles; lets the purge delete', async () => {
    const event = preparedEvent({ tenant: 'guarded' });
    await store.append([{ events: [event] }]);
    const partition = partitionName(monthOf(T0));
    await expect(sql(`UPDATE ${partition} SET body = '{}'`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(sql(`DELETE FROM ${partition}`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(sql('TRUNCATE events')).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(sql(`TRUNCATE ${partition}`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(sql('UPDATE event_keys SET seq = seq + 1')).rejects.toThrow(/append-only/);
    await expect(sql('DELETE FROM event_keys')).rejects.toThrow(/append-only/);
    await expect(sql("UPDATE merkle_tiles SET hashes = '\\x00'")).rejects.toThrow(/only grow/);
    await expect(sql('DELETE FROM merkle_tiles')).rejects.toThrow(/only grow/);

    await sql('BEGIN');
    await sql("SET LOCAL vigil.purge = 'on'");
    await expect(sql('UPDATE events SET body = body')).rejects.toThrow(/append-only: UPDATE refused/);
    await sql('ROLLBACK');
    await sql('BEGIN');
    await sql("SET LOCAL vigil.purge = 'on'");
    const [tenant] = await sql<{ id: number }>("SELECT id FROM tenants WHERE name = 'guarded'");
    await sql('DELETE FROM events WHERE tenant_id = $1', [tenant!.id]);
    await sql('DELETE FROM event_keys WHERE tenant_id = $1', [tenant!.id]);
    await sql('COMMIT');
    expect(await store.getEvent('guarded', event.id)).toBeNull();
    // SET LOCAL ended with its transaction.
    await expect(sql('DELETE FROM events')).rejects.toThrow(/append-only/);
  });

  it('grows tiles by the hashes they gain, and refuses an append over a tile grown behind its back', async () => {
    const T = 'tiles';
    // Appends that end inside a tile, on a tile boundary and across one: 1, 254, 1, 44 leaves.
    for (const count of [1, 254, 1, 44]) {
      await store.append([{ events: Array.from({ length: count }, () => preparedEvent({ tenant: T })) }]);
    }
    const [tenant] = await sql<{ id: number }>('SELECT id FROM tenants WHERE name = $1', [T]);
    const tiles = async () =>
      (await sql<{ level: number; idx: string; hashes: Buffer }>('SELECT level, idx, hashes FROM merkle_tiles WHERE tenant_id = $1 ORDER BY level, idx', [tenant!.id]))
        .map((r) => ({ level: r.level, index: Number(r.idx), hashes: r.hashes.toString('hex') }));
    const leaves = (await store.readBySeq(T, 0, 300, 300)).map((r) => hashLeaf(r.body));
    const reference = appendLeaves(0, new Map(), leaves).writes.map((w) => ({ level: w.level, index: w.index, hashes: Buffer.from(w.hashes).toString('hex') }));
    expect(await tiles()).toEqual(reference);

    // Growing is all the tiles' trigger lets anyone do; the next append must not build on it.
    await sql("UPDATE merkle_tiles SET hashes = hashes || '\\x00'::bytea WHERE tenant_id = $1 AND level = 0 AND idx = 1", [tenant!.id]);
    const head = await store.treeHead(T);
    await expect(store.append([{ events: [preparedEvent({ tenant: T })] }])).rejects.toThrow(/did not match the tree head/);
    expect((await store.treeHead(T)).size).toBe(head.size);
    expect(await sql('SELECT 1 FROM event_keys WHERE tenant_id = $1 AND seq = 300', [tenant!.id])).toEqual([]);
  });

  it('never caches ids or tree heads of a transaction that rolled back', async () => {
    const T = 'rollback';
    await store.append([{ events: [preparedEvent({ tenant: T })] }]);
    // A fault injected at the database: inserting an event with this reason fails the transaction
    // after the new actor, resource and action were interned in it.
    await sql(`CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
    await sql(`CREATE TRIGGER fail_insert BEFORE INSERT ON events FOR EACH ROW
      WHEN (NEW.reason = 'fail') EXECUTE FUNCTION fail_insert()`);
    const fresh = {
      actor: { type: 'user' as const, id: 'u_new', email: 'new@acme.example' },
      resource: { type: 'secret', id: 'sec_new', path: 'prod/new' },
      action: 'secret.created',
    };
    await expect(
      store.append([
        { events: [preparedEvent({ tenant: T, ...fresh })] },
        { events: [preparedEvent({ tenant: T, outcome: { success: false, reason: 'fail' } })] },
      ]),
    ).rejects.toThrow(/injected failure/);
    await sql('DROP TRIGGER fail_insert ON events');
    await sql('DROP FUNCTION fail_insert()');

    const [result] = await store.append([{ events: [preparedEvent({ tenant: T, ...fresh })] }]);
    expect(result!.ok && result!.events.map((e) => e.seq)).toEqual([1]);
    for (const filter of [{ actorId: ['u_new'] }, { actor: ['NEW@acme.example'] }, { resourceId: ['sec_new'] }, { action: ['secret.created'] }]) {
      expect((await store.query({ tenant: T, filter, order: 'desc', limit: 10 })).map((r) => r.seq)).toEqual([1]);
    }
    const rows = await store.readBySeq(T, 0, 10, 10);
    expect(Buffer.from((await store.treeHead(T)).root)).toEqual(referenceRoot(rows.map((r) => r.body)));
  });
});
