import type Database from 'better-sqlite3';
import { actorDisplay } from '../../domain/actor.js';
import { invalid } from '../../domain/errors.js';
import type { ActorType, StoredEvent } from '../../domain/event.js';
import type { EventFilter } from '../../domain/filter.js';
import {
  coverRange,
  DIM_FILTER_FIELDS,
  HOUR_US,
  keyFilter,
  ROLLUP_DIM,
  rollupShape,
  SPAN,
  VALUE_DIMS,
  type Segment,
  type ValueDim,
} from '../rollups.js';
import type { SummaryCounts, SummaryDimension, SummaryPlan, SummaryQuery } from '../store.js';
import { BaselineTally, SummaryTally, summaryCounts, type SummaryNames } from '../summary-tally.js';
import type { Dictionary } from './dictionary.js';
import type { FilterCompiler, Where } from './filter-sql.js';

/** The events column holding each value dimension's id. */
const COLUMN: Record<ValueDim, string> = {
  action: 'action_id',
  category: 'category_id',
  actor: 'actor_id',
  resource: 'resource_id',
  source: 'source_id',
  service: 'service_id',
  environment: 'environment_id',
};

/** An EventFactRow (summary-tally.ts) selected from events. */
const FACT_COLUMNS = `ts, log, success, ${VALUE_DIMS.map((d) => COLUMN[d]).join(', ')}`;

/** The indexes a scan may go through: by time, or by the ids of one indexed dimension (migration 1). */
const SCAN_INDEXES: readonly { index: string; dim: ValueDim | null }[] = [
  { index: 'events_time', dim: null },
  { index: 'events_action', dim: 'action' },
  { index: 'events_actor', dim: 'actor' },
  { index: 'events_resource', dim: 'resource' },
];

/** Rollup rows of one dimension, or the totals. */
type Source = ValueDim | 'total';

interface ScanPlan {
  index: string;
  /** At most this many rows are read (from rollups, so an upper bound even after a purge). */
  rows: number;
}

const floorHour = (us: number): number => Math.floor(us / HOUR_US) * HOUR_US;
const ceilHour = (us: number): number => Math.ceil(us / HOUR_US) * HOUR_US;

/**
 * Summaries of the embedded store (Store.summarize; docs/architecture.md "Summaries"). Rollup
 * rows are matched with the same FilterCompiler as event rows, through a view of `rollups` that
 * names `value_id` after the events column it stands for, so both paths resolve every filter
 * value alike.
 */
export class SqliteSummaries {
  private readonly names;

  constructor(
    private readonly db: Database.Database,
    private readonly dict: Dictionary,
    private readonly filters: FilterCompiler,
  ) {
    this.names = {
      term: db.prepare<[number], { value: string }>('SELECT value FROM terms WHERE id = ?'),
      actor: db.prepare<[number], { type: string; ext_id: string }>('SELECT type, ext_id FROM actors WHERE id = ?'),
      resource: db.prepare<[number], { type: string; ext_key: string }>('SELECT type, ext_key FROM resources WHERE id = ?'),
      actorLatest: db.prepare<[number, number], { body: string }>(
        'SELECT body FROM events WHERE tenant_id = ? AND actor_id = ? ORDER BY ts DESC, seq DESC LIMIT 1',
      ),
      resourceLatest: db.prepare<[number, number], { body: string }>(
        'SELECT body FROM events WHERE tenant_id = ? AND resource_id = ? ORDER BY ts DESC, seq DESC LIMIT 1',
      ),
    };
  }

  async summarize(q: SummaryQuery): Promise<SummaryCounts> {
    const tally = new SummaryTally(q);
    const baseline = q.baseline ? new BaselineTally(q.filter.toUs) : undefined;
    const shape = q.plan === 'scan' ? null : rollupShape(q.filter);
    const countsPlan: SummaryPlan = shape && q.bucket !== 'minute' && groupsFromRollups(shape.dim, q.groupBy) ? 'rollup' : 'scan';
    const baselinePlan: SummaryPlan = shape && (shape.dim === null || shape.dim === 'actor') ? 'rollup' : 'scan';
    const tenantId = this.dict.findTenant(q.tenant);
    if (tenantId !== undefined) {
      const { fromUs, toUs } = q.filter;
      const scans = [
        countsPlan === 'scan' ? this.scanPlan(tenantId, q.filter, fromUs, toUs) : undefined,
        baseline && baselinePlan === 'scan'
          ? this.scanPlan(tenantId, q.filter, baseline.windows.historyFromUs, baseline.windows.todayToUs)
          : undefined,
      ] as const;
      checkScanSize(scans[0], scans[1], q.maxScanRows);
      if (scans[0]) this.scanCounts(tenantId, q, tally, scans[0]);
      else this.rollupCounts(tenantId, q, shape!.dim, tally);
      if (baseline && scans[1]) this.scanBaseline(tenantId, q, baseline, scans[1]);
      else if (baseline) this.rollupBaseline(tenantId, q, shape!.dim, baseline);
    }
    const names = tenantId === undefined ? NO_NAMES : this.namesOf(tenantId);
    return summaryCounts(tally, baseline, names, { counts: countsPlan, ...(baseline ? { baselines: baselinePlan } : {}) }, q.top);
  }

  /**
   * Totals and buckets from the rollups of the filter's own dimension (or the totals), each
   * grouped dimension from its own rollups, and the ragged edges of the range from the events.
   */
  private rollupCounts(tenantId: number, q: SummaryQuery, dim: ValueDim | null, tally: SummaryTally): void {
    const { fromUs, toUs, success } = q.filter;
    const source: Source = dim ?? 'total';
    const where = this.compile(tenantId, q.tenant, keyFilter(q.filter, dim));
    if (where === null) return;
    for (const seg of coverRange(fromUs, toUs, q.bucket === 'hour' ? 'hour' : 'day')) {
      if (seg.source === 'events') {
        const facts = this.events(tenantId, q.tenant, { ...q.filter, fromUs: seg.fromUs, toUs: seg.toUs }, FACT_COLUMNS);
        for (const row of facts) tally.addEvent(row);
        continue;
      }
      for (const [hour, log, valueId, count, failures] of this.rollup(tenantId, source, seg, where, ['start_hour', 'log', 'value_id'], success)) {
        tally.addTotal(hour! * HOUR_US, log!, count!, failures!);
        if (dim) tally.addValue(dim, valueId!, count!, failures!);
      }
    }
    const others = tally.valueDims.filter((d) => d !== dim);
    if (others.length === 0) return;
    const logOnly = this.compile(tenantId, q.tenant, keyFilter(q.filter, null))!;
    for (const seg of coverRange(fromUs, toUs, 'day')) {
      if (seg.source === 'events') continue; // already counted above, for every dimension
      for (const other of others) {
        for (const [valueId, count, failures] of this.rollup(tenantId, other, seg, logOnly, ['value_id'], success)) {
          tally.addValue(other, valueId!, count!, failures!);
        }
      }
    }
  }

  private scanCounts(tenantId: number, q: SummaryQuery, tally: SummaryTally, scan: ScanPlan): void {
    for (const row of this.events(tenantId, q.tenant, q.filter, FACT_COLUMNS, scan.index)) {
      tally.addEvent(row);
    }
  }

  /** Today from hour rollups and edge events; the 30 days before from day rollups. */
  private rollupBaseline(tenantId: number, q: SummaryQuery, dim: ValueDim | null, baseline: BaselineTally): void {
    const w = baseline.windows;
    const where = this.compile(tenantId, q.tenant, keyFilter(q.filter, dim));
    if (where === null) return;
    for (const seg of coverRange(w.todayFromUs, w.todayToUs, 'day')) {
      if (seg.source === 'events') {
        const filter = { ...q.filter, fromUs: seg.fromUs, toUs: seg.toUs };
        for (const [actor, ts] of this.events(tenantId, q.tenant, filter, 'actor_id, ts')) baseline.add(actor!, ts!, 1);
      } else {
        for (const [actor, count] of this.rollup(tenantId, 'actor', seg, where, ['value_id'], q.filter.success)) {
          baseline.add(actor!, seg.fromUs, count!);
        }
      }
    }
    const history: Segment = { source: 'day', fromUs: w.historyFromUs, toUs: w.historyToUs };
    for (const [actor, hour, count] of this.rollup(tenantId, 'actor', history, where, ['value_id', 'start_hour'], q.filter.success)) {
      baseline.add(actor!, hour! * HOUR_US, count!);
    }
  }

  private scanBaseline(tenantId: number, q: SummaryQuery, baseline: BaselineTally, scan: ScanPlan): void {
    const filter = { ...q.filter, fromUs: baseline.windows.historyFromUs, toUs: baseline.windows.todayToUs };
    for (const [actor, ts] of this.events(tenantId, q.tenant, filter, 'actor_id, ts', scan.index)) baseline.add(actor!, ts!, 1);
  }

  /**
   * The narrowest index for scanning `filter` over [fromUs, toUs), and how many rows it holds
   * there, counted from rollups over the range widened to whole hours.
   */
  private scanPlan(tenantId: number, filter: EventFilter, fromUs: number, toUs: number): ScanPlan {
    const widened = coverRange(floorHour(fromUs), ceilHour(toUs), 'day');
    let best: ScanPlan | undefined;
    for (const { index, dim } of SCAN_INDEXES) {
      if (dim !== null && !DIM_FILTER_FIELDS[dim].some((f) => filter[f] !== undefined)) continue;
      const where = this.compile(tenantId, '', keyFilter({ ...filter, log: undefined }, dim));
      let rows = 0;
      if (where !== null) {
        for (const seg of widened) for (const [count] of this.rollup(tenantId, dim ?? 'total', seg, where, [])) rows += count!;
      }
      if (!best || rows < best.rows) best = { index, rows };
    }
    return best!;
  }

  /**
   * Rollup rows of `source` in one segment matching `where` (written against events columns),
   * summed by `groupBy`, with `success` applied through the failures column; empty sums are left out.
   */
  private rollup(tenantId: number, source: Source, seg: Segment, where: Where, groupBy: string[], success?: boolean): number[][] {
    const count = success === undefined ? 'count' : success ? 'count - failures' : 'failures';
    const failures = success === true ? '0' : 'failures';
    const alias = source === 'total' ? '' : `, value_id AS ${COLUMN[source]}`;
    const keys = groupBy.length ? `${groupBy.join(', ')}, ` : '';
    const sql = `SELECT ${keys}SUM(${count}) AS c, SUM(${failures}) AS f
      FROM (SELECT tenant_id, start_hour, log, value_id${alias}, count, failures FROM rollups
            WHERE tenant_id = ? AND dim = ? AND span = ? AND start_hour >= ? AND start_hour < ?)
      WHERE ${where.sql}${groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : ''} HAVING c > 0`;
    const span = seg.source === 'day' ? SPAN.day : SPAN.hour;
    const params = [tenantId, ROLLUP_DIM[source], span, seg.fromUs / HOUR_US, seg.toUs / HOUR_US, ...where.params];
    return this.db.prepare(sql).raw(true).all(...params) as number[][];
  }

  /** Event rows matching `filter` (whose time range bounds them), `columns` each, streamed. */
  private *events(tenantId: number, tenant: string, filter: EventFilter, columns: string, index?: string): Generator<number[]> {
    const where = this.compile(tenantId, tenant, filter);
    if (where === null) return;
    const from = index ? `events INDEXED BY ${index}` : 'events';
    yield* this.db.prepare(`SELECT ${columns} FROM ${from} WHERE ${where.sql}`).raw(true).iterate(...where.params) as Generator<number[]>;
  }

  private compile(tenantId: number, tenant: string, filter: EventFilter): Where | null {
    return this.filters.compile(tenantId, { tenant, filter, order: 'asc', limit: 0 });
  }

  /** Keys from the dictionaries; labels as the value's latest event shows it. */
  private namesOf(tenantId: number): SummaryNames {
    const n = this.names;
    const latest = (stmt: typeof n.actorLatest, id: number): StoredEvent | undefined => {
      const row = stmt.get(tenantId, id);
      return row ? (JSON.parse(row.body) as StoredEvent) : undefined;
    };
    const key = (dim: ValueDim, id: number): string => {
      if (dim === 'actor') return n.actor.get(id)!.ext_id;
      if (dim === 'resource') {
        const r = n.resource.get(id)!;
        return `${r.type}:${r.ext_key}`;
      }
      return n.term.get(id)!.value;
    };
    const label = (dim: ValueDim, id: number): string => {
      if (dim === 'actor') {
        const actor = latest(n.actorLatest, id)?.actor;
        const row = n.actor.get(id)!;
        return actorDisplay(actor ?? { type: row.type as ActorType, id: row.ext_id });
      }
      if (dim === 'resource') {
        const r = latest(n.resourceLatest, id)?.resource;
        return r?.path ?? r?.name ?? r?.id ?? n.resource.get(id)!.ext_key;
      }
      return key(dim, id);
    };
    return {
      keys: async (dim, ids) => new Map(ids.map((id) => [id, key(dim, id)])),
      labels: async (dim, ids) => new Map(ids.map((id) => [id, label(dim, id)])),
    };
  }
}

/** Names for a tenant that has no events: nothing to name. */
const NO_NAMES: SummaryNames = { keys: async () => new Map(), labels: async () => new Map() };

/** Rollups of the filter's dimension answer groups by that dimension, log and outcome; with none, every group. */
function groupsFromRollups(dim: ValueDim | null, groupBy: readonly SummaryDimension[]): boolean {
  return dim === null || groupBy.every((g) => g === dim || g === 'log' || g === 'outcome');
}

function checkScanSize(counts: ScanPlan | undefined, baseline: ScanPlan | undefined, max: number): void {
  const rows = (counts?.rows ?? 0) + (baseline?.rows ?? 0);
  if (rows <= max) return;
  throw invalid([
    {
      path: 'from',
      message:
        `this summary would read ${rows} events and at most ${max} are read where rollups cannot answer: ` +
        'narrow the time range, or filter on time, log, success and one dimension only ' +
        '(action, category, actor, resource, source, service or environment)',
    },
  ]);
}
