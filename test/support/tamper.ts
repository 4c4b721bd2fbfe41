/**
 * What someone with write access to a SQLite file can do behind Vigil's back, for the tamper
 * tests: the append-only triggers are only a guard against mistakes, so they drop them.
 */
import type Database from 'better-sqlite3';
import { HASH_SIZE, hashLeaf } from '../../src/integrity/hash.js';
import { appendLeaves, TILE_WIDTH } from '../../src/integrity/tiles.js';
import { STRIP_HASHES, TreeCache } from '../../src/store/sqlite/tree-cache.js';

/** The id of a tenant in the file. */
export function tenantId(db: Database.Database, tenant: string): number {
  return (db.prepare('SELECT id FROM tenants WHERE name = ?').get(tenant) as { id: number }).id;
}

/** Runs `change` with the named trigger dropped, then puts it back. */
function withoutTrigger(db: Database.Database, name: string, change: () => void): void {
  const trigger = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?").get(name) as { sql: string }).sql;
  db.exec(`DROP TRIGGER ${name}`);
  change();
  db.exec(trigger);
}

/** Rewrites one column of one event's row (the UPDATE trigger dropped, then put back). */
export function rewriteColumn(db: Database.Database, tenant: number, seq: number, column: 'body' | 'ts', value: string | Buffer | number): void {
  withoutTrigger(db, 'events_no_update', () => db.prepare(`UPDATE events SET ${column} = ? WHERE tenant_id = ? AND seq = ?`).run(value, tenant, seq));
}

/** Rewrites the stored body of one event. */
export function rewriteBody(db: Database.Database, tenant: number, seq: number, body: string | Buffer): void {
  rewriteColumn(db, tenant, seq, 'body', body);
}

/** Overwrites the stored hash of leaf `leaf` in its level-0 tile: full (merkle_tiles) or partial (a strip of merkle_edge). */
export function rewriteLeafHash(db: Database.Database, tenant: number, leaf: number, hash: Uint8Array): void {
  const index = Math.floor(leaf / TILE_WIDTH);
  const full = db.prepare('SELECT hashes FROM merkle_tiles WHERE tenant_id = ? AND level = 0 AND idx = ?').get(tenant, index) as { hashes: Buffer } | undefined;
  if (full) {
    full.hashes.set(hash, (leaf % TILE_WIDTH) * HASH_SIZE);
    withoutTrigger(db, 'merkle_tiles_grow_only', () =>
      db.prepare('UPDATE merkle_tiles SET hashes = ? WHERE tenant_id = ? AND level = 0 AND idx = ?').run(full.hashes, tenant, index),
    );
    return;
  }
  const strip = Math.floor((leaf % TILE_WIDTH) / STRIP_HASHES);
  const key = [tenant, index, strip];
  const { hashes } = db.prepare('SELECT hashes FROM merkle_edge WHERE tenant_id = ? AND level = 0 AND idx = ? AND strip = ?').get(...key) as { hashes: Buffer };
  hashes.set(hash, (leaf % STRIP_HASHES) * HASH_SIZE);
  withoutTrigger(db, 'merkle_edge_grow_only', () =>
    db.prepare('UPDATE merkle_edge SET hashes = ? WHERE tenant_id = ? AND level = 0 AND idx = ? AND strip = ?').run(hashes, ...key),
  );
}

/** Deletes events (the DELETE trigger dropped, then put back). */
export function deleteEvents(db: Database.Database, tenant: number, fromSeq: number, toSeq: number): void {
  withoutTrigger(db, 'events_no_delete', () => db.prepare('DELETE FROM events WHERE tenant_id = ? AND seq >= ? AND seq < ?').run(tenant, fromSeq, toSeq));
}

/**
 * What an attacker does to hide a truncation: deletes the newest events and rebuilds the tiles
 * and tree head of the events `kept`; a careful one also deletes the checkpoints of larger trees.
 */
export function rollBack(db: Database.Database, tenant: number, kept: string[], { careful = true } = {}): void {
  deleteEvents(db, tenant, kept.length, Number.MAX_SAFE_INTEGER);
  withoutTrigger(db, 'merkle_edge_moved_only', () => db.prepare('DELETE FROM merkle_edge WHERE tenant_id = ?').run(tenant));
  withoutTrigger(db, 'merkle_tiles_no_delete', () => db.prepare('DELETE FROM merkle_tiles WHERE tenant_id = ?').run(tenant));
  // Written as the store writes them, head included.
  const tree = appendLeaves(0, new Map(), kept.map((b) => hashLeaf(b)));
  new TreeCache(db).write(tenant, 0, tree);
  if (careful) db.prepare('DELETE FROM checkpoints WHERE tenant_id = ? AND size > ?').run(tenant, tree.size);
}
