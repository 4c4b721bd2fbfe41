/**
 * Single events through group commit, in-process: what a request of one event costs the write
 * path without HTTP, and how that cost splits between each transaction and each event.
 *
 *   node --import tsx bench/group-commit.ts [--fill 200000] [--singles 20000] [--concurrency 16,32,64,128] [--seed 42]
 *
 * Loads the first `--fill` benchmark events into a new SQLite store in batches, then sends the
 * next `--singles` one per request from `--concurrency` senders at once (each waits for its answer
 * before the next, as HTTP clients on keep-alive connections do), through IngestService and the
 * Ingestor as `POST /v1/events` does. Prints, per concurrency: events/s, process CPU per event,
 * latency p50/p99, events per transaction and bytes written per transaction (/proc/self/io: the
 * WAL and the checkpoints copying it back). A fit of CPU per event against events per
 * transaction gives the fixed cost of a transaction and the cost of one more event.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Principal } from '../src/auth/principal.js';
import { loadServerSecrets } from '../src/config/server-secrets.js';
import { parseTimeMicros } from '../src/domain/time.js';
import { IngestService } from '../src/http/ingest-service.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { AppendRequest } from '../src/store/store.js';
import { Dataset, type BenchEvent } from './dataset.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    fill: { type: 'string', default: '200000' },
    singles: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16,32,64,128' },
    seed: { type: 'string', default: '42' },
  },
});
const FILL = Number(values.fill);
const SINGLES = Number(values.singles);
const SENDER: Principal = { keyId: 'bench-group-commit', name: 'benchmark', role: 'admin', tenant: null };

const writtenBytes = (): number => Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

interface Run {
  concurrency: number;
  rate: number;
  cpuUs: number;
  p50: number;
  p99: number;
  perFlush: number;
  kbPerFlush: number;
}

async function run(events: readonly BenchEvent[], concurrency: number): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-group-commit-'));
  const store = new SqliteStore({ path: path.join(dir, 'vigil.db') });
  await store.open();
  try {
    let flushes = 0;
    const append = store.append.bind(store);
    store.append = (requests: AppendRequest[]) => (flushes++, append(requests));
    const service = new IngestService(new Ingestor(store), await loadServerSecrets(store));
    for (let i = 0; i < FILL; i += 500) await service.ingest(SENDER, { events: events.slice(i, Math.min(FILL, i + 500)) });
    flushes = 0;
    const latencies: number[] = [];
    let next = FILL;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const written = writtenBytes();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < FILL + SINGLES) {
          const event = events[next++]!;
          const sent = performance.now();
          await service.ingest(SENDER, { events: [event] });
          latencies.push(performance.now() - sent);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      concurrency,
      rate: SINGLES / seconds,
      cpuUs: (used.user + used.system) / SINGLES,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perFlush: SINGLES / flushes,
      kbPerFlush: (writtenBytes() - written) / flushes / 1024,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const dataset = new Dataset({ seed: Number(values.seed), events: FILL + SINGLES, tenants: 100, days: 90, endUs: parseTimeMicros('2026-11-01T00:00:00Z')! });
const events = [...dataset.events()];
const runs: Run[] = [];
console.log('| senders | events/s | CPU µs per event | p50 ms | p99 ms | events per transaction | KB written per transaction |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const concurrency of values.concurrency.split(',').map(Number)) {
  const r = await run(events, concurrency);
  runs.push(r);
  console.log(`| ${r.concurrency} | ${r.rate.toFixed(0)} | ${r.cpuUs.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.perFlush.toFixed(1)} | ${r.kbPerFlush.toFixed(0)} |`);
}
if (runs.length >= 2) {
  // Least squares of cpu = perEvent + perTransaction / eventsPerTransaction.
  const xs = runs.map((r) => 1 / r.perFlush);
  const ys = runs.map((r) => r.cpuUs);
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  console.log(`\nfit: ${(my - slope * mx).toFixed(0)} µs per event + ${(slope / 1000).toFixed(2)} ms per transaction`);
}
