/**
 * Vigil's side of one engine's run. Over HTTP against a real server process: ingest (batches,
 * then single events), the investigations, the streamed CSV export, the 30-day summary and
 * inclusion proofs; a bundle of the largest tenant's log for `vigil verify`. Then, with the
 * server stopped: the offline verify of that bundle, and the bytes on disk.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pg from 'pg';
import { generateApiKey } from '../src/auth/api-key.js';
import { ApiClient } from '../src/cli/client.js';
import { makeBundle, verifyBundle } from '../src/cli/verify.js';
import { formatMicros } from '../src/domain/time.js';
import { verifyInclusion } from '../src/integrity/verify-proof.js';
import { fileBytes } from './baseline-sqlite.js';
import { batchEnd, isNotAvailable, type NotAvailable, type RunContext } from './context.js';
import { DAY_US } from './dataset.js';
import { readLines } from './events-file.js';
import { expectStatus, HttpClient, type Answer } from './http-client.js';
import { fillDirect } from './direct-fill.js';
import { ingestBatches, ingestSingles, type IngestRate, type SingleRate } from './ingest.js';
import { relationBytes } from './postgres.js';
import { peakRssBytes, resetPeakRss, rssBytes, sampleRss } from './process-stats.js';
import { investigations, timeVigilPages, type PageTimings } from './queries.js';
import { seeded } from './random.js';
import { serverErrors, startServer, type StoreConfig } from './server.js';
import { percentile, secondsSince, timeRuns, type Latency } from './stats.js';

export interface ExportResult {
  rows: number;
  seconds: number;
  rate: number;
  /** Server RSS before the export began, and its peak while it ran (bytes). */
  rssBefore: number;
  peakRss: number;
  /**
   * A first page of the tenant's log, asked for every 10 ms on another connection while the
   * export ran: how long the server's other requests (ingest included) wait behind an export.
   */
  pageDuring: Latency;
}

export interface VigilResults {
  server: string;
  /** Server RSS once ready, before any event (bytes). */
  idleRss: number;
  batches?: IngestRate;
  singles?: SingleRate;
  queries?: Record<string, PageTimings>;
  export?: ExportResult | NotAvailable;
  /** `first`: the server's first summary, before the timed runs' warm-up (its day rows not yet in memory). */
  summary?: (Latency & { first: number }) | NotAvailable;
  proof?: (Latency & { treeSize: number }) | NotAvailable;
  /** `vigil verify` of a bundle of the largest tenant's log, offline (in this process, without the CLI's start-up). */
  verify?: { events: number; seconds: number; rate: number } | NotAvailable;
  disk?: { bytes: number; events: number; perEvent: number; breakdown: Record<string, number>; deadTuples?: Record<string, number> };
  /** Investigations that failed, and why. */
  failed?: Record<string, string>;
}

const SUMMARY_PARAMS = { group_by: 'action,actor', bucket: 'day', baseline: 'actor' };

/** Runs every selected measure of Vigil on one store, owned by the caller: empty, or `filled` by an earlier run (`--store`, `--database`). */
export async function measureVigil(store: StoreConfig, ctx: RunContext, filled: boolean): Promise<VigilResults> {
  const timesIngest = ctx.sections.has('ingest');
  if (filled) ctx.log('  measuring the store an earlier run filled (--store, --database), as it is');
  else if (!timesIngest) {
    ctx.log(`  loading ${ctx.events.toLocaleString('en-US')} events in-process (ingest is not timed in this run)`);
    const seconds = await fillDirect(store, ctx.eventsFile, ctx.events, ctx.log);
    ctx.log(`  loaded in ${Math.round(seconds)} s`);
  }
  const admin = generateApiKey().token;
  const logFile = path.join(ctx.workDir, `server-${store.kind}.log`);
  const server = await startServer({ runtime: ctx.runtime, store, adminKey: admin, logLevel: ctx.logLevel, logFile, ...(ctx.profileDir ? { profileDir: ctx.profileDir } : {}) });
  /** A measure that fails is reported as such, with the server's errors; the others still run. */
  const attempt = async <T>(what: string, measure: () => Promise<T>): Promise<T | NotAvailable> => {
    try {
      return await measure();
    } catch (err) {
      const errors = serverErrors(logFile);
      ctx.log(`  ${what} FAILED: ${err instanceof Error ? err.message : String(err)}${errors ? `\n${errors}` : ''}`);
      return { na: `failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300) };
    }
  };
  const results: VigilResults = { server: server.command, idleRss: rssBytes(server.pid) };
  const tenant = ctx.subjects.tenant;
  try {
    if (timesIngest) {
      const split = batchEnd(ctx);
      const bulk = new HttpClient(server.url, admin, ctx.connections);
      ctx.log(`  ingest: ${split.toLocaleString('en-US')} events in batches of ${ctx.batchSize} on ${ctx.connections} connections`);
      results.batches = await ingestBatches(bulk, server.pid, readLines(ctx.eventsFile, 0, split), {
        batchSize: ctx.batchSize, connections: ctx.connections, total: split, log: ctx.log,
      });
      bulk.close();
      if (split < ctx.events) {
        ctx.log(`  ingest: ${ctx.singles.toLocaleString('en-US')} single events on ${ctx.concurrency} connections (at most ${ctx.singlesSeconds} s)`);
        const many = new HttpClient(server.url, admin, ctx.concurrency);
        results.singles = await ingestSingles(many, server.pid, readLines(ctx.eventsFile, split, ctx.events), {
          concurrency: ctx.concurrency, total: ctx.singles, budgetSeconds: ctx.singlesSeconds, log: ctx.log,
        });
        many.close();
      }
    }
    if (store.kind === 'postgres') await analyze(store.url);

    const one = new HttpClient(server.url, admin, 1);
    if (ctx.sections.has('queries')) {
      results.queries = {};
      for (const inv of investigations(ctx.subjects, ctx.endUs)) {
        ctx.log(`  query: ${inv.title}`);
        const timed = await attempt(inv.id, () => timeVigilPages(one, tenant, inv, ctx.timing));
        if (isNotAvailable(timed)) (results.failed ??= {})[inv.id] = timed.na;
        else results.queries[inv.id] = timed;
      }
    }
    if (ctx.sections.has('export')) {
      ctx.log(`  export: CSV of every event of ${tenant}`);
      const other = new HttpClient(server.url, admin, 1);
      results.export = await attempt('export', () => streamedExport(one, other, server.pid, tenant));
      other.close();
    }
    if (ctx.sections.has('summary')) results.summary = await attempt('summary', () => httpSummary(one, tenant, ctx));
    if (ctx.sections.has('proofs')) {
      results.proof = await attempt('proofs', () => httpProofs(one, tenant, ctx));
      ctx.log('  verify: writing a bundle of the largest tenant');
      const made = await attempt('bundle', () => makeBundle(new ApiClient({ url: server.url, key: admin }), bundleDir(ctx), tenant, quiet()));
      if (isNotAvailable(made)) results.verify = made;
    }
    one.close();
  } finally {
    await server.stop();
  }
  if (ctx.sections.has('proofs') && results.verify === undefined) results.verify = await offlineVerify(ctx).catch((err: Error) => ({ na: `failed: ${err.message}` }));
  if (ctx.sections.has('disk')) results.disk = store.kind === 'sqlite' ? sqliteDisk(`${store.dataDir}/vigil.db`) : await postgresDisk(store.url);
  return results;
}

function bundleDir(ctx: RunContext): string {
  return path.join(ctx.workDir, 'bundle');
}

/** Output that goes nowhere (the CLI functions report to streams). */
function quiet(): { out: Writable; err: Writable } {
  const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  return { out: sink(), err: sink() };
}

/**
 * Passes over the bundle in `offlineVerify`, the fastest reported: a busy machine only ever slows
 * a pass down, and the first pass of a small bundle is mostly the code warming up (the quick
 * run's 19,392 events take ~0.15 s). A pass longer than `ONE_PASS_S` is measured once.
 */
const VERIFY_PASSES = 3;
const ONE_PASS_S = 2;

/** Verifies the bundle as `vigil verify --bundle` does (same function, no process start-up), then removes it. */
async function offlineVerify(ctx: RunContext): Promise<VigilResults['verify']> {
  const dir = bundleDir(ctx);
  try {
    ctx.log('  verify: the bundle, offline');
    const out: string[] = [];
    const io = { out: new Writable({ write: (chunk, _e, done) => done(void out.push(String(chunk))) }), err: quiet().err };
    let seconds = Infinity;
    for (let pass = 0; pass < VERIFY_PASSES; pass++) {
      out.length = 0;
      const started = performance.now();
      const ok = await verifyBundle(dir, ctx.subjects.tenant, {}, io);
      const took = secondsSince(started);
      if (!ok) throw new Error(`vigil verify refused the bundle: ${out.join('')}`);
      seconds = Math.min(seconds, took);
      if (took > ONE_PASS_S) break;
    }
    const events = Number(/Recomputed (\d+) leaves/.exec(out.join(''))?.[1] ?? Number.NaN);
    return { events, seconds, rate: events / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Statistics as autovacuum would have gathered them on tables in service. */
async function analyze(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('ANALYZE');
  await client.end();
}

/** Counts CSV records (line breaks outside quotes), less the header. */
function csvRecordCounter(): { add: (chunk: Buffer) => void; records: () => number } {
  let quoted = false;
  let lines = 0;
  return {
    add(chunk) {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (c === 34) quoted = !quoted;
        else if (c === 10 && !quoted) lines++;
      }
    },
    records: () => Math.max(0, lines - 1),
  };
}

async function streamedExport(client: HttpClient, other: HttpClient, pid: number, tenant: string): Promise<ExportResult> {
  const rssBefore = rssBytes(pid);
  const resetOk = resetPeakRss(pid);
  const sampler = sampleRss(pid);
  const counter = csvRecordCounter();
  const started = performance.now();
  const exported = client.stream(`/v1/audit/export?${new URLSearchParams({ tenant, format: 'csv' })}`, counter.add);
  const [answer, pageDuring] = await Promise.all([exported, timeUntil(exported, () => other.get(`/v1/audit/logs?${new URLSearchParams({ tenant, limit: '50' })}`))]);
  const seconds = secondsSince(started);
  const sampled = sampler.stop();
  expectStatus(answer, 200, 'export');
  const peakRss = resetOk ? Math.max(sampled, peakRssBytes(pid)) : sampled;
  const rows = counter.records();
  return { rows, seconds, rate: rows / seconds, rssBefore, peakRss, pageDuring };
}

/** Times `request` every 10 ms (one at a time) until `done` settles. */
async function timeUntil(done: Promise<unknown>, request: () => Promise<Answer>): Promise<Latency> {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  const ms: number[] = [];
  while (!finished) {
    const t = performance.now();
    expectStatus(await request(), 200, 'a page during the export');
    ms.push(performance.now() - t);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), runs: ms.length };
}

function summaryQuery(tenant: string, ctx: RunContext): Record<string, string> {
  return { tenant, from: formatMicros(ctx.endUs - 30 * DAY_US), to: formatMicros(ctx.endUs), ...SUMMARY_PARAMS };
}

/** The dashboard's 30-day summary of the largest tenant, over HTTP: the server's first, then timed runs. */
async function httpSummary(client: HttpClient, tenant: string, ctx: RunContext): Promise<Latency & { first: number }> {
  const url = `/v1/audit/summary?${new URLSearchParams(summaryQuery(tenant, ctx))}`;
  const summary = async () => expectStatus(await client.get(url), 200, 'summary');
  ctx.log('  summary: 30 days');
  const started = performance.now();
  await summary();
  const first = performance.now() - started;
  return { ...(await timeRuns(summary, ctx.timing)), first };
}

/**
 * Inclusion proofs over HTTP for leaves spread over the largest tenant's tree, against its latest
 * signed checkpoint, as a running service answers them: 128 proofs of other leaves first (a few
 * checked against the checkpoint's root), so that the server's tile memo is filled; then each
 * timed proof is for another leaf, asked once, so its event is not one just read.
 */
async function httpProofs(client: HttpClient, tenant: string, ctx: RunContext): Promise<VigilResults['proof']> {
  const checkpoint = await client.get(`/v1/audit/checkpoint?${new URLSearchParams({ tenant })}`);
  expectStatus(checkpoint, 200, 'checkpoint');
  const { size, root } = JSON.parse(checkpoint.body.toString('utf8')) as { size: number; root: string };
  const proofUrls = (seed: number, count: number) => {
    const random = seeded(seed);
    return Array.from({ length: count }, () => `/v1/audit/proofs/inclusion?${new URLSearchParams({ tenant, seq: String(Math.floor(random() * size)), size: String(size) })}`);
  };
  ctx.log(`  proofs: inclusion proofs at ${size.toLocaleString('en-US')} leaves over HTTP`);
  const warmup = proofUrls(8, 128);
  for (const [i, url] of warmup.entries()) {
    const answer = await client.get(url);
    expectStatus(answer, 200, 'inclusion proof');
    if (i >= 8) continue;
    const p = JSON.parse(answer.body.toString('utf8')) as { seq: number; leaf_hash: string; proof: string[] };
    const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
    verifyInclusion(p.seq, size, bytes(p.leaf_hash), p.proof.map(bytes), bytes(root));
  }
  const timing = { ...ctx.timing, runs: Math.max(ctx.timing.runs, 50), warmup: 0 };
  const timed = proofUrls(7, timing.runs);
  let next = 0;
  const latency = await timeRuns(async () => expectStatus(await client.get(timed[next++ % timed.length]!), 200, 'inclusion proof'), timing);
  return { ...latency, treeSize: size };
}

/** The SQLite file after a checkpoint, with the share of each table and index (dbstat). */
function sqliteDisk(file: string): VigilResults['disk'] {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const breakdown: Record<string, number> = {};
    for (const row of db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number }[]) {
      breakdown[row.name] = row.bytes;
    }
    // Pages a migration or a purge freed: in the file (and counted), reused by the next events.
    const free = (db.pragma('freelist_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
    if (free > 0) breakdown['(free pages)'] = free;
    const events = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const bytes = fileBytes(file);
    return { bytes, events, perEvent: bytes / events, breakdown };
  } finally {
    db.close();
  }
}

/** Every Vigil table, partitions, indexes and TOAST included; partitions summed as `events`. */
async function postgresDisk(url: string): Promise<VigilResults['disk']> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const breakdown: Record<string, number> = {};
    for (const [name, size] of await relationBytes(client)) {
      const key = /^events_p\d{4}_\d{2}$/.test(name) ? 'events (monthly partitions)' : name;
      breakdown[key] = (breakdown[key] ?? 0) + size;
    }
    const bytes = Object.values(breakdown).reduce((a, b) => a + b, 0);
    const events = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
    // Dead row versions left by UPDATEs (tiles that grow, rollups counted up) explain bloat.
    const { rows } = await client.query<{ name: string; dead: string }>(
      "SELECT relname AS name, n_dead_tup AS dead FROM pg_stat_user_tables WHERE n_dead_tup > 0 ORDER BY n_dead_tup DESC LIMIT 10",
    );
    const deadTuples = Object.fromEntries(rows.map((r) => [r.name, Number(r.dead)]));
    return { bytes, events, perEvent: bytes / events, breakdown, deadTuples };
  } finally {
    await client.end();
  }
}
