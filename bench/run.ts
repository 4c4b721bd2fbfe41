/**
 * `npm run bench`: Vigil against the usual design, on SQLite and on PostgreSQL (issue 7).
 *
 *   npm run bench -- [--events 100000] [--engines sqlite,postgres] [--only ingest,queries,export,summary,proofs,disk]
 *                    [--json FILE] [--no-baseline] [--seed 42] [--runs 30] [--profile DIR] …   (--help lists all)
 *
 * 1. Writes the seeded data set (bench/dataset.ts) to an NDJSON file under a temporary directory.
 * 2. For each engine: starts a real Vigil server process on an empty store (a temporary SQLite
 *    directory, or a throwaway PostgreSQL database), measures it over HTTP and in-process
 *    (bench/vigil.ts), stops it; then loads the same events into the baseline design and
 *    measures the same questions (bench/baseline.ts).
 * 3. Prints Markdown tables (Vigil, baseline, Vigil's advantage, the target) and, with --json,
 *    writes every figure with the machine it was measured on. BENCHMARKS.md explains the figures.
 *
 * Everything it creates — files, databases, server processes — is removed when it ends, also on
 * an error or Ctrl-C, except the store kept with `--store` or `--database`.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseTimeMicros } from '../src/domain/time.js';
import type { BaselineResults, BaselineStore } from './baseline.js';
import { measureBaseline } from './baseline.js';
import { PostgresBaseline } from './baseline-postgres.js';
import { SqliteBaseline } from './baseline-sqlite.js';
import { SECTIONS, type RunContext, type Section } from './context.js';
import { Dataset } from './dataset.js';
import { writeEventsFile, type DatasetStats } from './events-file.js';
import { calibrate } from './calibrate.js';
import { describeMachine, machineLine, type Machine } from './machine.js';
import { createDatabase, DEFAULT_DATABASE_URL, keptDatabase } from './postgres.js';
import { investigations } from './queries.js';
import { engineRows, markdownQueries, markdownTable, type Engine, type Row } from './report.js';
import { REPO, type Runtime, type StoreConfig } from './server.js';
import { compileServer } from './compile.js';
import { measureVigil, type VigilResults } from './vigil.js';

const ENGINES = ['sqlite', 'postgres'] as const;
const ENGINE_NAMES: Record<Engine, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

const HELP = `npm run bench -- [options]
  --events N              events in the data set (default 100000; 1000000 and 10000000 for reporting)
  --engines LIST          sqlite,postgres (default both)
  --only LIST             ${SECTIONS.join(',')} (default all); without ingest, the data set is loaded in-process, untimed
  --no-baseline           measure Vigil only
  --json FILE             write every figure and the machine to FILE
  --seed N                data set seed (default 42)
  --tenants N             tenants (default 100)
  --days N                days of history (default 90)
  --end TIME              end of the history, RFC 3339 (default 2026-11-01T00:00:00Z)
  --singles N             events sent one per request (default 5% of events, 2,000 to 20,000)
  --batch N               events per batch request (default 500)
  --connections N         connections for batches (default 4)
  --concurrency N         connections for single events (default 64)
  --runs N                timed runs per query (default 30; fewer if one measure exceeds --budget-ms)
  --budget-ms N           time budget per timed measure (default 5000)
  --singles-seconds N     cap on each side's single-event phase; the rest goes in batches, untimed (default 30)
  --database-url URL      PostgreSQL server for throwaway databases (default VIGIL_TEST_DATABASE_URL or ${DEFAULT_DATABASE_URL})
  --log-level LEVEL       the server's VIGIL_LOG_LEVEL (default info, as shipped)
  --tsx                   run the server from source through tsx instead of compiled (about 30 MB more RSS)
  --profile DIR           write V8 CPU profiles of the Vigil servers into DIR
  --work-dir DIR          where temporary files go (default the OS temp directory)
  --store DIR             SQLite: keep Vigil's store in DIR; if DIR already holds one, filled by an earlier run with
                          the same data set options, measure it as it is (no fill; ingest cannot be measured)
  --database NAME         PostgreSQL: the same with Vigil's database, kept as NAME on the server of --database-url`;

interface Options {
  events: number;
  engines: Engine[];
  sections: Set<Section>;
  baseline: boolean;
  json?: string;
  seed: number;
  tenants: number;
  days: number;
  endUs: number;
  singles: number;
  batch: number;
  connections: number;
  concurrency: number;
  runs: number;
  budgetMs: number;
  singlesSeconds: number;
  databaseUrl: string;
  logLevel: string;
  tsx: boolean;
  profileDir?: string;
  workDir: string;
  storeDir?: string;
  database?: string;
}

function list<T extends string>(text: string, allowed: readonly T[], flag: string): T[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (bad.length > 0 || items.length === 0) throw new Error(`--${flag}: expected some of ${allowed.join(', ')}, got "${text}"`);
  return items as T[];
}

function count(text: string, flag: string, min = 1): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: expected an integer ≥ ${min}, got "${text}"`);
  return n;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean' }, events: { type: 'string' }, engines: { type: 'string' }, only: { type: 'string' },
      'no-baseline': { type: 'boolean' }, json: { type: 'string' }, seed: { type: 'string' }, tenants: { type: 'string' },
      days: { type: 'string' }, end: { type: 'string' }, singles: { type: 'string' }, batch: { type: 'string' },
      connections: { type: 'string' }, concurrency: { type: 'string' }, runs: { type: 'string' }, 'budget-ms': { type: 'string' },
      'singles-seconds': { type: 'string' }, 'database-url': { type: 'string' }, 'log-level': { type: 'string' },
      profile: { type: 'string' }, 'work-dir': { type: 'string' }, tsx: { type: 'boolean' }, store: { type: 'string' }, database: { type: 'string' },
    },
  });
  if (values.help) return null;
  const events = count(values.events ?? '100000', 'events', 1000);
  const endUs = parseTimeMicros(values.end ?? '2026-11-01T00:00:00Z');
  if (endUs === null) throw new Error(`--end: expected an RFC 3339 time, got "${values.end}"`);
  const singles = values.singles === undefined ? Math.min(20_000, Math.max(2_000, Math.round(events * 0.05))) : count(values.singles, 'singles');
  if (singles >= events) throw new Error('--singles must be fewer than --events');
  return {
    events,
    engines: list(values.engines ?? ENGINES.join(','), ENGINES, 'engines'),
    sections: new Set(list(values.only ?? SECTIONS.join(','), SECTIONS, 'only')),
    baseline: !values['no-baseline'],
    ...(values.json ? { json: path.resolve(values.json) } : {}),
    seed: count(values.seed ?? '42', 'seed', 0),
    tenants: count(values.tenants ?? '100', 'tenants'),
    days: count(values.days ?? '90', 'days'),
    endUs,
    singles,
    batch: count(values.batch ?? '500', 'batch'),
    connections: count(values.connections ?? '4', 'connections'),
    concurrency: count(values.concurrency ?? '64', 'concurrency'),
    runs: count(values.runs ?? '30', 'runs', 3),
    budgetMs: count(values['budget-ms'] ?? '5000', 'budget-ms'),
    singlesSeconds: count(values['singles-seconds'] ?? '30', 'singles-seconds'),
    databaseUrl: values['database-url'] ?? process.env.VIGIL_TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL,
    logLevel: values['log-level'] ?? 'info',
    tsx: values.tsx === true,
    ...(values.profile ? { profileDir: path.resolve(values.profile) } : {}),
    workDir: values['work-dir'] ?? os.tmpdir(),
    ...(values.store ? { storeDir: path.resolve(values.store) } : {}),
    ...(values.database ? { database: values.database } : {}),
  };
}

/** Removes what the run created, newest first; run on success, error and signals alike. */
class Cleanup {
  private readonly steps: (() => Promise<void> | void)[] = [];

  add(step: () => Promise<void> | void): () => Promise<void> {
    this.steps.push(step);
    return async () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
      await step();
    };
  }

  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      try {
        await this.steps.pop()!();
      } catch (err) {
        log(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

const runStarted = performance.now();
function log(line: string): void {
  process.stderr.write(`[${((performance.now() - runStarted) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

interface EngineResult {
  rows: Row[];
  vigil: VigilResults;
  baseline?: BaselineResults;
}

/** Events beyond the data set a kept store may hold: those its earlier measures logged. */
const KEPT_SLACK = 100;

/**
 * Whether a kept store (`--store`, `--database`) already holds this data set: its largest
 * tenant's tree has as many leaves as the data set gives that tenant. An empty one is filled.
 */
function checkKept(kept: string, size: number, largest: { name: string; events: number }, ctx: RunContext): boolean {
  if (size === 0) return false;
  if (ctx.sections.has('ingest')) throw new Error(`${kept} already holds a store: leave ingest out of --only, or give an empty one`);
  // Measuring adds a few of Vigil's own audit events (an export logs one in the tenant's log).
  if (size < largest.events || size >= largest.events + KEPT_SLACK) {
    throw new Error(`${kept} holds ${size} events of ${largest.name}, this data set ${largest.events}: it was filled with other options`);
  }
  return true;
}

/** The largest tenant's tree size in the SQLite store of `dataDir` (0 when there is none yet). */
function sqliteSize(dataDir: string, tenant: string): number {
  const file = path.join(dataDir, 'vigil.db');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    const sql = 'SELECT h.size FROM tree_heads h JOIN tenants t ON t.id = h.tenant_id WHERE t.name = ?';
    return (db.prepare(sql).get(tenant) as { size: number } | undefined)?.size ?? 0;
  } finally {
    db.close();
  }
}

/** The same in the PostgreSQL database at `url` (0 before Vigil has made its tables there). */
async function postgresSize(url: string, tenant: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if ((await client.query<{ t: string | null }>(`SELECT to_regclass('public.tree_heads') AS t`)).rows[0]!.t === null) return 0;
    const sql = 'SELECT h.size FROM tree_heads h JOIN tenants t ON t.id = h.tenant_id WHERE t.name = $1';
    return Number((await client.query<{ size: string }>(sql, [tenant])).rows[0]?.size ?? 0);
  } finally {
    await client.end();
  }
}

async function runEngine(
  engine: Engine,
  options: Options,
  ctx: RunContext,
  largest: { name: string; events: number },
  cleanup: Cleanup,
): Promise<EngineResult> {
  log(`${ENGINE_NAMES[engine]}: Vigil`);
  let store: StoreConfig;
  let release: () => Promise<void>;
  let filled = false;
  if (engine === 'sqlite') {
    const dataDir = options.storeDir ?? path.join(ctx.workDir, 'sqlite-vigil');
    mkdirSync(dataDir, { recursive: true });
    store = { kind: 'sqlite', dataDir };
    filled = options.storeDir !== undefined && checkKept(`--store ${dataDir}`, sqliteSize(dataDir, largest.name), largest, ctx);
    release = options.storeDir ? async () => {} : cleanup.add(() => rmSync(dataDir, { recursive: true, force: true }));
  } else if (options.database) {
    const db = await keptDatabase(options.databaseUrl, options.database);
    store = { kind: 'postgres', url: db.url };
    filled = db.existed && checkKept(`--database ${options.database}`, await postgresSize(db.url, largest.name), largest, ctx);
    release = async () => {};
  } else {
    const db = await createDatabase(options.databaseUrl, 'vigil');
    store = { kind: 'postgres', url: db.url };
    release = cleanup.add(() => db.drop());
  }
  const vigil = await measureVigil(store, ctx, filled);
  await release();
  if (!options.baseline) return { rows: engineRows(engine, investigations(ctx.subjects, ctx.endUs), vigil, undefined), vigil };

  log(`${ENGINE_NAMES[engine]}: baseline`);
  let baselineStore: BaselineStore;
  if (engine === 'sqlite') {
    const dir = path.join(ctx.workDir, 'sqlite-baseline');
    mkdirSync(dir);
    baselineStore = new SqliteBaseline(dir);
    release = cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  } else {
    const db = await createDatabase(options.databaseUrl, 'baseline');
    baselineStore = new PostgresBaseline(Math.max(options.connections, options.concurrency), db.url);
    release = cleanup.add(() => db.drop());
  }
  const deepPages = Object.fromEntries(Object.entries(vigil.queries ?? {}).map(([id, t]) => [id, t.deepPage]));
  const baseline = await measureBaseline(baselineStore, ctx, deepPages);
  await release();
  return { rows: engineRows(engine, investigations(ctx.subjects, ctx.endUs), vigil, baseline), vigil, baseline };
}

function datasetLine(options: Options, stats: DatasetStats, largest: string): string {
  const pct = (n: number) => `${((n / stats.events) * 100).toFixed(1)}%`;
  const logs = Object.entries(stats.byLog).map(([log, n]) => `${log} ${pct(n)}`).join(', ');
  return `${stats.events.toLocaleString('en-US')} events (${(stats.bytes / stats.events).toFixed(0)} bytes of JSON each on average), ${options.tenants} tenants over ${options.days} days, seed ${options.seed}; largest tenant ${largest} with ${stats.largestTenant.toLocaleString('en-US')} events; failures and denials ${pct(stats.failures)}; ${logs}`;
}

function markdown(options: Options, machine: Machine, dataset: string, results: Partial<Record<Engine, EngineResult>>): string {
  const out = [`## Vigil benchmark: ${options.events.toLocaleString('en-US')} events`, '', `Machine: ${machineLine(machine)}.`, '', `Data set: ${dataset}.`, ''];
  for (const engine of options.engines) {
    const result = results[engine];
    if (!result) continue;
    out.push(`### ${ENGINE_NAMES[engine]}`, '', markdownTable(result.rows), '');
    const queries = markdownQueries(result.rows);
    if (queries) out.push('Investigations (ms, over HTTP for Vigil; in-process for the baseline):', '', queries, '');
  }
  out.push(
    'The baseline runs in this process against the database directly (no HTTP, no validation, no redaction, no hashing), which favours it.',
    'Targets are those of issue 7, set for 10,000,000 events on an idle 2-core machine; at other sizes and under load they are indicative.',
  );
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === null) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void cleanup.runAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // An error no one awaited (a driver's 'error' event) must not leave databases and files behind.
  process.once('uncaughtException', (err) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    void cleanup.runAll().finally(() => process.exit(1));
  });
  try {
    const startedAt = new Date().toISOString();
    const machine = await describeMachine(options.engines.includes('postgres') ? options.databaseUrl : null);
    if (options.engines.includes('postgres') && machine.postgres === null) throw new Error(`PostgreSQL at ${options.databaseUrl} does not answer`);
    mkdirSync(options.workDir, { recursive: true });
    const workDir = mkdtempSync(path.join(options.workDir, 'vigil-bench-'));
    cleanup.add(() => rmSync(workDir, { recursive: true, force: true }));
    log('calibrating the machine');
    machine.calibration = calibrate(workDir);
    if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });

    let runtime: Runtime = { kind: 'tsx' };
    if (!options.tsx) {
      const dir = path.join(REPO, 'node_modules', '.cache', `vigil-bench-${path.basename(workDir)}`);
      cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
      log('compiling the server');
      compileServer(REPO, dir, ['src'], []);
      runtime = { kind: 'compiled', dir };
    }

    const dataset = new Dataset({ seed: options.seed, events: options.events, tenants: options.tenants, days: options.days, endUs: options.endUs });
    const eventsFile = path.join(workDir, 'events.ndjson');
    log(`writing the data set (${options.events.toLocaleString('en-US')} events)`);
    const stats = await writeEventsFile(dataset, eventsFile, (done) => done % 1_000_000 === 0 && log(`  ${done.toLocaleString('en-US')} events written`));
    const ctx: RunContext = {
      events: options.events,
      singles: options.singles,
      batchSize: options.batch,
      connections: options.connections,
      concurrency: options.concurrency,
      sections: options.sections,
      timing: { runs: options.runs, budgetMs: options.budgetMs },
      eventsFile,
      workDir,
      subjects: dataset.subjects(),
      endUs: options.endUs,
      logLevel: options.logLevel,
      runtime,
      singlesSeconds: options.singlesSeconds,
      ...(options.profileDir ? { profileDir: options.profileDir } : {}),
      log,
    };
    const results: Partial<Record<Engine, EngineResult>> = {};
    const largest = { name: dataset.largest.name, events: stats.largestTenant };
    for (const engine of options.engines) results[engine] = await runEngine(engine, options, ctx, largest, cleanup);

    machine.loadAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
    const line = datasetLine(options, stats, dataset.largest.name);
    process.stdout.write(markdown(options, machine, line, results));
    if (options.json) {
      const { workDir: _work, profileDir: _profile, json: _json, sections, ...recorded } = options;
      const report = {
        benchmark: 'vigil',
        format: 1,
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
        startedAt,
        finishedAt: new Date().toISOString(),
        options: { ...recorded, sections: [...sections] },
        machine,
        dataset: { ...stats, subjects: ctx.subjects, summary: line },
        engines: results,
      };
      writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
      log(`wrote ${options.json}`);
    }
  } finally {
    await cleanup.runAll();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
