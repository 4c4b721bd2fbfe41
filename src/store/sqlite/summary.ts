import type Database from 'better-sqlite3';
import { actorDisplay } from '../../domain/actor.js';
import type { ActorType, StoredEvent } from '../../domain/event.js';
import type { EventFilter } from '../../domain/filter.js';
import { DAY_ALL_LOGS, DAY_US, HOUR_US, perDaySql, ROLLUP_DIM, storedSpan, VALUE_COLUMN, VALUE_COLUMNS_SQL, type ValueDim } from '../rollups.js';
import type { SummaryCounts, SummaryQuery } from '../store.js';
import { summarize, type RollupSelect, type ScanIndex, type SummaryReader } from '../summary-plan.js';
import type { EventFactRow } from '../summary-tally.js';
import type { DayRows, DayRowsCache } from './day-rows-cache.js';
import { BODY_SQL } from './body-codec.js';
import { daysOf } from './days.js';
import type { Dictionary } from './dictionary.js';
import { inList, type FilterCompiler, type Where } from './filter-sql.js';

/** An EventFactRow (summary-tally.ts) selected from events. */
const FACT_COLUMNS = `ts, log, success, ${VALUE_COLUMNS_SQL}`;

/** The index behind each ScanIndex (migration 1). */
const INDEX: Record<ScanIndex, string> = {
  time: 'events_time',
  action: 'events_action',
  actor: 'events_actor',
  resource: 'events_resource',
};

/** The store's summaries (Store.summarize; docs/architecture.md "Summaries"). */
export class SqliteSummaries {
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly dict: Dictionary,
    private readonly filters: FilterCompiler,
    private readonly dayRows: DayRowsCache,
  ) {
    this.stmt = {
      // One JSON array per column (aggregates step through the rows together, so they line up):
      // a row object per rollup row cost ~0.7 µs each, 95 ms for the largest tenant's 31 days at
      // 10,000,000 events, against 23 ms this way (BENCHMARKS.md).
      dayRows: db
        .prepare<[number, number, number], string[]>(
          `SELECT json_group_array(value_id), json_group_array(count), json_group_array(failures) FROM rollups
           WHERE tenant_id = ? AND dim = ? AND span = ${DAY_ALL_LOGS} AND start_hour = ?`,
        )
        .raw(),
      term: db.prepare<[number], { value: string }>('SELECT value FROM terms WHERE id = ?'),
      actor: db.prepare<[number], { type: string; ext_id: string }>('SELECT type, ext_id FROM actors WHERE id = ?'),
      resource: db.prepare<[number], { type: string; ext_key: string }>('SELECT type, ext_key FROM resources WHERE id = ?'),
      // The value's last day from its day rollups (newest days first: the values labelled are
      // active ones), then its last event of that day (day-first indexes, migration 7).
      lastDay: db.prepare<[number, number, number, number], { hour: number }>(
        'SELECT start_hour AS hour FROM rollups WHERE tenant_id = ? AND dim = ? AND span = ? AND value_id = ? ORDER BY start_hour DESC LIMIT 1',
      ),
      actorLatest: db.prepare<[number, number, number], { body: string }>(
        `SELECT ${BODY_SQL} AS body FROM events WHERE tenant_id = ? AND day = ? AND actor_id = ? ORDER BY ts DESC, rid DESC LIMIT 1`,
      ),
      resourceLatest: db.prepare<[number, number, number], { body: string }>(
        `SELECT ${BODY_SQL} AS body FROM events WHERE tenant_id = ? AND day = ? AND resource_id = ? ORDER BY ts DESC, rid DESC LIMIT 1`,
      ),
    };
  }

  summarize(q: SummaryQuery): Promise<SummaryCounts> {
    const tenantId = this.dict.findTenant(q.tenant);
    return summarize(q, tenantId === undefined ? null : this.reader(tenantId));
  }

  private reader(tenantId: number): SummaryReader {
    const compile = (filter: EventFilter): Where | null => this.filters.compile(tenantId, { filter });
    const rollup = (s: RollupSelect, sql: (rows: string, where: string) => string): number[][] => {
      const where = compile(s.filter);
      if (where === null) return [];
      const params = [tenantId, ROLLUP_DIM[s.source], storedSpan(s.source, s.span, s.allLogs), s.fromUs / HOUR_US, s.toUs / HOUR_US, ...where.params];
      return this.db.prepare(sql(rollupRows(s), where.sql)).raw(true).all(...params) as number[][];
    };
    const db = this.db;
    return {
      rollupByTime: async (s) =>
        rollup(s, (rows, where) => `SELECT start_hour * ${HOUR_US}, log, SUM(c), SUM(f) FROM ${rows} WHERE ${where} GROUP BY start_hour, log HAVING SUM(c) > 0`),
      rollupByValue: async (s) =>
        rollup(s, (rows, where) => `SELECT value_id, SUM(c), SUM(f) FROM ${rows} WHERE ${where} GROUP BY value_id HAVING SUM(c) > 0`),
      rollupDays: async (s) =>
        wholeDayRows(s)
          ? this.addUpDays(tenantId, s)
          : rollup(s, (rows, where) => `SELECT value_id, SUM(c), SUM(f), SUM(c * c) FROM ${perDaySql(rows, where, s.allLogs)} GROUP BY value_id`),
      rollupSum: async (s) => rollup(s, (rows, where) => `SELECT COALESCE(SUM(c), 0) FROM ${rows} WHERE ${where}`)[0]?.[0] ?? 0,
      events(filter, via) {
        const where = compile(filter);
        if (where === null) return [];
        const from = via ? `events INDEXED BY ${INDEX[via]}` : 'events';
        // The day-first indexes seek one day and value at a time: list the range's days.
        const days = via && via !== 'time' && filter.fromUs !== undefined && filter.toUs !== undefined ? daysOf(filter.fromUs, filter.toUs) : [];
        const parts = days.length ? [where, inList('day', days)] : [where];
        const sql = parts.map((p) => p.sql).join(' AND ');
        return db.prepare(`SELECT ${FACT_COLUMNS} FROM ${from} WHERE ${sql}`).raw(true).iterate(...parts.flatMap((p) => p.params)) as Iterable<EventFactRow>;
      },
      ...this.names(tenantId),
    };
  }

  /** `rollupDays` of every value's day rows of every log, added up from the days in memory (day-rows-cache.ts). */
  private addUpDays(tenantId: number, s: RollupSelect): number[][] {
    const dim = ROLLUP_DIM[s.source];
    const sums = new Map<number, [number, number, number, number]>();
    for (let hour = Math.ceil(s.fromUs / DAY_US) * 24; hour < s.toUs / HOUR_US; hour += 24) {
      const { valueIds, counts, failures } = this.dayRows.get(tenantId, dim, hour) ?? this.readDay(tenantId, dim, hour);
      for (let i = 0; i < valueIds.length; i++) {
        const count = counts[i]!;
        const sum = sums.get(valueIds[i]!);
        if (sum) {
          sum[1] += count;
          sum[2] += failures[i]!;
          sum[3] += count * count;
        } else sums.set(valueIds[i]!, [valueIds[i]!, count, failures[i]!, count * count]);
      }
    }
    return [...sums.values()];
  }

  private readDay(tenantId: number, dim: number, dayHour: number): DayRows {
    const [valueIds, counts, failures] = this.stmt.dayRows.get(tenantId, dim, dayHour)!.map((column) => Float64Array.from(JSON.parse(column) as number[]));
    const day = { valueIds: valueIds!, counts: counts!, failures: failures! };
    this.dayRows.set(tenantId, dim, dayHour, day);
    return day;
  }

  /** Keys from the dictionaries; labels as the value's latest event shows it. */
  private names(tenantId: number): Pick<SummaryReader, 'keys' | 'labels'> {
    const n = this.stmt;
    const latest = (dim: 'actor' | 'resource', id: number): StoredEvent | undefined => {
      const hour = n.lastDay.get(tenantId, ROLLUP_DIM[dim], storedSpan(dim, 'day', false), id)?.hour;
      if (hour === undefined) return undefined;
      const row = (dim === 'actor' ? n.actorLatest : n.resourceLatest).get(tenantId, hour / 24, id);
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
        const row = n.actor.get(id)!;
        return actorDisplay(latest('actor', id)?.actor ?? { type: row.type as ActorType, id: row.ext_id });
      }
      if (dim === 'resource') {
        const r = latest('resource', id)?.resource;
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

/** Whether `s` reads whole day rows of every log: every value's, all counted (no filter on their key or outcome). */
function wholeDayRows(s: RollupSelect): boolean {
  return s.allLogs === true && s.success === undefined && Object.values(s.filter).every((v) => v === undefined);
}

/**
 * Rollup rows of one select as a subquery whose columns the FilterCompiler can match: `value_id`
 * is also named after the events column it stands for, and `c`/`f` count what `success` keeps.
 */
function rollupRows(s: RollupSelect): string {
  const count = s.success === undefined ? 'count' : s.success ? 'count - failures' : 'failures';
  const failures = s.success === true ? '0' : 'failures';
  const alias = s.source === 'total' ? '' : `, value_id AS ${VALUE_COLUMN[s.source]}`;
  return `(SELECT tenant_id, start_hour, log, value_id${alias}, ${count} AS c, ${failures} AS f FROM rollups
    WHERE tenant_id = ? AND dim = ? AND span = ? AND start_hour >= ? AND start_hour < ?)`;
}
