import type Database from 'better-sqlite3';
import type { PurgeRange, RetentionSettings } from '../store.js';
import type { Dictionary } from './dictionary.js';
import { rowIdSql } from './row-ids.js';

interface SettingsRow {
  tenant: string;
  days: number | null;
  archive_destination: string | null;
  legal_hold: number;
  legal_hold_reason: string | null;
  updated_at: string;
}

/**
 * Retention settings and the purge of the embedded store. The purge is the one path the
 * append-only triggers let through: it deletes only while its own transaction holds the row of
 * `purge_session` (migration 1), and it never touches merkle_tiles, tree_heads or checkpoints.
 */
export class SqliteRetention {
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly dict: Dictionary,
  ) {
    this.stmt = {
      get: db.prepare<[string], SettingsRow>('SELECT * FROM retention_settings WHERE tenant = ?'),
      put: db.prepare(`INSERT OR REPLACE INTO retention_settings
        (tenant, days, archive_destination, legal_hold, legal_hold_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?)`),
      open: db.prepare('INSERT INTO purge_session (id) VALUES (1)'),
      close: db.prepare('DELETE FROM purge_session'),
      // Oldest first along events_time (tenant_id, ts, then the row id), so each batch reads one index range.
      purge: db.prepare(`DELETE FROM events WHERE rid IN (
        SELECT rid FROM events WHERE tenant_id = ? AND ts < ? AND rid < ${rowIdSql('?', '?')} ORDER BY ts, rid LIMIT ?)`),
    };
  }

  get(tenant: string): RetentionSettings | null {
    const row = this.stmt.get.get(tenant);
    return row
      ? {
          tenant: row.tenant,
          days: row.days,
          archiveDestination: row.archive_destination,
          legalHold: row.legal_hold === 1,
          legalHoldReason: row.legal_hold_reason,
          updatedAt: row.updated_at,
        }
      : null;
  }

  put(s: RetentionSettings): void {
    this.stmt.put.run(s.tenant, s.days, s.archiveDestination, s.legalHold ? 1 : 0, s.legalHoldReason, s.updatedAt);
  }

  purge(tenant: string, range: PurgeRange, limit: number): number {
    const tenantId = this.dict.findTenant(tenant);
    if (tenantId === undefined) return 0;
    return this.db.transaction(() => {
      this.stmt.open.run();
      const deleted = this.stmt.purge.run(tenantId, range.beforeUs, tenantId, range.belowSeq, limit).changes;
      this.stmt.close.run();
      return deleted;
    }).immediate();
  }
}
