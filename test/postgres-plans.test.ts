import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PreparedEvent } from '../src/domain/event.js';
import type { EventFilter, EventQuery } from '../src/domain/filter.js';
import { ipKeyHex } from '../src/domain/ip.js';
import { byIdStatement, bySeqStatement, PAGE_SETTINGS } from '../src/store/postgres/filter-sql.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { DAY, MINUTE, preparedEvent } from './support/events.js';
import { createTestDatabase, describePostgres, type TestDatabase } from './support/postgres.js';

/** 90 days of history, ending now. */
const END = Math.floor(Date.now() / 60_000) * 60_000 * 1000;
const START = END - 90 * DAY;
const TENANTS = 12;
const EVENTS = 120_000;
const ACTIONS = ['secret.read', 'SECRET_SET', 'secret.delete', 'project.update', 'policy.denied', 'user.login', 'token.refresh', 'mcp.tools.call', 'api_key.create', 'connector.updated'];

/** A seeded PRNG (mulberry32), so the data set is the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(7);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const int = (n: number) => Math.floor(random() * n);

/**
 * The i-th event, in time order as events arrive in production: tenant t0 has a quarter of all
 * rows; actors, resources and values repeat like real logs.
 */
function event(i: number): PreparedEvent {
  const tenant = random() < 0.25 ? 't0' : `t${1 + int(TENANTS - 1)}`;
  const action = pick(ACTIONS);
  const roll = random();
  const actor =
    roll < 0.02
      ? { type: 'agent' as const, id: `ag_${int(5)}`, name: `bot-${int(5)}` }
      : roll < 0.07
        ? { type: 'api_key' as const, id: `k_${int(7)}`, name: `ci-${int(7)}` }
        : (({ n }) => ({ type: 'user' as const, id: `u_${n}`, email: `user${n}@acme.example`, name: `User ${n}` }))({ n: int(300) });
  const production = random() < 0.35;
  const secret = int(800);
  const failed = random() < 0.1;
  return preparedEvent({
    tenant,
    atUs: START + Math.floor((i * 90 * DAY) / EVENTS) + int(MINUTE),
    log: action === 'user.login' ? 'user' : action === 'mcp.tools.call' ? 'mcp' : random() < 0.2 ? 'request' : 'audit',
    action,
    category: action.toLowerCase().startsWith('secret') ? 'secrets' : action.split('.')[0]!,
    crud: action.endsWith('read') ? 'read' : action.endsWith('delete') ? 'delete' : 'update',
    actor,
    resource: { type: 'secret', id: `sec_${secret}`, name: `SECRET_${secret}`, path: `${production ? 'prod' : 'staging'}/app${secret % 40}/s${secret}` },
    source: random() < 0.5 ? 'api' : 'dashboard',
    service: `svc${int(6)}`,
    environment: production ? 'production' : 'staging',
    outcome: failed ? { success: false, status: 403, reason: random() < 0.5 ? 'rate_limit' : 'time_window' } : { success: true, status: 200 },
    request: { id: `req_${i}`, method: random() < 0.3 ? 'POST' : 'GET', path: '/v1/x' },
    client: { ip: `198.51.${int(100)}.${int(250)}` },
    session_id: `s_${int(2000)}`,
  });
}

const ip = (address: string) => ({ lo: ipKeyHex(address)!, hi: ipKeyHex(address)! });

/** Seed investigations (issue 7) and one query per filter family, on the largest tenant. */
const WEEK = { fromUs: END - 7 * DAY };
const CASES: [string, EventFilter][] = [
  ['seed: who read secret X in 7 days', { resourceType: ['secret'], resourcePath: ['prod/app3/s123', 'staging/app3/s123'], crud: ['read'], ...WEEK }],
  ['seed: actor trail for 30 days', { actorType: ['user'], actorId: ['u_42'], fromUs: END - 30 * DAY }],
  ['seed: SECRET_SET in production in a window', { action: ['SECRET_SET'], environment: ['production'], fromUs: END - 20 * DAY, toUs: END - 10 * DAY }],
  ['seed: failed reads after a time', { success: false, crud: ['read'], fromUs: END - 2 * DAY }],
  ['seed: a 10-minute incident window', { fromUs: END - 3 * DAY, toUs: END - 3 * DAY + 10 * MINUTE }],
  ['seed: an API key from unfamiliar IPs', { actorType: ['api_key'], actorId: ['k_3'], notIp: [{ lo: ipKeyHex('198.51.0.0')!, hi: ipKeyHex('198.51.9.255')! }] }],
  ['seed: an agent’s policy denials', { actorType: ['agent'], actorId: ['ag_2'], action: ['policy.denied'], success: false }],
  ['seed: path_prefix trail', { pathPrefix: 'prod/app7/', ...WEEK }],
  ['identity by email', { actorType: ['user'], actorIdOrAlias: ['user7@acme.example'] }],
  ['everything, newest first', {}],
  ['time range', { fromUs: END - 40 * DAY, toUs: END - 39 * DAY }],
  ['log', { log: ['user'], ...WEEK }],
  ['category', { category: ['policy', 'connector'], ...WEEK }],
  ['action', { action: ['secret.delete'] }],
  ['action prefix', { actionPrefix: ['secret.'] }],
  ['crud', { crud: ['delete'], ...WEEK }],
  ['actor alias', { actor: ['user9@acme.example'] }],
  ['actor type', { actorType: ['agent'] }],
  ['resource type and id', { resourceType: ['secret'], resourceId: ['sec_77'] }],
  ['resource search', { resource: 'SECRET_12', ...WEEK }],
  ['source', { source: ['dashboard'], ...WEEK }],
  ['service', { service: ['svc2'], ...WEEK }],
  ['environment', { environment: ['production'], ...WEEK }],
  ['success', { success: false, ...WEEK }],
  ['status and class', { status: [403], statusClass: [5], ...WEEK }],
  ['method', { method: ['POST'], ...WEEK }],
  ['ip', { ip: [ip('198.51.7.7')], ...WEEK }],
  ['request id', { requestId: ['req_4'], ...WEEK }],
  ['session id', { sessionId: ['s_8'], ...WEEK }],
  ['free text', { q: 'rate_lim', ...WEEK }],
];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describePostgres('PostgreSQL store: query plans', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  let raw: pg.Client;
  /** Tables that hold rows. */
  let filled: Set<string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresStore({ url: db.url, poolSize: 2 });
    await store.open();
    for (let start = 0; start < EVENTS; start += 5000) {
      await store.append([{ events: Array.from({ length: 5000 }, (_, i) => event(start + i)) }]);
    }
    raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    await raw.query('ANALYZE');
    // Partitions created ahead of time are empty: scanning one whole costs nothing.
    const { rows } = await raw.query<{ name: string }>("SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND reltuples > 0");
    filled = new Set(rows.map((r) => r.name));
  }, 300_000);
  afterAll(async () => {
    await raw?.end();
    await store?.close();
    await db?.drop();
  });

  const explain = async (statement: { text: string; values: unknown[] }, settings = '') => {
    await raw.query(`BEGIN; ${settings}`);
    try {
      const { rows } = await raw.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.values);
      return nodes(rows[0]!['QUERY PLAN'][0].Plan);
    } finally {
      await raw.query('ROLLBACK');
    }
  };
  const explainPage = (statement: { text: string; values: unknown[] }) => explain(statement, PAGE_SETTINGS);
  const seqScans = (plan: PlanNode[]) =>
    plan.filter((n) => n['Node Type'] === 'Seq Scan' && filled.has(n['Relation Name']!)).map((n) => n['Relation Name']);

  it.each(CASES)('%s: reads events through an index', async (_name, filter) => {
    for (const order of ['desc', 'asc'] as const) {
      const query: EventQuery = { tenant: 't0', filter, order, limit: 101 };
      const statement = await store.plan(query);
      expect(statement, 'the filter matches something').not.toBeNull();
      const plan = await explainPage(statement!);
      expect(seqScans(plan)).toEqual([]);
      expect(plan.some((n) => n['Index Name']?.startsWith('events_'))).toBe(true);
      // A later page (keyset) keeps the same shape.
      const page = await store.query(query);
      if (page.length === 101) {
        const last = page[100]!;
        const next = await store.plan({ ...query, after: { occurredUs: last.occurredUs, seq: last.seq } });
        expect(seqScans(await explainPage(next!))).toEqual([]);
      }
    }
  });

  // The seed pages whose filters the planner misjudged at 10,000,000 events (filter-sql.ts).
  it.each([
    ['an agent’s policy denials', { actorType: ['agent'], actorId: ['ag_2'], action: ['policy.denied'] }],
    ['SECRET_SET on secrets in production', { action: ['SECRET_SET'], environment: ['production'], resourceType: ['secret'], fromUs: END - 30 * DAY }],
  ] as [string, EventFilter][])('%s: reads one index in order and stops when the page is full', async (_name, filter) => {
    for (const order of ['desc', 'asc'] as const) {
      const plan = await explainPage((await store.plan({ tenant: 't0', filter, order, limit: 51 }))!);
      // No sort, no bitmap, no join: every node passes rows on in index order, and the Limit stops them.
      expect(plan.map((n) => n['Node Type']).filter((type) => !['Limit', 'Append', 'Merge Append', 'Index Scan'].includes(type))).toEqual([]);
      expect(plan.filter((n) => n['Index Name']?.startsWith('events_')).length).toBeGreaterThan(0);
    }
  });

  it('reads by seq and by id through the event keys', async () => {
    const rows = await store.readBySeq('t0', 1000, 2000, 100);
    expect(rows.map((r) => r.seq)).toEqual([...Array(100).keys()].map((i) => 1000 + i));
    const [tenant] = (await raw.query<{ id: number }>("SELECT id FROM tenants WHERE name = 't0'")).rows;
    const { rows: keys } = await raw.query<{ uid: string }>('SELECT uid::text FROM event_keys WHERE tenant_id = $1 AND seq = 1234', [tenant!.id]);
    for (const statement of [bySeqStatement(tenant!.id, 1000, 2000, 100), bySeqStatement(tenant!.id, 0, 20_000, 10_000), byIdStatement(tenant!.id, keys[0]!.uid)]) {
      expect(seqScans(await explain(statement))).toEqual([]);
    }
  });
});
