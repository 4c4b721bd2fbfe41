/**
 * Offline `vigil verify` throughput: a bundle of one tenant's log (realistic events, sealed as
 * Vigil stores them), verified from disk as `vigil verify --bundle` does, with and without
 * leaf-hashes.bin. Target: at least 200,000 events/s.
 *
 *   node --import tsx bench/verify-throughput.ts [--events 500000] [--rounds 3]
 *
 * Prints, for each round, events per second of wall-clock time and per second of this process's
 * CPU time (user + system, all threads: the figure that stays meaningful on a machine shared with
 * other work), and the best of each mode (a busy machine only ever slows a run down).
 */
import { createWriteStream, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { BUNDLE_FILES, verifyBundle } from '../src/cli/verify.js';
import { prepareEvent } from '../src/domain/prepare.js';
import { sealEvent } from '../src/domain/seal.js';
import { signCheckpoint } from '../src/integrity/checkpoint.js';
import { CompactRange } from '../src/integrity/compact-range.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { formatVerifierKey, generateSigner } from '../src/integrity/note.js';
import { Dataset, DAY_US } from './dataset.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}

const EVENTS = option('events', 500_000);
const ROUNDS = option('rounds', 3);
const TENANT = 'acme';

/** Writes a bundle of EVENTS events of one tenant; returns the size of events.jsonl in bytes. */
async function writeBundle(dir: string): Promise<number> {
  const endUs = Date.UTC(2026, 10, 1) * 1000;
  const dataset = new Dataset({ seed: 7, events: EVENTS, tenants: 20, days: 30, endUs });
  const key = new Uint8Array(32);
  const events = createWriteStream(path.join(dir, BUNDLE_FILES.events));
  const hashes = createWriteStream(path.join(dir, BUNDLE_FILES.leafHashes));
  const range = new CompactRange();
  let seq = 0;
  for (const input of dataset.events()) {
    // Every event of the data set, as if all were this tenant's.
    const body = sealEvent(prepareEvent({ ...input, tenant: TENANT }, { tenant: TENANT, redactionKey: key, nowUs: endUs + DAY_US }), seq++, endUs);
    const leaf = hashLeaf(body);
    range.append(leaf);
    if (!events.write(`${body}\n`)) await new Promise<void>((r) => events.once('drain', () => r()));
    hashes.write(leaf);
  }
  await Promise.all([new Promise<void>((r) => events.end(r)), new Promise<void>((r) => hashes.end(r))]);
  const signer = generateSigner('vigil');
  await writeFile(path.join(dir, BUNDLE_FILES.checkpoint), signCheckpoint(signer, `vigil/${TENANT}`, range.size, range.root()));
  await writeFile(path.join(dir, BUNDLE_FILES.key), `${formatVerifierKey(signer)}\n`);
  return statSync(path.join(dir, BUNDLE_FILES.events)).size;
}

const quiet = new Writable({ write: (_chunk, _enc, done) => done() });

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-verify-'));
  try {
    const bytes = await writeBundle(dir);
    console.log(`bundle: ${EVENTS} events, ${(bytes / 1e6).toFixed(0)} MB of events.jsonl (${Math.round(bytes / EVENTS)} bytes/event)\n`);
    const best = { with: { wall: 0, cpu: 0 }, without: { wall: 0, cpu: 0 } };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of ['with', 'without'] as const) {
        // Events alone: the same bundle with leaf-hashes.bin moved aside.
        const hashes = path.join(dir, BUNDLE_FILES.leafHashes);
        if (mode === 'without') renameSync(hashes, `${hashes}.aside`);
        const started = performance.now();
        const cpu = process.cpuUsage();
        const ok = await verifyBundle(dir, TENANT, {}, { out: quiet, err: quiet });
        const used = process.cpuUsage(cpu);
        const wall = EVENTS / ((performance.now() - started) / 1000);
        const perCpu = EVENTS / ((used.user + used.system) / 1e6);
        if (!ok) throw new Error('the bundle did not verify');
        best[mode] = { wall: Math.max(best[mode].wall, wall), cpu: Math.max(best[mode].cpu, perCpu) };
        const mb = (wall * bytes) / EVENTS / 1e6;
        console.log(`round ${round}, ${mode.padEnd(7)} leaf hashes: ${wall.toFixed(0).padStart(8)} events/s (${mb.toFixed(0)} MB/s), ${perCpu.toFixed(0).padStart(8)} events per CPU second`);
        if (mode === 'without') renameSync(`${hashes}.aside`, hashes);
      }
    }
    for (const mode of ['with', 'without'] as const) {
      console.log(`best ${mode.padEnd(7)} leaf-hashes.bin: ${best[mode].wall.toFixed(0)} events/s, ${best[mode].cpu.toFixed(0)} events per CPU second`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
