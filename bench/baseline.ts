/**
 * The usual design, measured beside Vigil: one `audit_events` table with a random UUID primary
 * key, a few columns, the whole event as a JSON payload (TEXT on SQLite, JSONB on PostgreSQL)
 * and the obvious (tenant, …, time) indexes; one transaction per request; pages by OFFSET;
 * summaries by GROUP BY; exports by paging through OFFSET. It runs in this process against the
 * database directly — no HTTP, no validation, no redaction, no hashing — which favours it.
 * baseline-sqlite.ts and baseline-postgres.ts implement the storage for each engine.
 */
import { randomUUID } from 'node:crypto';
import { actorDisplay } from '../src/domain/actor.js';
import { csvLines } from '../src/export/csv.js';
import { batchEnd, type RunContext } from './context.js';
import { DAY_US, type BenchEvent } from './dataset.js';
import { batchesOf, readLines } from './events-file.js';
import { Meter, type IngestRate, type SingleRate } from './ingest.js';
import { DEEP_PAGE, investigations, PAGE_SIZE, type BaselineFilter, type Investigation, type PageTimings } from './queries.js';
import { percentile, secondsSince, timeRuns, type Latency, type TimingOptions } from './stats.js';

/** One row of `audit_events` as the application builds it from a request. */
export interface BaselineRow {
  id: string;
  tenant: string;
  occurredAt: string;
  log: string;
  action: string;
  actor: string;
  /** The resource's path, else its id. */
  resource: string | null;
  ip: string | null;
  /** The event as the producer sent it. */
  payload: string;
}

/** A row as a page returns it. */
export interface StoredRow {
  id: string;
  payload: string;
}

export interface BaselineStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates the table and its indexes. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Stores one request's rows in one transaction. */
  insert(rows: BaselineRow[]): Promise<void>;
  /** One page, newest first, by OFFSET. */
  page(tenant: string, filter: BaselineFilter, offset: number, limit: number): Promise<StoredRow[]>;
  /** The dashboard summary the usual way: counts by action, top actors, and events per day, by GROUP BY. */
  summary(tenant: string, fromUs: number, toUs: number): Promise<void>;
  /** Bytes on disk of the table and its indexes, and its row count. */
  footprint(): Promise<{ bytes: number; rows: number }>;
  /**
   * The engine's physical ceiling: the same rows into a table without any index or key, in large
   * transactions (SQLite) or COPY (PostgreSQL), in rows per second. The table is dropped after.
   */
  bulkCeiling(batches: AsyncIterable<BaselineRow[]>): Promise<number>;
  /** Gathers planner statistics, where the engine keeps them up to date by itself in service. */
  analyze?(): Promise<void>;
}

export interface BaselineResults {
  batches?: IngestRate;
  singles?: SingleRate;
  /** The engine's bulk-insert ceiling, rows/s. */
  ceiling?: number;
  queries?: Record<string, PageTimings>;
  export?: ExportRate;
  summary?: Latency;
  disk?: { bytes: number; rows: number; perEvent: number };
}

/**
 * Rows per transaction (SQLite) or per COPY (PostgreSQL) of the bulk-insert ceiling, and per
 * transaction of the untimed load when ingest is not measured.
 */
const CEILING_CHUNK = 10_000;

/**
 * Every selected measure of the usual design on one engine. `deepPages` are the pages Vigil
 * reached per investigation, so both sides time the same page.
 */
export async function measureBaseline(store: BaselineStore, ctx: RunContext, deepPages: Record<string, number>): Promise<BaselineResults> {
  const results: BaselineResults = {};
  const split = batchEnd(ctx);
  await store.open();
  try {
    if (ctx.sections.has('ingest')) {
      ctx.log(`  baseline ingest: ${split.toLocaleString('en-US')} events, one transaction per batch of ${ctx.batchSize}`);
      results.batches = await baselineBatches(store, readLines(ctx.eventsFile, 0, split), {
        batchSize: ctx.batchSize, connections: ctx.connections, total: split, log: ctx.log,
      });
      if (split < ctx.events) {
        ctx.log(`  baseline ingest: single events, one transaction each (at most ${ctx.singlesSeconds} s)`);
        results.singles = await baselineSingles(store, readLines(ctx.eventsFile, split, ctx.events), {
          concurrency: ctx.concurrency, total: ctx.singles, log: ctx.log, budgetSeconds: ctx.singlesSeconds,
        });
      }
      ctx.log('  ceiling: bulk insert without indexes');
      results.ceiling = await store.bulkCeiling(rowBatches(readLines(ctx.eventsFile), CEILING_CHUNK));
    } else {
      // Ingest is not measured (Vigil was filled in-process too): load in large transactions.
      ctx.log(`  baseline load: ${ctx.events.toLocaleString('en-US')} events, ${CEILING_CHUNK.toLocaleString('en-US')} per transaction, untimed`);
      for await (const rows of rowBatches(readLines(ctx.eventsFile), CEILING_CHUNK)) await store.insert(rows);
    }
    await store.analyze?.();
    const tenant = ctx.subjects.tenant;
    if (ctx.sections.has('queries')) {
      results.queries = {};
      for (const inv of investigations(ctx.subjects, ctx.endUs)) {
        ctx.log(`  baseline query: ${inv.title}`);
        results.queries[inv.id] = await timeBaselinePages(store, tenant, inv, deepPages[inv.id] ?? DEEP_PAGE, ctx.timing);
      }
    }
    if (ctx.sections.has('export')) {
      ctx.log('  baseline export: OFFSET pages of 1,000');
      results.export = await baselineExport(store, tenant);
    }
    if (ctx.sections.has('summary')) {
      ctx.log('  baseline summary: GROUP BY over 30 days');
      results.summary = await timeRuns(() => store.summary(tenant, ctx.endUs - 30 * DAY_US, ctx.endUs), ctx.timing);
    }
    if (ctx.sections.has('disk')) {
      const { bytes, rows } = await store.footprint();
      results.disk = { bytes, rows, perEvent: bytes / rows };
    }
  } finally {
    await store.close();
  }
  return results;
}

async function* rowBatches(lines: AsyncIterable<Buffer>, size: number): AsyncGenerator<BaselineRow[]> {
  for await (const batch of batchesOf(lines, size)) yield batch.map(baselineRow);
}

/** Parses a request body into its row, as the usual handler does. */
export function baselineRow(line: Buffer): BaselineRow {
  const payload = line.toString('utf8');
  const event = JSON.parse(payload) as BenchEvent;
  return {
    id: randomUUID(),
    tenant: event.tenant,
    occurredAt: event.occurred_at,
    log: event.log,
    action: event.action,
    actor: actorDisplay(event.actor),
    resource: event.resource?.path ?? event.resource?.id ?? null,
    ip: event.client?.ip ?? null,
    payload,
  };
}

interface LoadOptions {
  total: number;
  log: (line: string) => void;
}

/** One transaction per batch of `batchSize`, `connections` requests at a time. */
export async function baselineBatches(
  store: BaselineStore,
  lines: AsyncIterable<Buffer>,
  options: LoadOptions & { batchSize: number; connections: number },
): Promise<IngestRate> {
  const batches = batchesOf(lines, options.batchSize)[Symbol.asyncIterator]();
  const meter = new Meter(null, options.total, options.log);
  const worker = async (): Promise<void> => {
    for (let next = await batches.next(); !next.done; next = await batches.next()) {
      await store.insert(next.value.map(baselineRow));
      meter.add(next.value.length);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  return meter.result();
}

/**
 * One transaction per event, `concurrency` at a time, for at most `budgetSeconds`: the rest of
 * the lines are then stored in batches, untimed, so both designs end up holding the same events.
 */
export async function baselineSingles(
  store: BaselineStore,
  lines: AsyncIterable<Buffer>,
  options: LoadOptions & { concurrency: number; budgetSeconds: number },
): Promise<SingleRate> {
  const iterator = lines[Symbol.asyncIterator]();
  const meter = new Meter(null, options.total, options.log);
  const latencies: number[] = [];
  let capped = false;
  const worker = async (): Promise<void> => {
    while (!capped) {
      const next = await iterator.next();
      if (next.done) return;
      const t = performance.now();
      await store.insert([baselineRow(next.value)]);
      latencies.push(performance.now() - t);
      meter.add(1);
      if (secondsSince(meter.started) > options.budgetSeconds) capped = true;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const result = { ...meter.result(), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cappedAfter: capped ? meter.done : null };
  const rest = { [Symbol.asyncIterator]: () => iterator };
  for await (const batch of batchesOf(rest, 500)) await store.insert(batch.map(baselineRow));
  return result;
}

/** The baseline's answer: page 1 and page `deepPage` (the page Vigil reached) by OFFSET. */
export async function timeBaselinePages(
  store: BaselineStore,
  tenant: string,
  inv: Investigation,
  deepPage: number,
  timing: TimingOptions,
): Promise<PageTimings> {
  let rows = 0;
  for (let page = 0; page < deepPage; page++) {
    const got = (await store.page(tenant, inv.baseline, page * PAGE_SIZE, PAGE_SIZE)).length;
    rows += got;
    if (got < PAGE_SIZE) break;
  }
  const page = (n: number) => () => store.page(tenant, inv.baseline, (n - 1) * PAGE_SIZE, PAGE_SIZE);
  return { page1: await timeRuns(page(1), timing), deepPage, deep: await timeRuns(page(deepPage), timing), rows };
}

export interface ExportRate {
  rows: number;
  seconds: number;
  rate: number;
  /** True when the time cap stopped it before the last row (OFFSET pages slow down as they go). */
  capped: boolean;
}

/** The baseline export stops after this long: paging by OFFSET is quadratic, and hours at 10M. */
const EXPORT_BUDGET_SECONDS = 60;

/**
 * The usual export: OFFSET pages of 1,000 rows through the tenant, encoded with Vigil's own CSV
 * encoder on the reading thread (as the usual design does), for at most a minute. The row's id and the fields Vigil derives are
 * spliced into the payload, which a producer's JSON never holds.
 */
export async function baselineExport(store: BaselineStore, tenant: string): Promise<ExportRate> {
  const started = performance.now();
  let rows = 0;
  let capped = false;
  for (let offset = 0; ; offset += 1000) {
    const page = await store.page(tenant, {}, offset, 1000);
    csvLines(page.map((row, i) => `{"id":"${row.id}","seq":${offset + i},"category":"","crud":"",${row.payload.slice(1)}`));
    rows += page.length;
    if (page.length < 1000) break;
    if (secondsSince(started) > EXPORT_BUDGET_SECONDS) {
      capped = true;
      break;
    }
  }
  const seconds = secondsSince(started);
  return { rows, seconds, rate: rows / seconds, capped };
}
