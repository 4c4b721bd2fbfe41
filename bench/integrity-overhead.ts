/**
 * What the Merkle log costs the write path: the SQLite store's append with integrity on (leaf
 * hash of every event, tiles written in the same transaction) and off (`integrity: false`, a
 * benchmark-only switch), on the same prepared events.
 *
 *   node --import tsx bench/integrity-overhead.ts [--events 100000] [--group 500] [--rounds 3]
 *
 * Each round appends the events, in groups, into a fresh database file for each mode (the modes
 * alternate, so a busy machine slows both alike). Prints events/s and CPU milliseconds per
 * 1,000 events of this process for each round, the median of each mode, and the overhead of on
 * over off. The default synchronous=FULL is used, as `vigil serve` runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PreparedEvent } from '../src/domain/event.js';
import { prepareEvent } from '../src/domain/prepare.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { Dataset, DAY_US } from './dataset.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

const EVENTS = option('events', 100_000);
const GROUP = option('group', 500);
const ROUNDS = option('rounds', 3);

interface Figures {
  eventsPerSecond: number;
  cpuMsPer1000: number;
}

/** The benchmark's realistic events, prepared (validated, redacted) before the clock starts. */
function preparedEvents(): PreparedEvent[] {
  const endUs = Date.UTC(2026, 10, 1) * 1000;
  const dataset = new Dataset({ seed: 42, events: EVENTS, tenants: 20, days: 30, endUs });
  const key = new Uint8Array(32);
  return [...dataset.events()].map((input) => prepareEvent(input, { tenant: input.tenant, redactionKey: key, nowUs: endUs + DAY_US }));
}

async function measure(events: readonly PreparedEvent[], integrity: boolean): Promise<Figures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-integrity-'));
  const store = new SqliteStore({ path: path.join(dir, 'vigil.db'), integrity });
  await store.open();
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let at = 0; at < events.length; at += GROUP) await store.append([{ events: events.slice(at, at + GROUP) }]);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { eventsPerSecond: events.length / seconds, cpuMsPer1000: (used.user + used.system) / events.length };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fixed = (n: number, digits = 0) => n.toFixed(digits).padStart(9);

async function main(): Promise<void> {
  const events = preparedEvents();
  const results: Record<'on' | 'off', Figures[]> = { on: [], off: [] };
  console.log(`SQLite append, ${EVENTS} events in groups of ${GROUP}, ${ROUNDS} rounds\n`);
  console.log('round  mode    events/s  CPU ms/1000');
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which mode goes first, so neither always runs on a warmer machine.
    const order: ('on' | 'off')[] = round % 2 ? ['on', 'off'] : ['off', 'on'];
    for (const mode of order) {
      const figures = await measure(events, mode === 'on');
      results[mode].push(figures);
      console.log(`${String(round).padStart(5)}  ${mode.padEnd(4)} ${fixed(figures.eventsPerSecond)}  ${fixed(figures.cpuMsPer1000, 1)}`);
    }
  }
  const on = { rate: median(results.on.map((f) => f.eventsPerSecond)), cpu: median(results.on.map((f) => f.cpuMsPer1000)) };
  const off = { rate: median(results.off.map((f) => f.eventsPerSecond)), cpu: median(results.off.map((f) => f.cpuMsPer1000)) };
  console.log(`\nmedian on   ${fixed(on.rate)} events/s  ${fixed(on.cpu, 1)} CPU ms/1000`);
  console.log(`median off  ${fixed(off.rate)} events/s  ${fixed(off.cpu, 1)} CPU ms/1000`);
  console.log(`integrity on: ${(100 * (1 - on.rate / off.rate)).toFixed(1)}% fewer events/s, ${(100 * (on.cpu / off.cpu - 1)).toFixed(1)}% more CPU`);
}

await main();
