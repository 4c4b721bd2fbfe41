import type Database from 'better-sqlite3';
import type { CompactRange } from '../../integrity/compact-range.js';
import type { EdgeTile } from '../../integrity/edge-tile.js';
import { EMPTY_ROOT } from '../../integrity/hash.js';
import { edgeFromTiles, edgeTileKeys, tileKeyString, type AppendOutcome, type TileKey } from '../../integrity/tiles.js';

/** A tenant's Merkle tree as the write path needs it: size, root and right-edge partial tiles. */
export interface TenantTree {
  size: number;
  root: Uint8Array;
  edge: ReadonlyMap<number, EdgeTile>;
  /** The compact range after the last append by this process, if any (saves rehashing the edge). */
  range?: CompactRange;
}

/**
 * Tree heads of every tenant this process has written, loaded from tree_heads and the edge tiles
 * on first use. Only the Appender moves them, and only after its transaction committed.
 */
export class TreeCache {
  private readonly heads = new Map<number, TenantTree>();
  private readonly stmt;

  constructor(db: Database.Database) {
    this.stmt = {
      head: db.prepare<[number], { size: number; root: Buffer }>('SELECT size, root FROM tree_heads WHERE tenant_id = ?'),
      tile: db.prepare<[number, number, number], { hashes: Buffer }>(
        'SELECT hashes FROM merkle_tiles WHERE tenant_id = ? AND level = ? AND idx = ?',
      ),
      upsertTile: db.prepare(`INSERT INTO merkle_tiles (tenant_id, level, idx, hashes) VALUES (?, ?, ?, ?)
        ON CONFLICT (tenant_id, level, idx) DO UPDATE SET hashes = excluded.hashes`),
      upsertHead: db.prepare(`INSERT INTO tree_heads (tenant_id, size, root) VALUES (?, ?, ?)
        ON CONFLICT (tenant_id) DO UPDATE SET size = excluded.size, root = excluded.root`),
    };
  }

  get(tenantId: number): TenantTree {
    let tree = this.heads.get(tenantId);
    if (!tree) {
      tree = this.load(tenantId);
      this.heads.set(tenantId, tree);
    }
    return tree;
  }

  set(tenantId: number, tree: TenantTree): void {
    this.heads.set(tenantId, tree);
  }

  /** Writes an append's tiles and the new head; call inside the append transaction. */
  write(tenantId: number, outcome: AppendOutcome): void {
    for (const tile of outcome.writes) this.stmt.upsertTile.run(tenantId, tile.level, tile.index, tile.hashes);
    this.stmt.upsertHead.run(tenantId, outcome.size, outcome.root);
  }

  readTiles(tenantId: number, keys: readonly TileKey[]): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const key of keys) {
      const row = this.stmt.tile.get(tenantId, key.level, key.index);
      if (row) out.set(tileKeyString(key), new Uint8Array(row.hashes));
    }
    return out;
  }

  private load(tenantId: number): TenantTree {
    const head = this.stmt.head.get(tenantId);
    if (!head) return { size: 0, root: EMPTY_ROOT, edge: new Map() };
    const edge = edgeFromTiles(head.size, this.readTiles(tenantId, edgeTileKeys(head.size)));
    return { size: head.size, root: new Uint8Array(head.root), edge };
  }
}
