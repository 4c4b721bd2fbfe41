import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { THREAD_HOSTS, type HostedModule } from '../src/threads/thread-host.js';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it, vi } from 'vitest';
import zstd from 'zstd-napi/binding.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { appendLeaves } from '../src/integrity/tiles.js';
import { ZSTD_MAGIC } from '../src/store/sqlite/body-decoder.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { BackgroundCheckpoints } from '../src/store/sqlite/wal-checkpoints.js';
import { SEQ_RANGE } from '../src/store/sqlite/row-ids.js';
import { prepared } from '../src/store/sqlite/statements.js';
import { describeStoreContract } from './store-contract.js';
import type { PreparedEvent } from '../src/domain/event.js';
import { DAY, MINUTE, preparedEvent, T0 } from './support/events.js';

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-'));
  // A dictionary after the first few events: every case reads JSON text and compressed bodies both.
  const store = new SqliteStore({ path: join(dir, 'vigil.db'), bodyDictionaryAfter: 3 });
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

/** Runs `test` on a store file in a directory of its own, with a second connection to it, then removes both. */
async function withStoreFile(name: string, test: (file: string, raw: Database.Database) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `vigil-sqlite-${name}-`));
  const raw = new Database(join(dir, 'vigil.db'));
  try {
    await test(join(dir, 'vigil.db'), raw);
  } finally {
    raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a crash leaves of `store`: its connection gone without the store's own closing (nothing
 * flushed), and its checkpoint thread gone with the process. Left running, that thread went on
 * checkpointing the file while the test removed its directory (ENOTEMPTY).
 */
async function crash(store: SqliteStore): Promise<void> {
  const internals = store as unknown as { db: Database.Database; checkpoints?: BackgroundCheckpoints };
  internals.db.close();
  await internals.checkpoints?.stop();
}

describe('SQLite rollups waiting in memory', () => {
  it('are counted again from the events when the store opens after a crash', async () => {
    await withStoreFile('rollups', async (file, raw) => {
      const counted = () =>
        (raw.prepare('SELECT coalesce(sum(count), 0) AS n FROM rollups WHERE dim = 0 AND span = 1').get() as { n: number }).n;
      const crashed = new SqliteStore({ path: file });
      await crashed.open();
      const events = (from: number) => Array.from({ length: 20 }, (_, i) => preparedEvent({ tenant: 'roll', atUs: T0 + (from + i) * MINUTE }));
      // The second append comes well within a second of the first: its rollups wait in memory.
      await crashed.append([{ events: events(0) }]);
      await crashed.append([{ events: events(20) }]);
      expect(counted()).toBeLessThan(40);
      // The process dies without closing the store: nothing flushes what waits.
      await crash(crashed);

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
    });
  });
});

describe('SQLite rollups coming due', () => {
  it('are written a slice of tenants per append, each tenant with its mark, and nothing is lost if the process dies mid-way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-slices-'));
    const file = join(dir, 'vigil.db');
    const raw = new Database(file);
    const counted = () => (raw.prepare('SELECT coalesce(sum(count), 0) AS n FROM rollups WHERE dim = 0 AND span = 1').get() as { n: number }).n;
    const marked = () => (raw.prepare('SELECT count(*) AS n FROM rollup_marks WHERE seq > 0').get() as { n: number }).n;
    const TENANTS = 30;
    // Distinct actors and resources: 83 rollup cells per tenant (total, action, category, 40 actors, 40 resources), 2,490 in all — more than one append's slice of 2,000.
    const busy = Array.from({ length: TENANTS * 40 }, (_, i) =>
      preparedEvent({
        tenant: `t${i % TENANTS}`,
        atUs: T0 + i * 1000,
        actor: { type: 'user', id: `u_${i}` },
        resource: { type: 'secret', id: `s_${i}` },
      }),
    );
    const one = () => [{ events: [preparedEvent({ tenant: 't0', atUs: T0 })] }];
    let now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const crashed = new SqliteStore({ path: file });
      await crashed.open();
      await crashed.append([{ events: busy }]);
      expect(counted()).toBe(0);
      now += 1_100;
      // Due: this append writes the first tenants' deltas only, and moves only their marks.
      await crashed.append(one());
      const firstSlice = marked();
      expect(firstSlice).toBeGreaterThan(0);
      expect(firstSlice).toBeLessThan(TENANTS);
      expect(counted()).toBeGreaterThan(0);
      expect(counted()).toBeLessThan(busy.length);
      // The next append writes the next slice.
      await crashed.append(one());
      expect(marked()).toBeGreaterThan(firstSlice);
      // The process dies mid-way: the tenants not yet written are counted again from their events.
      await crash(crashed);
      const reopened = new SqliteStore({ path: file });
      await reopened.open();
      expect(counted()).toBe(busy.length + 2);
      expect(marked()).toBe(TENANTS);
      // A whole cycle without a crash: each append that follows writes a slice, until one writes nothing.
      await reopened.append([{ events: busy.map((e) => ({ ...e, id: uuidv7() })) }]);
      now += 1_100;
      let appends = 0;
      for (let before = -1; counted() !== before; appends++) {
        before = counted();
        await reopened.append(one());
      }
      expect(appends).toBeGreaterThan(2);
      expect(marked()).toBe(TENANTS);
      await reopened.close();
      expect(counted()).toBe(2 * busy.length + 2 + appends);
    } finally {
      clock.mockRestore();
      raw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite compressed event bodies', () => {
  it('stores bodies as zstd frames once the vocabulary dictionary exists, and reads back the exact bytes each leaf hashes', async () => {
    await withStoreFile('bodies', async (file, raw) => {
      const private_ = { actor: 'Zelda Quartermain', email: 'zq@private.example', path: 'prod/zip/quartz-token', ip: '203.0.113.77' };
      const event = (i: number) =>
        preparedEvent({
          tenant: 'zip',
          atUs: T0 + i * MINUTE,
          actor: { type: 'user', id: `u_zq_${i % 3}`, name: private_.actor, email: private_.email },
          resource: { type: 'secret', id: `sec_${i}`, name: 'QUARTZ', path: private_.path },
          client: { ip: private_.ip, user_agent: 'vault/1.15.2', kind: 'cli', name: 'CLI (vault 1.15)' },
          outcome: i % 4 === 0 ? { success: false, status: 403, error_code: 'denied', reason: `denied by policy quartz-${i}` } : { success: true, status: 200 },
        });
      const store = new SqliteStore({ path: file, bodyDictionaryAfter: 10 });
      await store.open();
      const sent = Array.from({ length: 30 }, (_, i) => event(i));
      await store.append([{ events: sent.slice(0, 10) }]);
      await store.append([{ events: sent.slice(10) }]);
      const kinds = raw.prepare('SELECT typeof(body) AS kind, count(*) AS n, avg(length(body)) AS bytes FROM events GROUP BY kind ORDER BY kind').all() as { kind: string; n: number; bytes: number }[];
      expect(kinds.map((k) => [k.kind, k.n])).toEqual([['blob', 20], ['text', 10]]);
      expect(kinds[0]!.bytes).toBeLessThan(kinds[1]!.bytes / 2);
      // Without the values its row's columns hold: the id, time and seq are markers in the frame.
      const frame = raw.prepare('SELECT body FROM events WHERE seq = 12').get() as { body: Buffer };
      const dictionaryBytes = (raw.prepare('SELECT bytes FROM body_dictionaries').get() as { bytes: Buffer }).bytes;
      const text = unzstd(frame.body, dictionaryBytes);
      expect(text).toContain('"id":\x01,');
      expect(text).toContain('"occurred_at":\x02,');
      expect(text).not.toContain(sent[12]!.id);

      // The dictionary holds the vocabulary, none of the events' data.
      const dictionary = (raw.prepare('SELECT bytes FROM body_dictionaries').get() as { bytes: Buffer }).bytes.toString();
      expect(dictionary).toContain('"action":"secret.read"');
      expect(dictionary).toContain('vault/1.15.2');
      for (const value of [...Object.values(private_), 'u_zq_', 'sec_', 'quartz-', sent[0]!.id, 'QUARTZ']) expect(dictionary).not.toContain(value);

      const check = async (s: SqliteStore) => {
        const rows = await s.readBySeq('zip', 0, 30, 100);
        expect(rows.map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual(sent.map((e) => e.id));
        const tile = (await s.readTiles('zip', [{ level: 0, index: 0 }])).get('0/0')!;
        rows.forEach((r, i) => expect(Buffer.from(hashLeaf(r.body)).equals(Buffer.from(tile.subarray(32 * i, 32 * i + 32)))).toBe(true));
        // In SQL too: free text reads the reason inside text and compressed bodies alike.
        const denied = await s.query({ tenant: 'zip', filter: { q: 'policy quartz-' }, order: 'asc', limit: 20 });
        expect(denied.map((r) => r.seq)).toEqual([0, 4, 8, 12, 16, 20, 24, 28]);
      };
      await check(store);
      await store.close();
      // Reopened, the store reads its dictionary back and keeps compressing with it.
      const reopened = new SqliteStore({ path: file, bodyDictionaryAfter: 10 });
      await reopened.open();
      await check(reopened);
      await reopened.append([{ events: [event(30)] }]);
      expect(raw.prepare('SELECT typeof(body) AS kind FROM events ORDER BY rid DESC LIMIT 1').get()).toEqual({ kind: 'blob' });
      expect(raw.prepare('SELECT count(*) AS n FROM body_dictionaries').get()).toEqual({ n: 1 });
      await reopened.close();

      // A body whose dictionary is gone is an error that names it, not garbage.
      raw.exec('DELETE FROM body_dictionaries');
      const broken = new SqliteStore({ path: file, bodyDictionaryAfter: 10 });
      await broken.open();
      await expect(broken.readBySeq('zip', 10, 11, 1)).rejects.toThrow(/compression dictionary 1/);
      await broken.close();
    });
  });
});

/** The text of a format-2 stored body (the dictionary's id, then a zstd frame without its magic number). */
function unzstd(stored: Buffer, dictionary: Buffer): string {
  const frame = Buffer.concat([ZSTD_MAGIC, stored.subarray(1)]);
  const out = Buffer.alloc(Number(zstd.getFrameContentSize(frame)));
  return out.toString('utf8', 0, new zstd.DCtx().decompressUsingDict(out, frame, dictionary));
}

describe('SQLite body dictionaries as the vocabulary changes', () => {
  it('are sampled again every 500 samples\' worth of events, and replaced only by one that compresses clearly better', async () => {
    await withStoreFile('vocabulary', async (file, raw) => {
      const storedBody = (seq: number) =>
        (raw.prepare('SELECT body FROM events WHERE seq = ?').get(seq) as { body: Buffer | string }).body;
      const vault = (i: number) => preparedEvent({ tenant: 'voc', atUs: T0 + i * MINUTE, client: { ip: '198.51.100.1', user_agent: 'vault/1.15.2', kind: 'cli', name: 'CLI (vault 1.15)' } });
      const agent = (i: number) =>
        preparedEvent({
          tenant: 'voc',
          atUs: T0 + i * MINUTE,
          log: 'mcp',
          action: 'mcp.tool.call',
          category: 'mcp',
          crud: 'other',
          environment: 'staging-eu-west-3',
          resource: { type: 'mcp_tool', id: `tool_${i % 5}`, name: 'search_documents' },
          client: { ip: '198.51.100.2', user_agent: 'claude-desktop/0.9.3 (mcp-client; modelcontextprotocol-typescript-sdk/1.4.1; node/20.20.2; linux x64)', kind: 'mcp', name: 'MCP / Claude Desktop' },
        });
      const store = new SqliteStore({ path: file, bodyDictionaryAfter: 4 });
      await store.open();
      let seq = 0;
      const append = async (make: (i: number) => PreparedEvent, n: number) => {
        await store.append([{ events: Array.from({ length: n }, () => make(seq++)) }]);
      };
      await append(vault, 4); // the first dictionary, from this vocabulary
      await append(vault, 2_000); // sampled again: the same vocabulary, no better dictionary
      await append(vault, 10);
      expect(raw.prepare('SELECT count(*) AS n FROM body_dictionaries').get()).toEqual({ n: 1 });
      await append(agent, 2_000); // sampled again: a new vocabulary
      await append(agent, 10);
      expect(raw.prepare('SELECT count(*) AS n FROM body_dictionaries').get()).toEqual({ n: 2 });
      expect((storedBody(seq - 1) as Buffer)[0]).toBe(2);
      expect((storedBody(2_010) as Buffer)[0]).toBe(1);
      // Bodies of either dictionary read back whole, after reopening too.
      await store.close();
      const reopened = new SqliteStore({ path: file });
      await reopened.open();
      const rows = await reopened.readBySeq('voc', 0, seq, seq);
      expect(rows.map((r) => (JSON.parse(r.body) as { action: string }).action)).toEqual([
        ...Array<string>(2_014).fill('secret.read'),
        ...Array<string>(2_010).fill('mcp.tool.call'),
      ]);
      await reopened.close();
    });
  });
});

describe('SQLite WAL checkpoints on another thread', () => {
  it('copies the log back into the database file while the writer does not, and leaves no log after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-wal-'));
    const file = join(dir, 'vigil.db');
    const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
    try {
      const store = new SqliteStore({ path: file });
      await store.open();
      const writer = (store as unknown as { db: Database.Database }).db;
      // The writer's own checkpoint is only a backstop, far above what this test writes.
      expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
      const before = size(file);
      for (let g = 0; g < 6; g++) {
        const events = Array.from({ length: 500 }, (_, i) => preparedEvent({ tenant: `t${i % 7}`, atUs: T0 + (g * 500 + i) * MINUTE, context: { pad: 'x'.repeat(400) } }));
        expect((await store.append([{ events }]))[0]!.ok).toBe(true);
      }
      // The writes went through the log (how far it grows depends on how soon the thread's rounds
      // copy it back and let the writer restart it: not asserted).
      expect(size(`${file}-wal`)).toBeGreaterThan(0);
      // Within a few of the thread's 50 ms rounds, the pages reach the database file.
      await vi.waitFor(() => expect(size(file) - before).toBeGreaterThan(250 * 4096), { timeout: 5_000, interval: 50 });
      await store.close();
      expect(existsSync(`${file}-wal`)).toBe(false);
      const reopened = new SqliteStore({ path: file });
      await reopened.open();
      expect((await reopened.treeHead('t0')).size).toBe(6 * Math.ceil(500 / 7));
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite WAL checkpoints when they or their thread fail', () => {
  it('hands checkpoints back to the writer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-wal-failed-'));
    try {
      const store = new SqliteStore({ path: join(dir, 'vigil.db') });
      await store.open();
      const { db, checkpoints } = store as unknown as { db: Database.Database; checkpoints: { module: HostedModule } };
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
      await checkpoints.module.thread.terminate();
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands checkpoints back to the writer when they cannot run at all, and leave their thread to the others on it', async () => {
    const writer = new Database(':memory:');
    const others = THREAD_HOSTS.running;
    const neighbourGone = vi.fn();
    const neighbour = THREAD_HOSTS.start(0, import.meta.url, 'support/hosted-echo', 'neighbour', neighbourGone);
    const checkpoints = BackgroundCheckpoints.start(writer, join(tmpdir(), 'no-such-dir-vigil', 'vigil.db'), 'FULL');
    expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    // Their own connection cannot open: they give up, and the writer checkpoints again…
    await vi.waitFor(() => expect(writer.pragma('wal_autocheckpoint', { simple: true })).toBe(1_000), { timeout: 5_000 });
    await checkpoints.stop();
    // …while the module beside them on the thread goes on.
    const reply = once(neighbour.port, 'message');
    neighbour.port.postMessage('still there?');
    expect((await reply)[0]).toMatchObject({ data: 'neighbour', message: 'still there?' });
    expect(neighbourGone).not.toHaveBeenCalled();
    await neighbour.close();
    expect(THREAD_HOSTS.running).toBe(others);
    writer.close();
  });
});

describe('SQLite migration 7: day-first indexes', () => {
  it('rebuilds the action, actor and resource indexes of an older store, which then answers as before, through them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-days-'));
    const file = join(dir, 'vigil.db');
    try {
      const store = new SqliteStore({ path: file });
      await store.open();
      await store.append([
        {
          events: Array.from({ length: 40 }, (_, i) =>
            preparedEvent({ tenant: 'm', atUs: T0 + (i % 9) * DAY + i * MINUTE, action: i % 2 ? 'secret.read' : 'secret.update', actor: { type: 'user', id: `u_${i % 3}` } }),
          ),
        },
      ]);
      const queries = [
        { tenant: 'm', filter: { actorId: ['u_1'] }, order: 'desc' as const, limit: 5 },
        { tenant: 'm', filter: { action: ['secret.update'], fromUs: T0 + 2 * DAY }, order: 'asc' as const, limit: 50 },
      ];
      const before = await Promise.all(queries.map((q) => store.query(q)));
      await store.close();

      // The schema as Vigil left it before migration 7.
      const raw = new Database(file);
      raw.exec(`DROP INDEX events_actor; DROP INDEX events_resource; DROP INDEX events_action;
        ALTER TABLE events DROP COLUMN day;
        CREATE INDEX events_actor ON events (tenant_id, actor_id, ts, seq);
        CREATE INDEX events_resource ON events (tenant_id, resource_id, ts, seq) WHERE resource_id IS NOT NULL;
        CREATE INDEX events_action ON events (tenant_id, action_id, ts, seq);
        DELETE FROM schema_migrations WHERE version = 7;`);
      raw.close();

      const reopened = new SqliteStore({ path: file });
      await reopened.open();
      expect(await Promise.all(queries.map((q) => reopened.query(q)))).toEqual(before);
      await reopened.close();
      const check = new Database(file, { readonly: true });
      const plan = check
        .prepare("EXPLAIN QUERY PLAN SELECT seq FROM events WHERE tenant_id = 1 AND day = 3 AND actor_id = 2 ORDER BY ts DESC, seq DESC LIMIT 5")
        .all() as { detail: string }[];
      check.close();
      expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING (COVERING )?INDEX events_actor \(tenant_id=\? AND day=\? AND actor_id=\?\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The schema as Vigil left it before migration 10: indexes ending in seq, bodies in format 1 only. */
const BEFORE_MIGRATION_10 = `
  CREATE TABLE dictionaries_9 (id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 255), bytes BLOB NOT NULL, created_at TEXT NOT NULL);
  INSERT INTO dictionaries_9 SELECT id, bytes, created_at FROM body_dictionaries;
  DROP TABLE body_dictionaries;
  ALTER TABLE dictionaries_9 RENAME TO body_dictionaries;
  ALTER TABLE events DROP COLUMN received_lag_us;
  DROP INDEX events_time; DROP INDEX events_actor; DROP INDEX events_resource; DROP INDEX events_action;
  CREATE INDEX events_time ON events (tenant_id, ts, seq);
  CREATE INDEX events_actor ON events (tenant_id, day, actor_id, ts, seq);
  CREATE INDEX events_resource ON events (tenant_id, day, resource_id, ts, seq) WHERE resource_id IS NOT NULL;
  CREATE INDEX events_action ON events (tenant_id, day, action_id, ts, seq);
  DELETE FROM schema_migrations WHERE version IN (10, 11);`;

/** The events table as Vigil kept it before migration 8: row ids in arrival order. */
const ARRIVAL_ORDER_EVENTS = `${BEFORE_MIGRATION_10}
  DROP TRIGGER events_no_update;
  DROP TRIGGER events_no_delete;
  ALTER TABLE events RENAME TO keyed;
  CREATE TABLE events (rid INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
    uid BLOB NOT NULL, log INTEGER NOT NULL, action_id INTEGER NOT NULL, category_id INTEGER NOT NULL, crud INTEGER NOT NULL,
    actor_id INTEGER NOT NULL, resource_id INTEGER, source_id INTEGER, service_id INTEGER, environment_id INTEGER,
    success INTEGER NOT NULL, status INTEGER, method_id INTEGER, ip BLOB, request_id TEXT, session_id TEXT, body TEXT NOT NULL);
  ALTER TABLE events ADD COLUMN day INTEGER GENERATED ALWAYS AS (ts / ${DAY}) VIRTUAL;
  INSERT INTO events (tenant_id, seq, ts, uid, log, action_id, category_id, crud, actor_id, resource_id, source_id, service_id,
      environment_id, success, status, method_id, ip, request_id, session_id, body)
    SELECT tenant_id, seq, ts, uid, log, action_id, category_id, crud, actor_id, resource_id, source_id, service_id,
      environment_id, success, status, method_id, ip, request_id, session_id, body
    FROM keyed ORDER BY ts, tenant_id, seq;
  DROP TABLE keyed;
  CREATE UNIQUE INDEX events_seq ON events (tenant_id, seq);
  CREATE UNIQUE INDEX events_uid ON events (tenant_id, uid);
  CREATE INDEX events_time ON events (tenant_id, ts, seq);
  CREATE INDEX events_actor ON events (tenant_id, day, actor_id, ts, seq);
  CREATE INDEX events_resource ON events (tenant_id, day, resource_id, ts, seq) WHERE resource_id IS NOT NULL;
  CREATE INDEX events_action ON events (tenant_id, day, action_id, ts, seq);
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events WHEN NOT EXISTS (SELECT 1 FROM purge_session)
    BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;
  DELETE FROM schema_migrations WHERE version = 8;`;

describe('SQLite migration 8: events keyed by tenant and seq', () => {
  it("moves an older store's events into one run per tenant, which then answers as before and keeps its guards", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sqlite-keyed-'));
    const file = join(dir, 'vigil.db');
    const tenants = ['k1', 'k2', 'k3'];
    try {
      const store = new SqliteStore({ path: file });
      await store.open();
      // Interleaved in time, as tenants arrive in a shared store.
      for (let i = 0; i < 30; i++) {
        await store.append([
          { events: tenants.map((tenant, t) => preparedEvent({ tenant, atUs: T0 + i * DAY / 3 + t * MINUTE, actor: { type: 'user', id: `u_${i % 4}` } })) },
        ]);
      }
      const answers = (s: SqliteStore) =>
        Promise.all(
          tenants.flatMap((tenant) => [
            s.readBySeq(tenant, 3, 25, 100),
            s.query({ tenant, filter: { actorId: ['u_1'], fromUs: T0 + DAY }, order: 'desc', limit: 4 }),
            s.query({ tenant, filter: {}, order: 'asc', limit: 7, after: { occurredUs: T0 + 2 * DAY, seq: 6 } }),
          ]),
        );
      const before = await answers(store);
      await store.close();

      const raw = new Database(file);
      raw.exec(ARRIVAL_ORDER_EVENTS);
      const runs = () => (raw.prepare('SELECT tenant_id FROM events ORDER BY rid').all() as { tenant_id: number }[]).filter((r, i, all) => i === 0 || all[i - 1]!.tenant_id !== r.tenant_id).length;
      expect(runs()).toBe(90);

      const migrated = new SqliteStore({ path: file });
      await migrated.open();
      expect(await answers(migrated)).toEqual(before);
      expect(runs()).toBe(3);
      expect(raw.prepare(`SELECT count(*) AS n FROM events WHERE rid <> tenant_id * ${2 ** 40} + seq`).get()).toEqual({ n: 0 });
      expect(raw.prepare("SELECT name FROM sqlite_schema WHERE name = 'events_seq'").all()).toEqual([]);
      const plan = raw.prepare(`EXPLAIN QUERY PLAN SELECT body FROM events WHERE ${SEQ_RANGE}`).all(1, 0, 1, 10) as { detail: string }[];
      expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
      expect(() => raw.exec("UPDATE events SET body = '{}'")).toThrow(/append-only/);
      expect(() => raw.exec('DELETE FROM events')).toThrow(/append-only/);
      // A row whose id is not its tenant and seq is refused.
      expect(() => raw.exec(`INSERT INTO events (rid, tenant_id, seq, ts, uid, log, action_id, category_id, crud, actor_id, success, body)
        SELECT rid + 1000, tenant_id, seq, ts, randomblob(16), log, action_id, category_id, crud, actor_id, success, body FROM events LIMIT 1`)).toThrow(/CHECK/);
      await migrated.append([{ events: [preparedEvent({ tenant: 'k2', atUs: T0 + 40 * DAY })] }]);
      expect((await migrated.readBySeq('k2', 28, 40, 10)).map((r) => r.seq)).toEqual([28, 29, 30]);
      await migrated.close();
      raw.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite migrations 10 and 11: indexes without seq, bodies without their columns', () => {
  it("reads a store's format-1 bodies as before, writes format 2 from then on, and pages through the new indexes", async () => {
    await withStoreFile('format', async (file, raw) => {
      const sent = Array.from({ length: 40 }, (_, i) =>
        preparedEvent({ tenant: 'f', atUs: T0 + (i % 5) * DAY + i * MINUTE, actor: { type: 'user', id: `u_${i % 3}` }, session_id: `s_${i % 4}` }),
      );
      const store = new SqliteStore({ path: file, bodyDictionaryAfter: 5 });
      await store.open();
      await store.append([{ events: sent.slice(0, 5) }]);
      await store.append([{ events: sent.slice(5, 30) }]);
      const queries = [
        { tenant: 'f', filter: { actorId: ['u_1'] }, order: 'desc' as const, limit: 4, after: { occurredUs: T0 + 3 * DAY + 30 * MINUTE, seq: 18 } },
        { tenant: 'f', filter: { fromUs: T0 + DAY }, order: 'asc' as const, limit: 6, after: { occurredUs: T0 + 2 * DAY + 12 * MINUTE, seq: 12 } },
        { tenant: 'f', filter: { sessionId: ['s_2'] }, order: 'asc' as const, limit: 50 },
      ];
      const before = await Promise.all(queries.map((q) => store.query(q)));
      const bodies = (await store.readBySeq('f', 0, 30, 30)).map((r) => r.body);
      await store.close();

      // The store as migration 9 left it: bodies as whole zstd frames of the JSON, indexes ending in seq.
      const dictionary = (raw.prepare('SELECT bytes FROM body_dictionaries WHERE id = 1').get() as { bytes: Buffer }).bytes;
      raw.exec(`${BEFORE_MIGRATION_10} DROP TRIGGER events_no_update;`);
      const cctx = new zstd.CCtx();
      for (let seq = 5; seq < 30; seq++) {
        const frame = Buffer.alloc(zstd.compressBound(bodies[seq]!.length * 3));
        const size = cctx.compressUsingDict(frame, Buffer.from(bodies[seq]!), dictionary, 3);
        raw.prepare('UPDATE events SET body = ? WHERE seq = ?').run(Buffer.concat([Buffer.from([1]), frame.subarray(0, size)]), seq);
      }
      raw.exec("CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;");

      const migrated = new SqliteStore({ path: file, bodyDictionaryAfter: 5 });
      await migrated.open();
      expect(raw.prepare('SELECT id, format FROM body_dictionaries ORDER BY id').all()).toEqual([{ id: 1, format: 1 }, { id: 2, format: 2 }]);
      expect(await Promise.all(queries.map((q) => migrated.query(q)))).toEqual(before);
      await migrated.append([{ events: sent.slice(30) }]);
      expect((raw.prepare('SELECT body FROM events WHERE seq = 35').get() as { body: Buffer }).body[0]).toBe(2);
      const all = await migrated.readBySeq('f', 0, 40, 40);
      expect(all.map((r) => r.body).slice(0, 30)).toEqual(bodies);
      expect(all.map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual(sent.map((e) => e.id));
      const tile = (await migrated.readTiles('f', [{ level: 0, index: 0 }])).get('0/0')!;
      all.forEach((r, i) => expect(Buffer.from(hashLeaf(r.body)).equals(Buffer.from(tile.subarray(32 * i, 32 * i + 32)))).toBe(true));
      await migrated.close();
      // Pages walk the indexes in (ts, row id) order, with no sort of their own.
      for (const sql of [
        'SELECT seq FROM events WHERE tenant_id = 1 AND (ts, rid) < (?, ?) ORDER BY ts DESC, rid DESC LIMIT 5',
        'SELECT seq FROM events INDEXED BY events_actor WHERE tenant_id = 1 AND actor_id = 2 AND day = ? AND (ts, rid) < (?, ?) ORDER BY ts DESC, rid DESC LIMIT 5',
      ]) {
        const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(sql.includes('day') ? [3, 0, 0] : [0, 0])) as { detail: string }[]).map((p) => p.detail).join('\n');
        expect(plan).toMatch(/USING INDEX events_(time|actor) \(tenant_id=\? AND (day=\? AND actor_id=\? AND )?ts<\?\)/);
        expect(plan).not.toContain('TEMP B-TREE');
      }
      expect(raw.prepare("SELECT sql FROM sqlite_schema WHERE name = 'events_time'").get()).toEqual({ sql: 'CREATE INDEX events_time ON events (tenant_id, ts)' });
    });
  });
});

describe('SQLite migration 13: partial tiles in strips', () => {
  it("moves an older store's partial tiles into strips, which then prove and grow as before", async () => {
    await withStoreFile('strips', async (file, raw) => {
      const sent = Array.from({ length: 310 }, (_, i) => preparedEvent({ tenant: 'm', atUs: T0 + i * MINUTE }));
      const store = new SqliteStore({ path: file });
      await store.open();
      for (const [from, to] of [[0, 3], [3, 120], [120, 300]]) await store.append([{ events: sent.slice(from, to) }]);
      const keys = [{ level: 0, index: 0 }, { level: 0, index: 1 }, { level: 1, index: 0 }];
      const tiles = await store.readTiles('m', keys);
      const head = await store.treeHead('m');
      await store.close();

      // The store as migration 12 left it: partial tiles rewritten whole in merkle_tiles.
      raw.exec('DROP TABLE merkle_edge; DELETE FROM schema_migrations WHERE version = 13;');
      for (const key of keys.slice(1)) {
        raw.prepare('INSERT INTO merkle_tiles (tenant_id, level, idx, hashes) VALUES (1, ?, ?, ?)').run(key.level, key.index, tiles.get(`${key.level}/${key.index}`));
      }

      const migrated = new SqliteStore({ path: file });
      await migrated.open();
      expect(raw.prepare('SELECT level, idx, length(hashes) AS bytes FROM merkle_tiles').all()).toEqual([{ level: 0, idx: 0, bytes: 8192 }]);
      expect(raw.prepare('SELECT level, idx, strip, length(hashes) AS bytes FROM merkle_edge ORDER BY level, idx, strip').all()).toEqual([
        { level: 0, idx: 1, strip: 0, bytes: 512 },
        { level: 0, idx: 1, strip: 1, bytes: 512 },
        { level: 0, idx: 1, strip: 2, bytes: 384 },
        { level: 1, idx: 0, strip: 0, bytes: 32 },
      ]);
      expect(await migrated.readTiles('m', keys)).toEqual(tiles);
      expect(await migrated.treeHead('m')).toEqual(head);
      await migrated.append([{ events: sent.slice(300) }]);
      const leaves = (await migrated.readBySeq('m', 0, 310, 310)).map((r) => hashLeaf(r.body));
      expect((await migrated.treeHead('m')).root).toEqual(appendLeaves(0, new Map(), leaves).root);
      const grown = (await migrated.readTiles('m', [{ level: 0, index: 1 }])).get('0/1')!;
      expect(Buffer.from(grown)).toEqual(Buffer.concat(leaves.slice(256)));
      await migrated.close();
    });
  });
});

describe('prepared statements', () => {
  it('are compiled once per connection and text, and keep answering after the cache starts over', () => {
    const one = new Database(':memory:');
    const two = new Database(':memory:');
    try {
      one.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2)');
      two.exec('CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (3)');
      const sql = 'SELECT sum(v) AS s FROM t';
      expect(prepared(one, sql)).toBe(prepared(one, sql));
      expect(prepared(two, sql)).not.toBe(prepared(one, sql));
      expect([prepared(one, sql).get(), prepared(two, sql).get()]).toEqual([{ s: 3 }, { s: 3 }]);
      one.exec('INSERT INTO t VALUES (10)');
      expect(prepared(one, sql).get()).toEqual({ s: 13 });
      // More distinct texts than the cache holds (IN lists of every length): each still answers.
      for (let n = 1; n <= 600; n++) {
        const list = Array.from({ length: n }, () => '?').join(', ');
        const row = prepared<number[], { c: number }>(one, `SELECT count(*) AS c FROM t WHERE v IN (${list})`).get(...Array.from({ length: n }, (_, i) => i + 1));
        expect(row!.c).toBe(n >= 10 ? 3 : n >= 2 ? 2 : 1);
      }
    } finally {
      one.close();
      two.close();
    }
  });
});
