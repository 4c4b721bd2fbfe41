/**
 * The PostgreSQL store's write path, measured.
 *
 *   node --import tsx bench/pg-append.ts [--events 100000] [--url postgres://postgres@127.0.0.1:5432/postgres]
 *
 * Creates a throwaway database on the server (`--url`, else VIGIL_TEST_DATABASE_URL, else the
 * local default) and drops it at the end. Prints:
 * 1. `PostgresStore.append` in events/s for groups of 500 and 5,000 events (one process, one
 *    group at a time: sequencing, sealing, hashing, interning, all indexes, Merkle tiles), and
 *    the CPU time per 1,000 events of this process and of the database backends (from /proc,
 *    so Linux only) — the figures that stay meaningful on a machine shared with other work;
 * 2. the three ways to bulk-insert the same `events` rows (COPY, INSERT … SELECT unnest(arrays),
 *    multi-row INSERT … VALUES) into a table with the same indexes, in rows/s — the measurement
 *    behind the choice of COPY (docs/architecture.md).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { PreparedEvent } from '../src/domain/event.js';
import { formatMicros } from '../src/domain/time.js';
import { EVENT_COLUMNS } from '../src/store/postgres/append.js';
import { copyLine, copyRows, type CopyValue } from '../src/store/postgres/copy.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const EVENTS = Number(option('events', '100000'));
const ADMIN_URL = option('url', process.env.VIGIL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
const ACTIONS = ['secret.read', 'secret.update', 'SECRET_SET', 'policy.denied', 'user.login', 'api_key.create', 'mcp.tools.call'];

/** Spreads i over [0, n) without following i's own pattern (Knuth's multiplicative hash). */
const spread = (i: number, salt: number, n: number) => (Math.imul(i ^ salt, 2654435761) >>> 0) % n;

/**
 * A realistic-looking event: five tenants, each with 500 users and 2,000 secrets whose name and
 * path never change, within the last 30 days.
 */
function event(i: number, nowUs: number): PreparedEvent {
  const user = spread(i, 1, 500);
  const secret = spread(i, 2, 2000);
  const failed = spread(i, 3, 10) === 0;
  return {
    id: uuidv7(),
    tenant: TENANTS[i % TENANTS.length]!,
    log: i % 4 === 0 ? 'request' : 'audit',
    action: ACTIONS[spread(i, 4, ACTIONS.length)]!,
    category: 'secrets',
    crud: 'read',
    occurred_at: formatMicros(nowUs - spread(i, 5, 30 * 24 * 60) * 60e6),
    actor: { type: 'user', id: `u_${user}`, email: `user${user}@example.com`, name: `User ${user}` },
    resource: { type: 'secret', id: `sec_${secret}`, name: `SECRET_${secret}`, path: `prod/app${secret % 53}/secret${secret}` },
    source: 'api',
    environment: secret % 3 === 0 ? 'production' : 'staging',
    outcome: failed ? { success: false, status: 403, reason: 'policy' } : { success: true, status: 200 },
    request: { id: `req_${i}`, method: 'GET', path: `/v1/secrets/${secret}`, duration_ms: 3.5 },
    client: { ip: `10.${i % 200}.${(i >> 8) % 250}.${i % 251}`, user_agent: 'vigil-sdk/1.0 node/20', kind: 'sdk', name: 'Node.js' },
    session_id: `s_${spread(i, 6, 5000)}`,
    context: { region: 'eu-west-1', attempt: i % 3 },
  };
}

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `vigil_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** CPU seconds (user + system) the database's backends have used so far, read from /proc (Linux). */
async function backendCpuSeconds(admin: pg.Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The backend ended meanwhile.
    }
  }
  return ticks / 100;
}

interface AppendFigures {
  eventsPerSecond: number;
  /** CPU milliseconds per 1,000 events: this process (JavaScript) and the database backends. */
  nodeCpuMs: number;
  dbCpuMs: number;
}

async function measureAppend(url: string, group: number): Promise<AppendFigures> {
  const store = new PostgresStore({ url, poolSize: 4 });
  await store.open();
  const now = Date.now() * 1000;
  // Warm-up: tenants, partitions and (nearly all) dictionary entries exist before the clock
  // starts, as on a server that has been running for a while.
  for (let i = 0; i < 20_000; i += 5000) {
    await store.append([{ events: Array.from({ length: 5000 }, (_, k) => event(10_000_000 + i + k, now)) }]);
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const database = new URL(url).pathname.slice(1);
  const dbBefore = await backendCpuSeconds(admin, database);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  for (let done = 0; done < EVENTS; done += group) {
    const events = Array.from({ length: Math.min(group, EVENTS - done) }, (_, i) => event(done + i, now));
    await store.append([{ events }]);
  }
  const seconds = (performance.now() - started) / 1000;
  const node = process.cpuUsage(nodeBefore);
  const db = (await backendCpuSeconds(admin, database)) - dbBefore;
  await admin.end();
  await store.close();
  const perThousand = (cpuSeconds: number) => (cpuSeconds * 1000 * 1000) / EVENTS;
  return { eventsPerSecond: EVENTS / seconds, nodeCpuMs: perThousand((node.user + node.system) / 1e6), dbCpuMs: perThousand(db) };
}

type Row = Record<string, unknown>;
type Insert = (client: pg.Client, rows: Row[]) => Promise<void>;

const COLUMN_TYPES: Record<(typeof EVENT_COLUMNS)[number], string> = {
  seq: 'bigint', occurred_us: 'bigint', tenant_id: 'int', action_id: 'int', category_id: 'int', actor_id: 'int',
  resource_id: 'int', source_id: 'int', service_id: 'int', environment_id: 'int', method_id: 'int', uid: 'uuid',
  status: 'smallint', log: 'smallint', crud: 'smallint', success: 'boolean', ip: 'bytea', request_id: 'text',
  session_id: 'text', reason: 'text', body: 'text',
};

const INSERTS: Record<string, Insert> = {
  copy: (client, rows) =>
    copyRows(client, 'bench_events', EVENT_COLUMNS, rows.map((r) => copyLine(EVENT_COLUMNS.map((c) => r[c] as CopyValue)))),
  unnest: async (client, rows) => {
    const arrays = EVENT_COLUMNS.map((c) => rows.map((r) => r[c]));
    const args = EVENT_COLUMNS.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c]}[]`).join(', ');
    await client.query(`INSERT INTO bench_events (${EVENT_COLUMNS.join(', ')}) SELECT * FROM unnest(${args})`, arrays);
  },
  values: async (client, rows) => {
    // At most 65,535 parameters per statement: 1,000 rows of 21 columns each.
    for (let start = 0; start < rows.length; start += 1000) {
      const chunk = rows.slice(start, start + 1000);
      const tuples = chunk.map((_, r) => `(${EVENT_COLUMNS.map((_, c) => `$${r * EVENT_COLUMNS.length + c + 1}`).join(', ')})`);
      await client.query(
        `INSERT INTO bench_events (${EVENT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
        chunk.flatMap((r) => EVENT_COLUMNS.map((c) => r[c])),
      );
    }
  },
};

/** Re-inserts the stored rows into an indexed copy of `events` with each method, in rows/s. */
async function measureInserts(url: string, group: number): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url, types: { getTypeParser: (oid, format) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format)) } as pg.CustomTypesConfig });
  await client.connect();
  const rows = (await client.query<Row>(`SELECT ${EVENT_COLUMNS.join(', ')} FROM events ORDER BY tenant_id, seq LIMIT $1`, [EVENTS])).rows;
  const out: Record<string, number> = {};
  for (const [name, insert] of Object.entries(INSERTS)) {
    await client.query('DROP TABLE IF EXISTS bench_events');
    await client.query('CREATE TABLE bench_events (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES)');
    const started = performance.now();
    for (let start = 0; start < rows.length; start += group) {
      await client.query('BEGIN');
      await insert(client, rows.slice(start, start + group));
      await client.query('COMMIT');
    }
    out[name] = rows.length / ((performance.now() - started) / 1000);
  }
  await client.query('DROP TABLE IF EXISTS bench_events');
  await client.end();
  return out;
}

async function main(): Promise<void> {
  const lines = [`PostgreSQL append, ${EVENTS} events per measure`, '', '| measure | group 500 | group 5000 |', '|---|---|---|'];
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const appends: AppendFigures[] = [];
  const insertRates: Record<string, number>[] = [];
  for (const group of [500, 5000]) {
    await withDatabase(async (url) => {
      appends.push(await measureAppend(url, group));
      insertRates.push(await measureInserts(url, group));
    });
  }
  const row = (name: string, values: string[]) => lines.push(`| ${name} | ${values.join(' | ')} |`);
  row('PostgresStore.append (events/s)', appends.map((a) => fmt(a.eventsPerSecond)));
  row('… CPU ms per 1,000 events, Vigil process', appends.map((a) => fmt(a.nodeCpuMs)));
  row('… CPU ms per 1,000 events, database backends', appends.map((a) => fmt(a.dbCpuMs)));
  for (const name of Object.keys(INSERTS)) row(`events rows only, ${name} (rows/s)`, insertRates.map((r) => fmt(r[name]!)));
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
