import type pg from 'pg';
import { ALL_LOGS_DAYS, DAY_ALL_LOGS, HOUR_US, HOURLY, ROLLUP_DIM, SPAN, VALUE_COLUMN, VALUE_DIMS } from '../rollups.js';
import { transaction } from './pool.js';

/** pg_advisory_xact_lock key held while folding events into rollups ('VIGL' then 4). */
const FOLD_LOCK = 0x5649474c_04;

/** How often each process folds in the background. */
const FOLD_INTERVAL_MS = 1000;

/** Most events of one tenant one fold statement counts (bounds its transaction). */
const FOLD_EVENTS = 50_000;

const codes = (dims: Iterable<string>): string => [...dims].map((d) => ROLLUP_DIM[d as keyof typeof ROLLUP_DIM]).join(', ');

/** The tenants (`h`) whose events the rollups do not all count yet, with their marks (`m`). */
const BEHIND = 'tree_heads h LEFT JOIN rollup_marks m ON m.tenant_id = h.tenant_id WHERE h.size > coalesce(m.seq, 0)';

/**
 * One statement: for every tenant whose events are not all counted (`rollup_marks.seq` below the
 * tree size), counts up to FOLD_EVENTS of the next ones from `events` — rows per hour, per day and
 * per day of every log, as `RollupDeltas.rows` makes them — moves the marks, and answers how many
 * tenants are still behind. Built from store/rollups.ts's constants, so both stores keep the same
 * rows. The tree head and the events it counts commit together, so every seq below a size read in
 * this statement's snapshot is visible.
 */
const FOLD_SQL = `
  WITH todo AS (
    SELECT h.tenant_id, h.size, coalesce(m.seq, 0) AS from_seq, LEAST(h.size, coalesce(m.seq, 0) + ${FOLD_EVENTS}) AS to_seq
      FROM ${BEHIND}),
  facts AS (
    SELECT e.tenant_id, (e.occurred_us / ${HOUR_US})::integer AS hour, e.log, e.success, d.dim, d.value_id
      FROM todo t
     -- LATERAL … LIMIT: an index range per tenant; joined plainly, the planner hashed all of event_keys.
     CROSS JOIN LATERAL (
       SELECT * FROM event_keys k WHERE k.tenant_id = t.tenant_id AND k.seq >= t.from_seq AND k.seq < t.to_seq LIMIT ${FOLD_EVENTS}) k
      JOIN events e ON e.tenant_id = k.tenant_id AND e.occurred_us = k.occurred_us AND e.seq = k.seq
     CROSS JOIN LATERAL (VALUES (${ROLLUP_DIM.total}, 0), ${VALUE_DIMS.map((d) => `(${ROLLUP_DIM[d]}, e.${VALUE_COLUMN[d]})`).join(', ')}) AS d(dim, value_id)
     WHERE d.value_id IS NOT NULL),
  cells AS (
    SELECT tenant_id, dim, ${SPAN.hour} AS span, hour AS start_hour, value_id, log, count(*) AS count, count(*) FILTER (WHERE NOT success) AS failures
      FROM facts WHERE dim IN (${codes(HOURLY)}) GROUP BY tenant_id, dim, hour, value_id, log
    UNION ALL
    SELECT tenant_id, dim, ${SPAN.day}, hour - hour % 24, value_id, log, count(*), count(*) FILTER (WHERE NOT success)
      FROM facts GROUP BY tenant_id, dim, hour - hour % 24, value_id, log
    UNION ALL
    SELECT tenant_id, dim, ${DAY_ALL_LOGS}, hour - hour % 24, value_id, 0, count(*), count(*) FILTER (WHERE NOT success)
      FROM facts WHERE dim IN (${codes(ALL_LOGS_DAYS)}) GROUP BY tenant_id, dim, hour - hour % 24, value_id),
  counted AS (
    INSERT INTO rollups (tenant_id, dim, span, start_hour, value_id, log, count, failures)
    SELECT * FROM cells ORDER BY tenant_id, dim, span, start_hour, value_id, log
    ON CONFLICT (tenant_id, dim, span, start_hour, value_id, log)
    DO UPDATE SET count = rollups.count + EXCLUDED.count, failures = rollups.failures + EXCLUDED.failures),
  marked AS (
    INSERT INTO rollup_marks (tenant_id, seq) SELECT tenant_id, to_seq FROM todo
    ON CONFLICT (tenant_id) DO UPDATE SET seq = EXCLUDED.seq)
  SELECT count(*)::int AS behind FROM todo WHERE to_seq < size`;

/** Whether any tenant is behind. */
const BEHIND_SQL = `SELECT EXISTS (SELECT 1 FROM ${BEHIND}) AS behind`;

/**
 * The `rollups` table (migrations 3, 4, 6) kept behind the append. Upserting each group's rollup
 * rows inside its append transaction was a third of the transaction's time (BENCHMARKS.md), and
 * every process's appends waited on it. So appends write only the events; the rollups are counted
 * from the committed events afterwards, by whichever process folds first: each process folds once
 * a second in the background, and before every summary and purge (which need them whole). One
 * fold at a time, across processes (a transaction advisory lock); each tenant's
 * `rollup_marks.seq` says which events the table counts (seq < mark) and moves in the same
 * transaction as the counts, so a fold that fails or a process that dies loses nothing and
 * counts nothing twice.
 */
export class PostgresRollups {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly pool: pg.Pool) {}

  /** Starts folding in the background. */
  start(): void {
    // A tick while a fold runs is skipped (slow folds do not queue up). A failed background fold is
    // left for the next one; summaries and purges fold themselves and report errors.
    this.timer ??= setInterval(() => {
      if (!this.running) void this.fold().catch(() => undefined);
    }, FOLD_INTERVAL_MS).unref();
  }

  /** Stops the background folds and waits for one in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Counts every event committed so far into the rollups (one fold of this process at a time). */
  async fold(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.foldAll();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  private async foldAll(): Promise<void> {
    // Most calls find nothing to count (an idle store, a summary right after a fold): one read.
    const { rows } = await this.pool.query<{ behind: boolean }>(BEHIND_SQL);
    if (!rows[0]!.behind) return;
    for (;;) {
      const behind = await transaction(this.pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [FOLD_LOCK]);
        const { rows } = await client.query<{ behind: number }>(FOLD_SQL);
        return rows[0]!.behind;
      });
      if (behind === 0) return;
    }
  }
}
