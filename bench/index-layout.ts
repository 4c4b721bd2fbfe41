/**
 * Why SQLite ingest slows as the log grows, and what an index layout bounded by a day would do.
 *
 *   node --import tsx bench/index-layout.ts [--events 2000000] [--group 1000]
 *
 * Inserts the same synthetic rows (100 tenants of Zipf volume, 20,000 actors, 50,000 resources,
 * 60 actions, a 700-byte body, timestamps rising over 90 days, as a log receives them) into two
 * tables with the store's indexes (tenant + seq, tenant + time), in transactions of `--group`
 * rows, synchronous FULL, the store's 16 MB page cache:
 * - `value first`: the actor, resource and action indexes as the store has them, value then time
 *   (`tenant, actor, ts, seq`): each insert lands at a random place in an index that grows with
 *   the whole log, so each commit writes about one page per row per index, more as it grows;
 * - `day first`: the same with the event's UTC day before the value (`tenant, day, actor, ts,
 *   seq`): inserts only touch the part of the index holding the current day, whose size is set
 *   by the daily volume, not by the size of the log.
 * Prints CPU and wall microseconds per row for each tenth of the rows. Only the write side:
 * what the day-first layout asks of the read side is in BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DAY_US } from '../src/store/rollups.js';
import { dayOf } from '../src/store/sqlite/days.js';
import { seeded } from './random.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '2000000' }, group: { type: 'string', default: '1000' } } });
const ROWS = Number(values.events);
const GROUP = Number(values.group);
const START_US = Date.UTC(2026, 7, 1) * 1000;

function schema(dayFirst: boolean): string {
  const day = dayFirst ? 'day, ' : '';
  return `CREATE TABLE events (rid INTEGER PRIMARY KEY, tenant_id INTEGER, seq INTEGER, ts INTEGER, day INTEGER,
      actor_id INTEGER, resource_id INTEGER, action_id INTEGER, body BLOB);
    CREATE UNIQUE INDEX events_seq ON events (tenant_id, seq);
    CREATE INDEX events_time ON events (tenant_id, ts, seq);
    CREATE INDEX events_actor ON events (tenant_id, ${day}actor_id, ts, seq);
    CREATE INDEX events_resource ON events (tenant_id, ${day}resource_id, ts, seq);
    CREATE INDEX events_action ON events (tenant_id, ${day}action_id, ts, seq);`;
}

/** CPU and wall microseconds per row of each tenth of the rows. */
function run(dayFirst: boolean): { cpu: number; wall: number }[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-index-layout-'));
  const db = new Database(path.join(dir, 'layout.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -16384');
    db.exec(schema(dayFirst));
    const insert = db.prepare('INSERT INTO events (tenant_id, seq, ts, day, actor_id, resource_id, action_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const random = seeded(42);
    const weights = Array.from({ length: 100 }, (_, i) => 1 / (i + 1));
    const total = weights.reduce((a, b) => a + b);
    let sum = 0;
    const cumulative = weights.map((w) => (sum += w / total));
    const seqs = new Array<number>(100).fill(0);
    const body = Buffer.alloc(700, 1);
    const tenths: { cpu: number; wall: number }[] = [];
    let cpu = process.cpuUsage();
    let wall = performance.now();
    for (let done = 0; done < ROWS; done += GROUP) {
      db.transaction(() => {
        for (let i = done; i < done + GROUP; i++) {
          const r = random();
          const tenant = Math.max(0, cumulative.findIndex((c) => c >= r));
          const ts = Math.floor(START_US + (i / ROWS) * 90 * DAY_US);
          insert.run(tenant + 1, seqs[tenant]!++, ts, dayOf(ts), 1 + Math.floor(random() ** 2 * 20_000), 1 + Math.floor(random() ** 1.5 * 50_000), 1 + Math.floor(random() * 60), body);
        }
      })();
      if ((done + GROUP) % (ROWS / 10) === 0) {
        const used = process.cpuUsage(cpu);
        tenths.push({ cpu: (used.user + used.system) / (ROWS / 10), wall: ((performance.now() - wall) * 1000) / (ROWS / 10) });
        cpu = process.cpuUsage();
        wall = performance.now();
      }
    }
    return tenths;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const valueFirst = run(false);
const dayFirst = run(true);
console.log(`| rows stored | value first: CPU µs/row | wall µs/row | day first: CPU µs/row | wall µs/row |`);
console.log('|---:|---:|---:|---:|---:|');
valueFirst.forEach((v, i) => {
  const d = dayFirst[i]!;
  console.log(`| ${(((i + 1) * ROWS) / 10).toLocaleString('en-US')} | ${v.cpu.toFixed(1)} | ${v.wall.toFixed(1)} | ${d.cpu.toFixed(1)} | ${d.wall.toFixed(1)} |`);
});
