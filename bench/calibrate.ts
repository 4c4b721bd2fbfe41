/**
 * How fast the machine is, right now, at the kinds of work the benchmark's figures are made of,
 * measured the same way in every run and independent of Vigil's code. The project's machine has
 * run the same commit 2–3× slower in one session than in another (BENCHMARKS.md); two runs'
 * figures compare only as far as their calibrations agree.
 */
import { createHash } from 'node:crypto';
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { percentile } from './stats.js';

export interface Calibration {
  /** JSON.stringify and JSON.parse of a fixed ~1 KB document 20,000 times, and SHA-256 over 32 MB: ms, the best of 3. */
  cpuMs: number;
  /** 100,000 rows into an in-memory SQLite table with two indexes, in one transaction: ms, the best of 3. */
  sqliteMs: number;
  /** 1 MB written in 4 KB pieces, then fdatasync, in the benchmark's work directory: ms, the median of 7. */
  syncMs: number;
}

const DOCUMENT = {
  id: '0192f5a0-7c1e-7d3a-9b2f-4e5d6c7b8a90',
  occurred_at: '2026-11-01T12:34:56.789012Z',
  action: 'secret.read',
  actor: { type: 'user', id: 'walter.silva1@acme.example', name: 'Walter Silva' },
  resource: { type: 'secret', id: 'sec_8f3a', path: 'prod/payments/slack_webhook_url' },
  outcome: { success: false, status: 403, reason: 'policy denied: outside business hours' },
  client: { ip: '203.0.113.42', user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15' },
  context: { region: 'eu-west-1', tags: ['pci', 'prod'], attempts: 3, ratio: 0.125 },
  changes: [{ field: 'rotation_days', before: 30, after: 90 }],
};

function bestOf(runs: number, fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

function cpu(): void {
  for (let i = 0; i < 20_000; i++) JSON.parse(JSON.stringify({ ...DOCUMENT, seq: i }));
  const block = Buffer.alloc(1 << 20, 7);
  const hash = createHash('sha256');
  for (let i = 0; i < 32; i++) hash.update(block);
  hash.digest();
}

function sqlite(): void {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT); CREATE INDEX t_a ON t (a); CREATE INDEX t_b ON t (b)');
  const insert = db.prepare('INSERT INTO t (a, b) VALUES (?, ?)');
  db.transaction(() => {
    // A multiplicative hash spreads the keys, as actor and resource ids spread over an index.
    for (let i = 0; i < 100_000; i++) insert.run((i * 2_654_435_761) % 1_000_003, `k${(i * 40_503) % 65_521}`);
  })();
  db.close();
}

function sync(dir: string): number {
  const file = path.join(dir, 'calibrate.bin');
  const page = Buffer.alloc(4096, 7);
  const times: number[] = [];
  const fd = openSync(file, 'w');
  try {
    for (let round = 0; round < 7; round++) {
      const start = performance.now();
      for (let i = 0; i < 256; i++) writeSync(fd, page, 0, page.length, (round * 256 + i) * page.length);
      fdatasyncSync(fd);
      times.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return percentile(times, 50);
}

/** The three measures, in about a second; `dir` is where the sync test writes (the store's disk). */
export function calibrate(dir: string): Calibration {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { cpuMs: round(bestOf(3, cpu)), sqliteMs: round(bestOf(3, sqlite)), syncMs: round(sync(dir)) };
}

export function calibrationLine(c: Calibration): string {
  return `speed (bench/calibrate.ts; less is faster): CPU ${c.cpuMs} ms, SQLite ${c.sqliteMs} ms, 1 MB written and synced ${c.syncMs} ms`;
}
