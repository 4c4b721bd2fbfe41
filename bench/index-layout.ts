/**
 * Why SQLite ingest slowed as the log grew, and what the layouts that followed cost to write.
 *
 *   node --import tsx bench/index-layout.ts [--events 2000000] [--group 1000]
 *
 * Inserts the same synthetic rows (100 tenants of Zipf volume, 20,000 actors, 50,000 resources,
 * 60 actions, a 700-byte body, timestamps rising over 90 days, as a log receives them) into
 * tables with a time index (tenant, ts, seq), in transactions of `--group` rows, synchronous
 * FULL, the store's 16 MB page cache, in three layouts:
 * - `value first` (before migration 7): row ids in arrival order, a unique (tenant, seq) index,
 *   and the actor, resource and action indexes value then time (`tenant, actor, ts, seq`): each
 *   insert lands at a random place in an index that grows with the whole log, so each commit
 *   writes about one page per row per index, more as it grows;
 * - `day first` (migration 7): the same with the event's UTC day before the value (`tenant, day,
 *   actor, ts, seq`): inserts only touch the part of the index holding the current day, whose
 *   size is set by the daily volume, not by the size of the log;
 * - `by tenant` (migration 8): day first, and the row id is the tenant then the seq, so the rows
 *   are appended at the end of each tenant's run of the table instead of at one end, and the
 *   (tenant, seq) index goes.
 * Prints CPU and wall microseconds per row for each tenth of the rows. Only the write side:
 * what the layouts ask of the read side is in BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { DAY_US } from '../src/store/rollups.js';
import { dayOf } from '../src/store/sqlite/days.js';
import { rowIdSql } from '../src/store/sqlite/row-ids.js';
import { seeded } from './random.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '2000000' }, group: { type: 'string', default: '1000' } } });
const ROWS = Number(values.events);
const GROUP = Number(values.group);
const START_US = Date.UTC(2026, 7, 1) * 1000;

type Layout = 'value first' | 'day first' | 'by tenant';
const LAYOUTS: readonly Layout[] = ['value first', 'day first', 'by tenant'];

function schema(layout: Layout): string {
  const day = layout === 'value first' ? '' : 'day, ';
  return `CREATE TABLE events (rid INTEGER PRIMARY KEY, tenant_id INTEGER, seq INTEGER, ts INTEGER, day INTEGER,
      actor_id INTEGER, resource_id INTEGER, action_id INTEGER, body BLOB);
    ${layout === 'by tenant' ? '' : 'CREATE UNIQUE INDEX events_seq ON events (tenant_id, seq);'}
    CREATE INDEX events_time ON events (tenant_id, ts, seq);
    CREATE INDEX events_actor ON events (tenant_id, ${day}actor_id, ts, seq);
    CREATE INDEX events_resource ON events (tenant_id, ${day}resource_id, ts, seq);
    CREATE INDEX events_action ON events (tenant_id, ${day}action_id, ts, seq);`;
}

/** CPU and wall microseconds per row of each tenth of the rows. */
function run(layout: Layout): { cpu: number; wall: number }[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-index-layout-'));
  const db = new Database(path.join(dir, 'layout.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -16384');
    db.exec(schema(layout));
    const rid = layout === 'by tenant' ? rowIdSql('?', '?') : 'NULL';
    const insert = db.prepare(`INSERT INTO events (rid, tenant_id, seq, ts, day, actor_id, resource_id, action_id, body)
      VALUES (${rid}, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const ridArgs = (tenant: number, seq: number) => (layout === 'by tenant' ? [tenant, seq] : []);
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
          const seq = seqs[tenant]!++;
          insert.run(...ridArgs(tenant + 1, seq), tenant + 1, seq, ts, dayOf(ts), 1 + Math.floor(random() ** 2 * 20_000), 1 + Math.floor(random() ** 1.5 * 50_000), 1 + Math.floor(random() * 60), body);
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

const results = LAYOUTS.map(run);
console.log(`| rows stored | ${LAYOUTS.map((l) => `${l}: CPU µs/row | wall µs/row`).join(' | ')} |`);
console.log(`|---:|${LAYOUTS.map(() => '---:|---:').join('|')}|`);
results[0]!.forEach((_, i) => {
  const cells = results.map((tenths) => `${tenths[i]!.cpu.toFixed(1)} | ${tenths[i]!.wall.toFixed(1)}`);
  console.log(`| ${(((i + 1) * ROWS) / 10).toLocaleString('en-US')} | ${cells.join(' | ')} |`);
});
