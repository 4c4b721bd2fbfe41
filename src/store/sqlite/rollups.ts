import type Database from 'better-sqlite3';
import type { RollupDeltas, RollupRow } from '../rollups.js';

/** Rows per upsert statement: fewer statements, the same b-tree work. */
const ROWS_PER_STATEMENT = 64;

function upsertSql(rows: number): string {
  return `INSERT INTO rollups (tenant_id, dim, span, start_hour, value_id, log, count, failures)
    VALUES ${new Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
    ON CONFLICT (tenant_id, dim, span, start_hour, value_id, log)
    DO UPDATE SET count = count + excluded.count, failures = failures + excluded.failures`;
}

/**
 * Writes an append group's rollup deltas (store/rollups.ts) into the `rollups` table
 * (migrations 3 and 4): each (tenant, dimension, span, bucket, value, log) of the group once,
 * 64 rows per statement. Called inside the append transaction, so rollups commit or roll back
 * with the events they count.
 */
export class RollupWriter {
  private readonly many;
  private readonly one;

  constructor(db: Database.Database) {
    this.many = db.prepare(upsertSql(ROWS_PER_STATEMENT));
    this.one = db.prepare(upsertSql(1));
  }

  write(deltas: RollupDeltas): void {
    const params: number[] = [];
    let pending = 0;
    for (const row of deltas.rows()) {
      pushRow(params, row);
      if (++pending === ROWS_PER_STATEMENT) {
        this.many.run(params);
        params.length = 0;
        pending = 0;
      }
    }
    for (let i = 0; i < params.length; i += 8) this.one.run(params.slice(i, i + 8));
  }
}

function pushRow(params: number[], r: RollupRow): void {
  params.push(r.tenantId, r.dim, r.span, r.startHour, r.valueId, r.log, r.count, r.failures);
}
