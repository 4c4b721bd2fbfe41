/**
 * What someone with write access to a SQLite file can do behind Vigil's back, for the tamper
 * tests: the append-only triggers are only a guard against mistakes, so they drop them.
 */
import type Database from 'better-sqlite3';
import { hashLeaf } from '../../src/integrity/hash.js';
import { appendLeaves } from '../../src/integrity/tiles.js';

/** The id of a tenant in the file. */
export function tenantId(db: Database.Database, tenant: string): number {
  return (db.prepare('SELECT id FROM tenants WHERE name = ?').get(tenant) as { id: number }).id;
}

/** Rewrites one column of one event's row (the UPDATE trigger dropped, then put back). */
export function rewriteColumn(db: Database.Database, tenant: number, seq: number, column: 'body' | 'ts', value: string | Buffer | number): void {
  const trigger = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'events_no_update'").get() as { sql: string }).sql;
  db.exec('DROP TRIGGER events_no_update');
  db.prepare(`UPDATE events SET ${column} = ? WHERE tenant_id = ? AND seq = ?`).run(value, tenant, seq);
  db.exec(trigger);
}

/** Rewrites the stored body of one event. */
export function rewriteBody(db: Database.Database, tenant: number, seq: number, body: string | Buffer): void {
  rewriteColumn(db, tenant, seq, 'body', body);
}

/** Deletes events (the DELETE trigger dropped, then put back). */
export function deleteEvents(db: Database.Database, tenant: number, fromSeq: number, toSeq: number): void {
  const trigger = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'events_no_delete'").get() as { sql: string }).sql;
  db.exec('DROP TRIGGER events_no_delete');
  db.prepare('DELETE FROM events WHERE tenant_id = ? AND seq >= ? AND seq < ?').run(tenant, fromSeq, toSeq);
  db.exec(trigger);
}

/**
 * What an attacker does to hide a truncation: deletes the newest events and rebuilds the tiles
 * and tree head of the events `kept`; a careful one also deletes the checkpoints of larger trees.
 */
export function rollBack(db: Database.Database, tenant: number, kept: string[], { careful = true } = {}): void {
  deleteEvents(db, tenant, kept.length, Number.MAX_SAFE_INTEGER);
  db.exec('DROP TRIGGER merkle_tiles_no_delete');
  db.prepare('DELETE FROM merkle_tiles WHERE tenant_id = ?').run(tenant);
  const tree = appendLeaves(0, new Map(), kept.map((b) => hashLeaf(b)));
  const insert = db.prepare('INSERT INTO merkle_tiles (tenant_id, level, idx, hashes) VALUES (?, ?, ?, ?)');
  for (const tile of tree.writes) insert.run(tenant, tile.level, tile.index, tile.hashes);
  db.prepare('UPDATE tree_heads SET size = ?, root = ? WHERE tenant_id = ?').run(tree.size, tree.root, tenant);
  if (careful) db.prepare('DELETE FROM checkpoints WHERE tenant_id = ? AND size > ?').run(tenant, tree.size);
}
