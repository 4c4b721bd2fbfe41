/**
 * The summary read path, measured (issue 7, row 4).
 *
 *   node --import tsx bench/summary.ts [--events 1000000] [--runs 30] [--keep DIR]
 *
 * `--keep DIR` keeps the database in DIR, and a later run with the same DIR times it again
 * without filling. Fills a SQLite store with `--events` events of one large tenant spread over
 * the 30 days before now (plus 5% for a few small tenants), through `Store.append` in groups of 10,000 — so rollups
 * are kept exactly as in production — then times, through the SummaryService (parse, store,
 * response):
 *   1. the dashboard's 30-day summary: group_by=action,actor, bucket=day, baseline=actor;
 *   2. the same with action=secret.read (rollups give the counts, the baseline scans the action
 *      index over 31 days);
 *   3. a filter rollups cannot answer (status=403 over 7 days): the bounded scan.
 * Prints p50/p95 of each (wall time, and the CPU time of this process, which says more when the
 * machine is shared), the fill rate, and the size of the database.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import type { Actor, LogName, PreparedEvent } from '../src/domain/event.js';
import { formatMicros, nowMicros } from '../src/domain/time.js';
import { SummaryService } from '../src/query/summary.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const EVENTS = Number(option('events', '1000000'));
const RUNS = Number(option('runs', '30'));
const KEEP = option('keep', '');
const GROUP = 10_000;
const DAY_US = 86_400e6;
const TENANT = 'bigcorp';

/** mulberry32: the same data set on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(42);

/** Draws 0..n-1 with Zipf(s) weights: a few busy actors and resources, a long tail. */
function zipf(n: number, s: number): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 1; k <= n; k++) cumulative.push((total += 1 / k ** s));
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const ACTIONS: [string, string, LogName][] = [
  ['secret.read', 'secrets', 'audit'], ['secret.create', 'secrets', 'audit'], ['secret.update', 'secrets', 'audit'],
  ['secret.delete', 'secrets', 'audit'], ['SECRET_READ', 'secrets', 'audit'], ['SECRET_SET', 'secrets', 'audit'],
  ['secret.rotate', 'secrets', 'audit'], ['policy.denied', 'policy', 'audit'], ['project.update', 'projects', 'audit'],
  ['variable.update', 'variables', 'audit'], ['team.member.add', 'team', 'audit'], ['api_key.create', 'api_keys', 'audit'],
  ['pki.certificate.issue', 'pki', 'audit'], ['dynamic.lease.create', 'dynamic', 'audit'], ['connector.updated', 'connectors', 'audit'],
  ['settings.update', 'settings', 'audit'], ['GET /v1/secrets', 'api', 'request'], ['POST /v1/secrets', 'api', 'request'],
  ['user.login', 'auth', 'user'], ['user.logout', 'auth', 'user'], ['user.mfa.verify', 'auth', 'user'], ['token.refresh', 'auth', 'user'],
  ['mcp.initialize', 'mcp', 'mcp'], ['mcp.tools.call', 'mcp', 'mcp'], ['mcp.error', 'mcp', 'mcp'],
];
const ACTOR_TYPES = ['user', 'user', 'user', 'api_key', 'agent', 'service_account'] as const;
const pickAction = zipf(ACTIONS.length, 0.8);
const pickActor = zipf(3000, 1.1);
const pickResource = zipf(5000, 1.0);

function actor(k: number): Actor {
  const type = ACTOR_TYPES[k % ACTOR_TYPES.length]!;
  if (type === 'user') return { type, id: `u_${k}`, name: `User ${k}`, email: `user${k}@bigcorp.example` };
  return { type, id: `${type}_${k}`, name: `${type}-${k}` };
}

function event(tenant: string, atUs: number, a: Actor = actor(pickActor())): PreparedEvent {
  const [action, category, log] = ACTIONS[pickAction()]!;
  const failed = random() < 0.1;
  const r = pickResource();
  return {
    id: uuidv7(),
    tenant,
    log,
    action,
    category,
    crud: 'read',
    occurred_at: formatMicros(atUs),
    actor: a,
    resource: { type: 'secret', id: `sec_${r}`, name: `SECRET_${r}`, path: `prod/app${r % 50}/secret${r}` },
    source: (['dashboard', 'api', 'cli', 'sdk', 'agent'] as const)[r % 5]!,
    service: ['github', 'slack', 'aws'][r % 3]!,
    environment: r % 3 === 0 ? 'production' : 'staging',
    outcome: failed ? { success: false, status: 403, reason: 'policy' } : { success: true, status: 200 },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(label: string, run: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 3; i++) await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    await run();
    const used = process.cpuUsage(c);
    wall.push(performance.now() - t);
    cpu.push((used.user + used.system) / 1000);
  }
  const [w, c] = [wall.sort((a, b) => a - b), cpu.sort((a, b) => a - b)];
  const ms = (x: number) => x.toFixed(1);
  console.log(`| ${label} | ${ms(percentile(w, 50))} | ${ms(percentile(w, 95))} | ${ms(percentile(c, 50))} | ${ms(percentile(c, 95))} |`);
}

const dir = KEEP || mkdtempSync(join(tmpdir(), 'vigil-bench-summary-'));
const path = join(dir, 'vigil.db');
const reuse = existsSync(path);
const store = new SqliteStore({ path });
await store.open();
const end = reuse ? await newestUs() : nowMicros();
if (reuse) console.log(`\nreusing ${path}`);
else {
  const t0 = performance.now();
  const large = await fill(end);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`\n${EVENTS} events (${large} of ${TENANT}) over 30 days, filled in ${seconds.toFixed(1)} s (${Math.round(EVENTS / seconds)} events/s)`);
}

/** Just after the large tenant's newest event: where the summaries of an earlier fill end. */
async function newestUs(): Promise<number> {
  const [newest] = await store.query({ tenant: TENANT, filter: {}, order: 'desc', limit: 1 });
  return newest!.occurredUs + 1;
}

/** Appends EVENTS events over the 30 days before `end`; returns how many are the large tenant's. */
async function fill(endUs: number): Promise<number> {
  const start = endUs - 30 * DAY_US;
  const spike = actor(2999); // a quiet actor that reads a lot in the last day
  let large = 0;
  for (let i = 0; i < EVENTS; i += GROUP) {
    const events: PreparedEvent[] = [];
    for (let j = i; j < Math.min(EVENTS, i + GROUP); j++) {
      const atUs = start + Math.floor(((j + random()) / EVENTS) * 30 * DAY_US);
      if (j % 20 === 19) events.push(event(`small-${j % 7}`, atUs));
      else if (atUs > endUs - DAY_US && j % 50 === 0) events.push(event(TENANT, atUs, spike));
      else events.push(event(TENANT, atUs));
      large += events[events.length - 1]!.tenant === TENANT ? 1 : 0;
    }
    await store.append([{ events }]);
  }
  return large;
}

const viewer = { keyId: 'bench', name: 'bench', role: 'viewer' as const, tenant: TENANT };
const service = new SummaryService(store, { now: () => end });
console.log(`database ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB (+ WAL)\n`);
console.log('| summary | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms |\n|---|---|---|---|---|');
const dashboard = { range: '30d', group_by: 'action,actor', bucket: 'day', baseline: 'actor' };
await time('30 days: group_by=action,actor, bucket=day, baseline=actor', () => service.summary(viewer, dashboard));
await time('30 days, action=secret.read, same groups and baseline', () => service.summary(viewer, { ...dashboard, action: 'secret.read' }));
await time('7 days, status=403 (scan), group_by=actor, bucket=hour', () =>
  service.summary(viewer, { range: '7d', status: '403', group_by: 'actor', bucket: 'hour' }),
);
const flagged = (await service.summary(viewer, dashboard)).baselines!.filter((b) => b.flagged).map((b) => `${b.actor} (z ${b.z})`);
console.log(`\nflagged by the baseline: ${flagged.join(', ') || 'none'}`);
await store.close();
if (!KEEP) rmSync(dir, { recursive: true, force: true });
