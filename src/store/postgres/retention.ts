import type pg from 'pg';
import type { PurgeRange, RetentionSettings } from '../store.js';
import type { Dictionary } from './dictionary.js';
import { transaction } from './pool.js';

const SETTINGS_COLUMNS = `tenant, days, archive_destination AS "archiveDestination", legal_hold AS "legalHold",
  legal_hold_reason AS "legalHoldReason", updated_at AS "updatedAt"`;

/**
 * Retention settings and the purge of the PostgreSQL store. The purge is the one path the
 * append-only triggers let through: its transaction sets `vigil.purge = 'on'` (SET LOCAL, so it
 * ends with the transaction). It deletes each event together with its event_keys row (so a
 * purged id may be sent again) and never touches merkle_tiles, tree_heads or checkpoints.
 *
 * Whole months can go faster by dropping partitions: in one transaction, SET LOCAL vigil.purge,
 * delete the partition's event_keys rows, then DETACH and DROP the partition (docs/operations.md).
 */
export class PostgresRetention {
  constructor(
    private readonly pool: pg.Pool,
    private readonly dict: Dictionary,
  ) {}

  async get(tenant: string): Promise<RetentionSettings | null> {
    const { rows } = await this.pool.query<RetentionSettings>(
      `SELECT ${SETTINGS_COLUMNS} FROM retention_settings WHERE tenant = $1`,
      [tenant],
    );
    return rows[0] ?? null;
  }

  async put(s: RetentionSettings): Promise<void> {
    await this.pool.query(
      `INSERT INTO retention_settings (tenant, days, archive_destination, legal_hold, legal_hold_reason, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant) DO UPDATE SET days = EXCLUDED.days, archive_destination = EXCLUDED.archive_destination,
         legal_hold = EXCLUDED.legal_hold, legal_hold_reason = EXCLUDED.legal_hold_reason, updated_at = EXCLUDED.updated_at`,
      [s.tenant, s.days, s.archiveDestination, s.legalHold, s.legalHoldReason, s.updatedAt],
    );
  }

  /** Deletes at most `limit` of the tenant's events in `range`, oldest first along the primary key. */
  async purge(tenant: string, range: PurgeRange, limit: number): Promise<number> {
    const tenantId = await this.dict.findTenant(tenant);
    if (tenantId === undefined) return 0;
    return transaction(this.pool, async (client) => {
      await client.query("SET LOCAL vigil.purge = 'on'");
      const { rowCount } = await client.query(
        `WITH doomed AS (
           SELECT occurred_us, seq FROM events
            WHERE tenant_id = $1 AND occurred_us < $2 AND seq < $3
            ORDER BY occurred_us, seq LIMIT $4),
         gone AS (
           DELETE FROM events e USING doomed d
            WHERE e.tenant_id = $1 AND e.occurred_us = d.occurred_us AND e.seq = d.seq
            RETURNING e.seq)
         DELETE FROM event_keys k USING gone g WHERE k.tenant_id = $1 AND k.seq = g.seq`,
        [tenantId, range.beforeUs, range.belowSeq, limit],
      );
      return rowCount ?? 0;
    });
  }
}
