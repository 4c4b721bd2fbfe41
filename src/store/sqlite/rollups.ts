import type Database from 'better-sqlite3';
import { DAY_ALL_LOGS, RollupDeltas, VALUE_COLUMNS_SQL, type RollupRow } from '../rollups.js';
import type { DayRowsCache } from './day-rows-cache.js';
import { SEQ_RANGE, SEQS_PER_TENANT } from './row-ids.js';

/** Rows per upsert statement: fewer statements, the same b-tree work. */
const ROWS_PER_STATEMENT = 64;

function upsertSql(rows: number): string {
  return `INSERT INTO rollups (tenant_id, dim, span, start_hour, value_id, log, count, failures)
    VALUES ${new Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
    ON CONFLICT (tenant_id, dim, span, start_hour, value_id, log)
    DO UPDATE SET count = count + excluded.count, failures = failures + excluded.failures`;
}

/** Counted events wait in memory at most this long before their rollups are written… */
const WRITE_INTERVAL_MS = 1000;
/** …or until this many wait (bounds the memory of the deltas). */
const WRITE_EVENTS = 10_000;
/**
 * Once due, the waiting deltas are written a slice of tenants per append, about this many cells
 * (or as many as the append's own group adds, if more): written at once, a second's deltas held
 * the event loop for 70–150 ms every second, which was the p99 of single-event ingest; in slices
 * of 2,000 cells a few groups of single events a second still took ~10 ms more than the rest
 * (500: the p99 of single events 99.9 → 88.8 ms over six alternated pairs, BENCHMARKS.md).
 */
const CELLS_PER_APPEND = 500;

/**
 * The `rollups` table (migrations 3–5) kept from the append path. Upserting each group's deltas
 * in its append transaction dirtied the same rollup pages at every commit (a third of the
 * append's cost, BENCHMARKS.md), so the deltas of the appends of about a second are folded
 * in memory; when they come due, the tenants then waiting are written a slice per append, inside
 * the append transactions that follow. Each tenant's `rollup_marks.seq` says which events the
 * table counts (seq < mark), and moves only when all of that tenant's waiting deltas are written;
 * the events above it are counted again from the `events` table by `recover()` when the store
 * opens after a crash, so the rollups are exact whatever happened. Readers of rollups call
 * `flush()` first.
 */
export class SqliteRollups {
  private pending = new RollupDeltas();
  /** The tenants left to write since the deltas came due (null until they next do). */
  private due: Set<number> | null = null;
  private writtenAt = Date.now();
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly dayRows: DayRowsCache,
  ) {
    this.stmt = {
      many: db.prepare(upsertSql(ROWS_PER_STATEMENT)),
      one: db.prepare(upsertSql(1)),
      mark: db.prepare('INSERT INTO rollup_marks (tenant_id, seq) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq'),
      behind: db.prepare<[], { tenantId: number; size: number; mark: number }>(
        `SELECT h.tenant_id AS tenantId, h.size, coalesce(m.seq, 0) AS mark
         FROM tree_heads h LEFT JOIN rollup_marks m ON m.tenant_id = h.tenant_id WHERE h.size > coalesce(m.seq, 0)`,
      ),
      tail: db
        .prepare<[number, number, number, number], unknown[]>(
          `SELECT ts, log, success, ${VALUE_COLUMNS_SQL}
           FROM events WHERE ${SEQ_RANGE}`,
        )
        .raw(),
    };
  }

  /**
   * Inside an append transaction: takes the group's deltas and, once a second has passed or many
   * events wait, writes the next slice of the tenants then waiting — their waiting deltas and this
   * group's — and moves their marks to the tree sizes this transaction commits (`sizeAfter`).
   * Returns what to do once it has committed; on a rollback nothing changes in memory.
   */
  stage(group: RollupDeltas, sizeAfter: (tenantId: number) => number): () => void {
    if (!this.due && (this.pending.events + group.events >= WRITE_EVENTS || Date.now() - this.writtenAt >= WRITE_INTERVAL_MS)) {
      this.due = new Set([...this.pending.tenants(), ...group.tenants()]);
    }
    const due = this.due;
    if (!due) return () => this.pending.absorb(group);
    const slice = this.slice(due, group);
    this.write(this.pending, slice);
    this.write(group, slice);
    for (const tenantId of slice) this.stmt.mark.run(tenantId, sizeAfter(tenantId));
    return () => {
      this.pending.remove(slice);
      this.pending.absorb(group, slice);
      for (const tenantId of slice) due.delete(tenantId);
      if (due.size === 0) {
        this.due = null;
        this.writtenAt = Date.now();
      }
    };
  }

  /** The next tenants of `due` whose deltas, waiting and in `group`, come to about CELLS_PER_APPEND cells (at least one tenant). */
  private slice(due: ReadonlySet<number>, group: RollupDeltas): Set<number> {
    const budget = Math.max(CELLS_PER_APPEND, group.cells());
    const slice = new Set<number>();
    let cells = 0;
    for (const tenantId of due) {
      if (slice.size > 0 && cells >= budget) break;
      slice.add(tenantId);
      cells += this.pending.cells(tenantId) + group.cells(tenantId);
    }
    return slice;
  }

  /** Writes the waiting deltas in a transaction of their own (before summaries, purges, closing). */
  flush(sizeOf: (tenantId: number) => number): void {
    if (this.pending.events === 0) return;
    this.db.transaction(() => {
      this.write(this.pending);
      for (const tenantId of this.pending.tenants()) this.stmt.mark.run(tenantId, sizeOf(tenantId));
    }).immediate();
    this.pending = new RollupDeltas();
    this.due = null;
    this.writtenAt = Date.now();
  }

  /** Counts into the rollups the events above each tenant's mark: those a crashed process held in memory. */
  recover(): void {
    const behind = this.stmt.behind.all();
    if (behind.length === 0) return;
    this.db.transaction(() => {
      for (const { tenantId, size, mark } of behind) {
        const deltas = new RollupDeltas();
        for (const row of this.stmt.tail.iterate(tenantId, mark, tenantId, SEQS_PER_TENANT)) {
          const [tsUs, log, success, ...values] = row as number[];
          deltas.add({ tenantId, tsUs: tsUs!, log: log!, success: success === 1, values: values as (number | null)[] });
        }
        this.write(deltas);
        this.stmt.mark.run(tenantId, size);
      }
    }).immediate();
  }

  /** Upserts the rows of `deltas` (of the tenants in `only`, when given). */
  private write(deltas: RollupDeltas, only?: ReadonlySet<number>): void {
    const params: number[] = [];
    let pending = 0;
    for (const row of deltas.rows(only)) {
      if (row.span === DAY_ALL_LOGS) this.dayRows.drop(row.tenantId, row.dim, row.startHour);
      pushRow(params, row);
      if (++pending === ROWS_PER_STATEMENT) {
        this.stmt.many.run(params);
        params.length = 0;
        pending = 0;
      }
    }
    for (let i = 0; i < params.length; i += 8) this.stmt.one.run(params.slice(i, i + 8));
  }
}

function pushRow(params: number[], r: RollupRow): void {
  params.push(r.tenantId, r.dim, r.span, r.startHour, r.valueId, r.log, r.count, r.failures);
}
