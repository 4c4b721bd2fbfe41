/**
 * Where the write path's CPU goes, stage by stage, in microseconds per event: what each step of
 * `POST /v1/events` costs on the benchmark's events, in this one process, with no HTTP. Sums to
 * the single-core ceiling of ingest; `npm run bench` measures the whole over HTTP.
 *
 *   node --import tsx bench/write-path.ts [--events 50000] [--group 5000] [--seed 42]
 *
 * Stages: JSON.parse of the request body; checkEventSize and validateEvent; prepareEvent
 * (normalise, user agent, redaction), with describeClient and redactEvent also timed alone;
 * sealEvent (canonical JSON) and hashLeaf (SHA-256); SqliteStore.append in groups of `--group`
 * (sequencing, interning, six indexes, Merkle tiles, rollups) with synchronous FULL and NORMAL,
 * so the share of fsync shows. CPU times are process CPU (user + system), not wall time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EventInput, PreparedEvent } from '../src/domain/event.js';
import { prepareEvent } from '../src/domain/prepare.js';
import { redactEvent } from '../src/domain/redaction.js';
import { sealEvent } from '../src/domain/seal.js';
import { nowMicros } from '../src/domain/time.js';
import { describeClient } from '../src/domain/user-agent.js';
import { checkEventSize, validateEvent } from '../src/domain/validate.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { Dataset } from './dataset.js';
import { format } from './report.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '50000' }, group: { type: 'string', default: '5000' }, seed: { type: 'string', default: '42' } } });
const N = Number(values.events);
const GROUP = Number(values.group);
const REDACTION_KEY = new Uint8Array(32).fill(7);

/** CPU microseconds per event of `fn` over `count` events (one warm-up pass first). */
function perEvent(count: number, fn: () => void): number {
  fn();
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

async function perEventAsync(count: number, fn: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

async function appendAll(events: PreparedEvent[], synchronous: 'FULL' | 'NORMAL'): Promise<{ cpu: number; wall: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-write-path-'));
  const store = new SqliteStore({ path: path.join(dir, 'vigil.db'), synchronous });
  await store.open();
  try {
    const wall = performance.now();
    const cpu = await perEventAsync(events.length, async () => {
      for (let i = 0; i < events.length; i += GROUP) await store.append([{ events: events.slice(i, i + GROUP) }]);
    });
    return { cpu, wall: ((performance.now() - wall) * 1000) / events.length };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const dataset = new Dataset({ seed: Number(values.seed), events: N, tenants: 100, days: 90, endUs: Date.UTC(2026, 10, 1) * 1000 });
const lines = [...dataset.events()].map((e) => JSON.stringify(e));
const now = nowMicros();
const parsed = lines.map((l) => JSON.parse(l) as unknown);
const inputs = parsed.map((raw) => (validateEvent(raw, '', now) as { event: EventInput }).event);
const ctx = (input: EventInput) => ({ tenant: input.tenant!, redactionKey: REDACTION_KEY, nowUs: now });
const prepared = inputs.map((input) => prepareEvent(input, ctx(input)));

const rows: [string, number][] = [
  ['JSON.parse of the body', perEvent(N, () => lines.forEach((l) => JSON.parse(l)))],
  ['checkEventSize + validateEvent', perEvent(N, () => parsed.forEach((raw) => checkEventSize(raw, '') ?? validateEvent(raw, '', now)))],
  ['prepareEvent (all of it)', perEvent(N, () => inputs.forEach((input) => prepareEvent(input, ctx(input))))],
  ['  of which describeClient (user agent)', perEvent(N, () => inputs.forEach((input) => input.client?.user_agent && describeClient(input.client.user_agent)))],
  ['  of which redactEvent', perEvent(N, () => inputs.forEach((input) => redactEvent(input, REDACTION_KEY)))],
  ['sealEvent (canonical JSON)', perEvent(N, () => prepared.forEach((e, i) => sealEvent(e, i, now)))],
  ['sealEvent + hashLeaf (SHA-256)', perEvent(N, () => prepared.forEach((e, i) => hashLeaf(sealEvent(e, i, now))))],
];
const full = await appendAll(prepared, 'FULL');
const normal = await appendAll(prepared, 'NORMAL');
rows.push([`SqliteStore.append, groups of ${GROUP}, synchronous FULL (CPU)`, full.cpu]);
rows.push([`  wall time per event (FULL)`, full.wall]);
rows.push([`SqliteStore.append, synchronous NORMAL (CPU)`, normal.cpu]);
rows.push([`  wall time per event (NORMAL)`, normal.wall]);

const total = rows[0]![1] + rows[1]![1] + rows[2]![1] + full.cpu;
const lineFor = ([label, us]: [string, number]) => `| ${label} | ${format(us)} | ${label.startsWith('  ') ? '' : format(1e6 / us)} |`;
process.stdout.write(
  [
    `Write path, ${N.toLocaleString('en-US')} benchmark events, CPU µs per event (one process, no HTTP)`,
    '',
    '| stage | µs/event | events/s on one core |',
    '|---|---:|---:|',
    ...rows.map(lineFor),
    `| **parse + validate + prepare + append (FULL)** | **${format(total)}** | **${format(1e6 / total)}** |`,
    '',
  ].join('\n'),
);
