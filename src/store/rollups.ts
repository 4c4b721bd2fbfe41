import type { EventFilter } from '../domain/filter.js';

/**
 * Rollups: for each tenant, hour and day (UTC), log and dimension value, how many events there
 * were and how many of them failed. Both stores count every event exactly once and keep, per
 * tenant, a mark saying which events the table counts (SQLite: deltas held about a second, then
 * written inside later append transactions; PostgreSQL: a fold after the commit); summaries read
 * them instead of the events.
 * This file is the store-independent part: what a rollup row is, how one append group's events
 * become rollup deltas, how a range splits into rollup segments and ragged edges, and which
 * filters rollups answer.
 */

export const HOUR_US = 3_600_000_000;
export const DAY_US = 24 * HOUR_US;

/** Dimensions kept in rollups; `total` has the single value 0. Stored as these codes: never renumber. */
export const ROLLUP_DIM = {
  total: 0,
  action: 1,
  category: 2,
  actor: 3,
  resource: 4,
  source: 5,
  service: 6,
  environment: 7,
} as const;

/** Rollup rows of one dimension, or the totals. */
export type RollupSource = keyof typeof ROLLUP_DIM;

/** The dimensions that have values (everything but `total`), in code order. */
export const VALUE_DIMS = ['action', 'category', 'actor', 'resource', 'source', 'service', 'environment'] as const;
export type ValueDim = (typeof VALUE_DIMS)[number];

/** The `events` column holding each value dimension's id, in both stores. */
export const VALUE_COLUMN: Record<ValueDim, string> = {
  action: 'action_id',
  category: 'category_id',
  actor: 'actor_id',
  resource: 'resource_id',
  source: 'source_id',
  service: 'service_id',
  environment: 'environment_id',
};

/** The value dimensions' `events` columns in VALUE_DIMS order, as a select list. */
export const VALUE_COLUMNS_SQL = VALUE_DIMS.map((d) => VALUE_COLUMN[d]).join(', ');

/** Length of a rollup row's time bucket, as stored. */
export const SPAN = { hour: 1, day: 2 } as const;
export type Span = keyof typeof SPAN;

/**
 * The stored span of day rows that add up every log of a day (their `log` is 0), kept for the
 * sources in `ALL_LOGS_DAYS` beside their rows per log.
 */
export const DAY_ALL_LOGS = 3;

/**
 * Actors only: every dashboard summary reads every actor's day rows over 31 days (top actors and
 * baselines), neither filtering nor grouping by log, and an actor often acts in several logs a
 * day — so these rows are fewer, and already one per day and value (BENCHMARKS.md, "30-day
 * summary"). For the other dimensions they would nearly duplicate the rows per log (measured at
 * 10,000,000 events: 0.89 rows per row for resources, 1.0 for actions) and cost disk for little.
 */
export const ALL_LOGS_DAYS: ReadonlySet<RollupSource> = new Set<RollupSource>(['actor']);

/** The span code to read: `span`'s own rows, or with `allLogs` the day rows of every log. */
export function storedSpan(source: RollupSource, span: Span, allLogs: boolean | undefined): number {
  if (!allLogs) return SPAN[span];
  if (span !== 'day' || !ALL_LOGS_DAYS.has(source)) throw new Error(`no ${span} rows of every log are kept for ${source}`);
  return DAY_ALL_LOGS;
}

/**
 * The sources kept per hour as well as per day. Resources are kept per day only: a large tenant
 * has thousands, so an hour rarely holds two events of one and hour rows would cost about an
 * upsert per event for little. Actors keep hour rows: baselines and the top-actors chart read
 * them at the ragged edges of every dashboard range.
 */
export const HOURLY: ReadonlySet<RollupSource> = new Set<RollupSource>(['total', 'action', 'category', 'actor', 'source', 'service', 'environment']);

/** The finest span every one of `sources` has rows of. */
export function finestSpan(sources: readonly RollupSource[]): Span {
  return sources.every((s) => HOURLY.has(s)) ? 'hour' : 'day';
}

/** The dimension code of a packed key (`packKey`). */
const dimOf = (key: number): number => (key % 32) >> 2;

const HOURLY_CODES = new Set<number>([...HOURLY].map((source) => ROLLUP_DIM[source]));
const ALL_LOGS_CODES = new Set<number>([...ALL_LOGS_DAYS].map((source) => ROLLUP_DIM[source]));

/**
 * One event as rollups see it: its tenant, time, log code, outcome, and the dictionary id of its
 * value in each of `VALUE_DIMS` (null when the event has none, e.g. no resource).
 */
export interface RollupFact {
  tenantId: number;
  tsUs: number;
  log: number;
  success: boolean;
  /** Ids in `VALUE_DIMS` order. */
  values: readonly (number | null)[];
}

/** One rollup row (or one delta to add to it). `startHour` is hours since the epoch, also for day rows. */
export interface RollupRow {
  tenantId: number;
  dim: number;
  span: number;
  startHour: number;
  log: number;
  valueId: number;
  count: number;
  failures: number;
}

interface Cell {
  count: number;
  failures: number;
}

/**
 * SQL for one row per day and value (`start_hour, value_id, c, f`) of the rollup rows `rows`
 * matching `where`: day rows of every log are that already; rows per log are added up per day.
 */
export function perDaySql(rows: string, where: string, allLogs: boolean | undefined): string {
  if (allLogs) return `${rows} WHERE ${where}`;
  return `(SELECT start_hour, value_id, SUM(c) AS c, SUM(f) AS f FROM ${rows} WHERE ${where} GROUP BY start_hour, value_id) days`;
}

/** Packs (value, dim, log) into one number: dims need 3 bits, logs 2; ids stay far below 2^47. */
const packKey = (valueId: number, dim: number, log: number): number => valueId * 32 + dim * 4 + log;
/** The packed key with its log set to 0 (numbers, not bitwise: keys exceed 32 bits). */
const withoutLog = (key: number): number => key - (key % 4);

/**
 * The rollup deltas of one append group, aggregated in memory so that the store upserts each
 * (tenant, bucket, log, dimension, value) once per group rather than once per event. Day deltas
 * are derived from the hour deltas when the rows are read out.
 */
export class RollupDeltas {
  /** tenant → hour → packed key → cell. */
  private readonly byTenant = new Map<number, Map<number, Map<number, Cell>>>();
  /** tenant → events counted. */
  private readonly eventCounts = new Map<number, number>();

  add(fact: RollupFact): void {
    let hours = this.byTenant.get(fact.tenantId);
    if (!hours) this.byTenant.set(fact.tenantId, (hours = new Map()));
    this.eventCounts.set(fact.tenantId, (this.eventCounts.get(fact.tenantId) ?? 0) + 1);
    const hour = Math.floor(fact.tsUs / HOUR_US);
    let cells = hours.get(hour);
    if (!cells) hours.set(hour, (cells = new Map()));
    const failure = fact.success ? 0 : 1;
    bump(cells, packKey(0, ROLLUP_DIM.total, fact.log), failure);
    for (let i = 0; i < VALUE_DIMS.length; i++) {
      const id = fact.values[i];
      if (id !== null && id !== undefined) bump(cells, packKey(id, i + 1, fact.log), failure);
    }
  }

  /** The tenants that have deltas. */
  tenants(): IterableIterator<number> {
    return this.byTenant.keys();
  }

  /** Events counted, in all. */
  get events(): number {
    let events = 0;
    for (const count of this.eventCounts.values()) events += count;
    return events;
  }

  /** Cells (one per hour, log, dimension and value) of `tenantId`, or of every tenant. */
  cells(tenantId?: number): number {
    const tenants = tenantId === undefined ? [...this.byTenant.values()] : [this.byTenant.get(tenantId) ?? new Map()];
    let cells = 0;
    for (const hours of tenants) for (const hour of hours.values()) cells += hour.size;
    return cells;
  }

  /** Forgets the deltas of `tenantIds`. */
  remove(tenantIds: ReadonlySet<number>): void {
    for (const tenantId of tenantIds) {
      this.byTenant.delete(tenantId);
      this.eventCounts.delete(tenantId);
    }
  }

  /**
   * Adds `other`'s deltas to these, but for the tenants in `except`; `other` gives up its maps and
   * must not be used afterwards.
   */
  absorb(other: RollupDeltas, except: ReadonlySet<number> = new Set()): void {
    for (const [tenantId, count] of other.eventCounts) if (!except.has(tenantId)) this.eventCounts.set(tenantId, (this.eventCounts.get(tenantId) ?? 0) + count);
    for (const [tenantId, hours] of other.byTenant) {
      if (except.has(tenantId)) continue;
      const mine = this.byTenant.get(tenantId);
      if (!mine) {
        this.byTenant.set(tenantId, hours);
        continue;
      }
      for (const [hour, cells] of hours) {
        const myCells = mine.get(hour);
        if (!myCells) {
          mine.set(hour, cells);
          continue;
        }
        for (const [key, cell] of cells) addCell(myCells, key, cell);
      }
    }
  }

  /**
   * Every hour row (of the HOURLY sources), then every day row per log, and of every log for
   * ALL_LOGS_DAYS, of the group — of the tenants in `only`, when given.
   */
  *rows(only?: ReadonlySet<number>): Generator<RollupRow> {
    for (const [tenantId, hours] of this.byTenant) {
      if (only && !only.has(tenantId)) continue;
      const days = new Map<number, Map<number, Cell>>();
      for (const [hour, cells] of hours) {
        const dayHour = hour - (hour % 24);
        let dayCells = days.get(dayHour);
        if (!dayCells) days.set(dayHour, (dayCells = new Map()));
        for (const [key, cell] of cells) {
          if (HOURLY_CODES.has(dimOf(key))) yield unpack(tenantId, SPAN.hour, hour, key, cell);
          addCell(dayCells, key, cell);
        }
      }
      for (const [dayHour, cells] of days) {
        const allLogs = new Map<number, Cell>();
        for (const [key, cell] of cells) {
          yield unpack(tenantId, SPAN.day, dayHour, key, cell);
          if (ALL_LOGS_CODES.has(dimOf(key))) addCell(allLogs, withoutLog(key), cell);
        }
        for (const [key, cell] of allLogs) yield unpack(tenantId, DAY_ALL_LOGS, dayHour, key, cell);
      }
    }
  }
}

function addCell(cells: Map<number, Cell>, key: number, cell: Cell): void {
  const current = cells.get(key);
  if (current) {
    current.count += cell.count;
    current.failures += cell.failures;
  } else cells.set(key, { ...cell });
}

function bump(cells: Map<number, Cell>, key: number, failure: number): void {
  const cell = cells.get(key);
  if (cell) {
    cell.count += 1;
    cell.failures += failure;
  } else cells.set(key, { count: 1, failures: failure });
}

function unpack(tenantId: number, span: number, startHour: number, key: number, cell: Cell): RollupRow {
  const low = key % 32;
  return { tenantId, span, startHour, dim: low >> 2, log: low & 3, valueId: (key - low) / 32, ...cell };
}

export interface Interval {
  fromUs: number;
  toUs: number;
}

/** A whole number of hours or days, read from rollup rows of that span. */
export interface Segment extends Interval {
  span: Span;
}

const UNIT_US: Record<Span, number> = { hour: HOUR_US, day: DAY_US };
export const floorTo = (us: number, unit: number): number => Math.floor(us / unit) * unit;
export const ceilTo = (us: number, unit: number): number => Math.ceil(us / unit) * unit;

/**
 * Splits [fromUs, toUs) into its ragged edges, read from the events, and the whole `unit`s
 * between them, read from rollups (null when the range holds no whole unit).
 */
export function splitEdges(fromUs: number, toUs: number, unit: Span): { edges: Interval[]; middle: Interval | null } {
  const size = UNIT_US[unit];
  const first = ceilTo(fromUs, size);
  const last = floorTo(toUs, size);
  if (first >= last) return { edges: toUs > fromUs ? [{ fromUs, toUs }] : [], middle: null };
  const edges: Interval[] = [];
  if (fromUs < first) edges.push({ fromUs, toUs: first });
  if (last < toUs) edges.push({ fromUs: last, toUs });
  return { edges, middle: { fromUs: first, toUs: last } };
}

/**
 * An hour-aligned interval as rollup segments: whole days in the middle (when `coarsest` is
 * day) and the hours around them; at most three segments.
 */
export function rollupSegments(range: Interval, coarsest: Span): Segment[] {
  if (coarsest === 'day') {
    const { edges, middle } = splitEdges(range.fromUs, range.toUs, 'day');
    if (middle) {
      const hours = edges.map((edge): Segment => ({ ...edge, span: 'hour' }));
      return [...hours.filter((h) => h.toUs <= middle.fromUs), { ...middle, span: 'day' }, ...hours.filter((h) => h.fromUs >= middle.toUs)];
    }
  }
  return range.toUs > range.fromUs ? [{ ...range, span: 'hour' }] : [];
}

/** The filter fields that each value dimension's rollup rows answer (by restricting value ids). */
export const DIM_FILTER_FIELDS: Record<ValueDim, readonly (keyof EventFilter)[]> = {
  action: ['action', 'actionPrefix'],
  category: ['category'],
  actor: ['actor', 'actorId', 'actorType', 'actorIdOrAlias'],
  resource: ['resourceType', 'resourceId', 'resource', 'resourcePath', 'pathPrefix'],
  source: ['source'],
  service: ['service'],
  environment: ['environment'],
};

/** Fields every rollup row answers: time (bucket bounds), log (a key column), success (the failures column). */
const ROW_FIELDS: readonly (keyof EventFilter)[] = ['fromUs', 'toUs', 'log', 'success'];

/**
 * Whether rollups can count the events of `filter`: `{dim: null}` for a filter on time, log and
 * success only; `{dim}` when it also narrows exactly one dimension; null when it names anything
 * else (status, ip, free text, …) or two dimensions, which rollups do not cross.
 */
export function rollupShape(filter: EventFilter): { dim: ValueDim | null } | null {
  let dim: ValueDim | null = null;
  for (const [field, value] of Object.entries(filter) as [keyof EventFilter, unknown][]) {
    if (value === undefined || ROW_FIELDS.includes(field)) continue;
    const owner = VALUE_DIMS.find((d) => DIM_FILTER_FIELDS[d].includes(field));
    if (owner === undefined || (dim !== null && dim !== owner)) return null;
    dim = owner;
  }
  return { dim };
}

/** The part of `filter` that rollup rows of `dim` answer by their key: log and the dimension's own fields. */
export function keyFilter(filter: EventFilter, dim: ValueDim | null): EventFilter {
  const fields: (keyof EventFilter)[] = ['log', ...(dim ? DIM_FILTER_FIELDS[dim] : [])];
  return Object.fromEntries(fields.filter((f) => filter[f] !== undefined).map((f) => [f, filter[f]])) as EventFilter;
}
