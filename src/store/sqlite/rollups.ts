import type Database from 'better-sqlite3';
import type { RollupDeltas } from '../rollups.js';

/**
 * Writes an append group's rollup deltas (store/rollups.ts) into the `rollups` table of
 * migration 3: one upsert per (tenant, dimension, span, bucket, log, value) of the group. Called
 * inside the append transaction, so rollups commit or roll back with the events they count.
 */
export class RollupWriter {
  private readonly upsert;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(`INSERT INTO rollups (tenant_id, dim, span, start_hour, log, value_id, count, failures)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, dim, span, start_hour, log, value_id)
      DO UPDATE SET count = count + excluded.count, failures = failures + excluded.failures`);
  }

  write(deltas: RollupDeltas): void {
    for (const r of deltas.rows()) {
      this.upsert.run(r.tenantId, r.dim, r.span, r.startHour, r.log, r.valueId, r.count, r.failures);
    }
  }
}
