import type pg from 'pg';
import { actorDisplay } from '../../domain/actor.js';
import type { ActorType, StoredEvent } from '../../domain/event.js';
import type { EventFilter } from '../../domain/filter.js';
import { HOUR_US, perDaySql, ROLLUP_DIM, storedSpan, VALUE_COLUMN, VALUE_COLUMNS_SQL, type ValueDim } from '../rollups.js';
import { resourceKey } from '../sqlite/dictionary.js';
import type { SummaryCounts, SummaryQuery } from '../store.js';
import { summarize, type RollupSelect, type SummaryReader } from '../summary-plan.js';
import type { EventFactRow } from '../summary-tally.js';
import type { Dictionary } from './dictionary.js';
import type { QueryCompiler, Statement } from './filter-sql.js';

/** An EventFactRow (summary-tally.ts) selected from events. */
const FACT_COLUMNS = `occurred_us, log, success::int, ${VALUE_COLUMNS_SQL}`;

/** Rows fetched per round trip while scanning. */
const FETCH_ROWS = 10_000;

/** An actor or resource as its latest event shows it (null body: no event left, e.g. purged). */
interface Latest {
  type: string;
  extId: string | null;
  event: StoredEvent | null;
}

/**
 * The store's summaries (Store.summarize; docs/architecture.md "Summaries"): the planner of
 * summary-plan.ts over rollup aggregates, a cursor over events, and names from the dictionaries.
 * Rollup rows are matched with the QueryCompiler's own conditions, through a subquery that names
 * `value_id` after the events column it stands for.
 */
export class PostgresSummaries {
  constructor(
    private readonly pool: pg.Pool,
    private readonly dict: Dictionary,
    private readonly compiler: QueryCompiler,
  ) {}

  async summarize(q: SummaryQuery): Promise<SummaryCounts> {
    const tenantId = await this.dict.findTenant(q.tenant);
    return summarize(q, tenantId === undefined ? null : this.reader(tenantId));
  }

  private reader(tenantId: number): SummaryReader {
    const pool = this.pool;
    const condition = (filter: EventFilter): Promise<Statement | null> => this.compiler.condition(tenantId, filter);
    /** `sql` gets the rows subquery and the condition. */
    const rollup = async (s: RollupSelect, sql: (rows: string, where: string) => string): Promise<number[][]> => {
      const where = await condition(s.filter);
      if (where === null) return [];
      // The condition's parameters come first ($1…$n), then the subquery's five.
      const values = [...where.values, tenantId, ROLLUP_DIM[s.source], storedSpan(s.source, s.span, s.allLogs), s.fromUs / HOUR_US, s.toUs / HOUR_US];
      const text = sql(rollupRows(s, where.values.length), where.text);
      const { rows } = await pool.query<unknown[]>({ text, values, rowMode: 'array' });
      return rows.map((row) => row.map(Number));
    };
    return {
      rollupByTime: (s) =>
        rollup(s, (rows, where) => `SELECT start_hour::bigint * ${HOUR_US}, log, SUM(c), SUM(f) FROM ${rows} WHERE ${where}
          GROUP BY start_hour, log HAVING SUM(c) > 0`),
      rollupByValue: (s) =>
        rollup(s, (rows, where) => `SELECT value_id, SUM(c), SUM(f) FROM ${rows} WHERE ${where} GROUP BY value_id HAVING SUM(c) > 0`),
      rollupDays: (s) =>
        rollup(s, (rows, where) => `SELECT value_id, SUM(c), SUM(f), SUM(c * c) FROM ${perDaySql(rows, where, s.allLogs)} GROUP BY value_id`),
      rollupSum: async (s) => (await rollup(s, (rows, where) => `SELECT COALESCE(SUM(c), 0) FROM ${rows} WHERE ${where}`))[0]?.[0] ?? 0,
      events: (filter) => this.scan(filter, condition),
      ...this.names(tenantId),
    };
  }

  /** Events matching `filter`, through a cursor on one connection, FETCH_ROWS at a time. */
  private async *scan(filter: EventFilter, condition: (f: EventFilter) => Promise<Statement | null>): AsyncGenerator<EventFactRow> {
    const where = await condition(filter);
    if (where === null) return;
    const client = await this.pool.connect();
    let finished = false;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query({ text: `DECLARE summary_scan NO SCROLL CURSOR FOR SELECT ${FACT_COLUMNS} FROM events WHERE ${where.text}`, values: where.values });
      for (;;) {
        const { rows } = await client.query<(number | null)[]>({ text: `FETCH ${FETCH_ROWS} FROM summary_scan`, rowMode: 'array' });
        if (rows.length === 0) break;
        yield* rows;
      }
      await client.query('COMMIT');
      finished = true;
    } finally {
      // A connection that failed, or was left inside its transaction, is dropped rather than reused.
      client.release(finished ? undefined : true);
    }
  }

  /** Keys and labels from the dictionaries and each value's latest event, looked up in batches. */
  private names(tenantId: number): Pick<SummaryReader, 'keys' | 'labels'> {
    const cache = new Map<string, Map<number, string>>();
    const latestOf = new Map<number, Latest>();
    const pool = this.pool;
    const latest = async (dim: 'actor' | 'resource', ids: readonly number[]): Promise<Map<number, Latest>> => {
      const missing = ids.filter((id) => !latestOf.has(dim === 'actor' ? id : -id));
      if (missing.length) {
        const table = dim === 'actor' ? 'actors' : 'resources';
        const { rows } = await pool.query<{ id: number; type: string; ext_id: string | null; body: string | null }>(
          `SELECT t.id, t.type, t.ext_id, e.body FROM ${table} t
           LEFT JOIN LATERAL (SELECT body FROM events WHERE tenant_id = t.tenant_id AND ${VALUE_COLUMN[dim]} = t.id
                              ORDER BY occurred_us DESC, seq DESC LIMIT 1) e ON true
           WHERE t.tenant_id = $1 AND t.id = ANY($2::int[])`,
          [tenantId, missing],
        );
        for (const r of rows) {
          latestOf.set(dim === 'actor' ? r.id : -r.id, { type: r.type, extId: r.ext_id, event: r.body === null ? null : (JSON.parse(r.body) as StoredEvent) });
        }
      }
      return new Map(ids.map((id) => [id, latestOf.get(dim === 'actor' ? id : -id)!]));
    };
    const terms = async (ids: readonly number[]): Promise<Map<number, string>> => {
      const { rows } = await pool.query<{ id: number; value: string }>('SELECT id, value FROM terms WHERE tenant_id = $1 AND id = ANY($2::int[])', [
        tenantId,
        ids,
      ]);
      return new Map(rows.map((r) => [r.id, r.value]));
    };
    const resourceFallback = async (id: number): Promise<string> => {
      const { rows } = await pool.query<{ alias: string }>(
        'SELECT alias FROM resource_aliases WHERE tenant_id = $1 AND resource_id = $2 ORDER BY kind DESC, alias LIMIT 1',
        [tenantId, id],
      );
      return rows[0]?.alias ?? String(id);
    };
    const named = async (kind: 'key' | 'label', dim: ValueDim, ids: readonly number[]): Promise<Map<number, string>> => {
      const seen = cache.get(`${kind}:${dim}`) ?? new Map<number, string>();
      cache.set(`${kind}:${dim}`, seen);
      const missing = ids.filter((id) => !seen.has(id));
      if (missing.length === 0) return seen;
      if (dim === 'actor') {
        for (const [id, l] of await latest('actor', missing)) {
          seen.set(id, kind === 'key' ? l.extId! : actorDisplay(l.event?.actor ?? { type: l.type as ActorType, id: l.extId! }));
        }
      } else if (dim === 'resource') {
        for (const [id, l] of await latest('resource', missing)) {
          const r = l.event?.resource;
          const key = r ? resourceKey(r) : (l.extId ?? (await resourceFallback(id)));
          seen.set(id, kind === 'key' ? `${l.type}:${key}` : (r?.path ?? r?.name ?? r?.id ?? key));
        }
      } else {
        for (const [id, value] of await terms(missing)) seen.set(id, value);
      }
      return seen;
    };
    return {
      keys: (dim, ids) => named('key', dim, ids),
      labels: (dim, ids) => named('label', dim, ids),
    };
  }
}

/**
 * Rollup rows of one select as a subquery whose columns the QueryCompiler's conditions can
 * match: `value_id` is also named after the events column it stands for, and `c`/`f` count what
 * `success` keeps. Its five parameters follow the condition's `offset` ones.
 */
function rollupRows(s: RollupSelect, offset: number): string {
  const count = s.success === undefined ? 'count' : s.success ? 'count - failures' : 'failures';
  const failures = s.success === true ? '0' : 'failures';
  const alias = s.source === 'total' ? '' : `, value_id AS ${VALUE_COLUMN[s.source]}`;
  const $ = (n: number) => `$${offset + n}`;
  return `(SELECT tenant_id, start_hour, log, value_id${alias}, ${count} AS c, ${failures} AS f FROM rollups
    WHERE tenant_id = ${$(1)} AND dim = ${$(2)} AND span = ${$(3)} AND start_hour >= ${$(4)} AND start_hour < ${$(5)}) r`;
}
