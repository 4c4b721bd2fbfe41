/**
 * The streamed export's memory and speed (issue 7: ≥ 150,000 rows/s, server peak RSS ≤ 200 MB
 * whatever the size).
 *
 *   node --import tsx bench/export-rss.ts [--events 1000000] [--format csv|jsonl] [--runtime dist|tsx]
 *                                          [--json FILE] [--keep DIR] [--profile DIR]
 *
 * Fills a SQLite store with N events of one tenant (realistic fields, prepared as ingest
 * prepares them: redaction, user-agent parsing), then starts the real server on it in a child
 * process — `vigil serve` as an operator runs it (with `npm start`'s Node flags): the compiled build (`npm run build`, done
 * first) or, with `--runtime tsx`, the sources through tsx — and streams `GET /v1/audit/export`
 * over a socket while sampling the child's RSS from /proc. Prints rows/s, MB/s and the child's
 * peak RSS (VmHWM: the kernel's high-water mark, so no spike between samples is missed). `--keep DIR` keeps the filled store in DIR and reuses it
 * on the next run with the same --events.
 * `--profile DIR` writes a V8 CPU profile of the server into DIR when it stops.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateApiKey } from '../src/auth/api-key.js';
import type { EventInput } from '../src/domain/event.js';
import { prepareEvent } from '../src/domain/prepare.js';
import { formatMicros } from '../src/domain/time.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { cpuSeconds } from './process-stats.js';
import { REPO, SERVER_NODE_FLAGS } from './server.js';

const TENANT = 'bench';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    format: { type: 'string', default: 'csv' },
    json: { type: 'string' },
    runtime: { type: 'string', default: 'dist' },
    keep: { type: 'string' },
    profile: { type: 'string' },
  },
});

async function measure(events: number, format: string, runtime: string, jsonFile: string | undefined, keep: string | undefined, profileDir: string | undefined): Promise<void> {
  const dir = keep ?? mkdtempSync(path.join(tmpdir(), 'vigil-export-bench-'));
  mkdirSync(dir, { recursive: true });
  try {
    const filled = existsSync(path.join(dir, `filled-${events}`));
    const fillSeconds = filled ? 0 : await fill(dir, events);
    writeFileSync(path.join(dir, `filled-${events}`), '');
    const token = generateApiKey().token;
    const port = await freePort();
    // tsc emits even when some file has type errors; the run then uses what was emitted.
    if (runtime === 'dist') spawnSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore' });
    const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
    const entry = [...SERVER_NODE_FLAGS, ...profile, ...(runtime === 'dist' ? ['bin/vigil.js', 'serve'] : ['--import', 'tsx', 'src/cli/main.ts', 'serve'])];
    const child = spawn(process.execPath, entry, {
      cwd: REPO,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', VIGIL_DATA_DIR: dir, VIGIL_ADMIN_KEY: token, VIGIL_DATABASE_URL: '' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    await ready(url, child);
    const idleRss = statusKb(child.pid!, 'VmRSS');
    let sampledMax = 0;
    const sampler = setInterval(() => (sampledMax = Math.max(sampledMax, statusKb(child.pid!, 'VmRSS'))), 20);
    const started = process.hrtime.bigint();
    const cpuBefore = cpuSeconds(child.pid!);
    // The server's RSS at each tenth of the rows: flat after the first tenth means constant memory.
    const rssByTenth: number[] = [];
    const { bytes, lines } = await download(`${url}/v1/audit/export?format=${format}&tenant=${TENANT}&order=asc`, token, (n) => {
      if (n >= ((rssByTenth.length + 1) * events) / 10) rssByTenth.push(round(statusKb(child.pid!, 'VmRSS') / 1024));
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    clearInterval(sampler);
    const peak = statusKb(child.pid!, 'VmHWM');
    child.kill('SIGTERM');
    // The profile is written as the server exits.
    if (child.exitCode === null) await once(child, 'exit');
    const rows = format === 'csv' ? lines - 1 : lines;
    // A reused store (--keep) also holds the vigil.export events of earlier runs.
    if (rows < events) throw new Error(`exported ${rows} rows, expected at least ${events}`);
    const result = {
      events,
      format,
      fill_seconds: round(fillSeconds),
      export_seconds: round(seconds),
      rows,
      rows_per_second: Math.round(rows / seconds),
      server_cpu_us_per_row: round((cpu * 1e6) / rows),
      megabytes: round(bytes / 1e6),
      megabytes_per_second: round(bytes / 1e6 / seconds),
      server_idle_rss_mb: round(idleRss / 1024),
      server_peak_rss_mb: round(peak / 1024),
      server_max_sampled_rss_mb: round(sampledMax / 1024),
      server_rss_mb_by_tenth: rssByTenth,
      runtime,
      node: process.version,
    };
    process.stdout.write(
      [
        `| streamed ${format} export of ${events.toLocaleString('en')} events (${runtime}) | value | target |`,
        '|---|---|---|',
        `| rows/s | ${result.rows_per_second.toLocaleString('en')} | ≥ 150,000 |`,
        `| server peak RSS (VmHWM) | ${result.server_peak_rss_mb} MB (idle ${result.server_idle_rss_mb} MB) | ≤ 200 MB |`,
        `| server CPU per row (load-independent) | ${result.server_cpu_us_per_row} µs | ≤ ${round(1e6 / 150_000)} µs on one core |`,
        `| bytes | ${result.megabytes} MB in ${result.export_seconds} s (${result.megabytes_per_second} MB/s) | |`,
        `| server RSS at each tenth of the rows | ${rssByTenth.join(', ')} MB | flat |`,
        '',
      ].join('\n'),
    );
    if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Stores `n` events of TENANT, prepared as ingest prepares them, in transactions of 10,000. */
async function fill(dir: string, n: number): Promise<number> {
  const store = new SqliteStore({ path: path.join(dir, 'vigil.db'), synchronous: 'NORMAL' });
  await store.open();
  const started = process.hrtime.bigint();
  const redactionKey = randomBytes(32);
  const startUs = Date.UTC(2026, 8, 1) * 1000;
  for (let from = 0; from < n; from += 10_000) {
    const batch = Array.from({ length: Math.min(10_000, n - from) }, (_, i) => {
      const at = startUs + (from + i) * 5_000_000;
      return prepareEvent(sample(from + i, at), { tenant: TENANT, redactionKey, nowUs: at });
    });
    const [result] = await store.append([{ events: batch }]);
    if (!result?.ok) throw new Error('append refused');
    if (from % 200_000 === 0) process.stderr.write(`filled ${from.toLocaleString('en')} events\n`);
  }
  await store.close();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const ACTIONS = ['secret.read', 'secret.read', 'secret.read', 'secret.update', 'secret.list', 'user.login', 'policy.denied', 'api_key.created', 'mcp.tools.call'];
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'vault-cli/1.15.2',
  'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
  'python-requests/2.31.0',
];

/** Event i: a few thousand actors and resources, ~10% failures, changes on updates. */
function sample(i: number, atUs: number): EventInput {
  const action = ACTIONS[i % ACTIONS.length]!;
  const failed = i % 10 === 7 || action === 'policy.denied';
  const actor = i % 4000;
  const resource = (i * 7919) % 20_000;
  return {
    action,
    occurred_at: formatMicros(atUs),
    actor: { type: 'user', id: `u_${actor}`, name: `User ${actor}`, email: `user${actor}@acme.example` },
    resource: { type: 'secret', id: `sec_${resource}`, name: `SECRET_${resource}`, path: `prod/service-${resource % 50}/secret-${resource}` },
    source: i % 3 === 0 ? 'cli' : 'dashboard',
    environment: i % 5 === 0 ? 'staging' : 'production',
    outcome: failed ? { success: false, status: 403, reason: 'time_window', error_code: 'DENIED' } : { success: true, status: 200 },
    request: { id: `req_${i}`, method: action.endsWith('read') ? 'GET' : 'POST', path: `/v1/secrets/prod/secret-${resource}`, duration_ms: (i % 90) + 3.5 },
    client: { ip: `203.0.${(i >> 8) % 256}.${i % 256}`, user_agent: AGENTS[i % AGENTS.length]! },
    session_id: `s_${actor}_${Math.floor(i / 50)}`,
    ...(action === 'secret.update' ? { changes: [{ field: 'rotation_days', old: 30, new: 90 }] } : {}),
    context: { version: String(i % 12), rotation_reason: 'scheduled' },
  };
}

/** Streams a GET, counting bytes and line ends, in constant memory. */
function download(url: string, token: string, progress: (lines: number) => void): Promise<{ bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`export answered ${res.statusCode}`));
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
        progress(lines);
      });
      res.on('end', () => resolve({ bytes, lines }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** A field of /proc/<pid>/status in kB (Linux). */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Waits until the server answers /readyz. */
async function ready(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

// Last, so that every constant above is initialised.
await measure(Number(values.events), values.format!, values.runtime!, values.json, values.keep, values.profile);
