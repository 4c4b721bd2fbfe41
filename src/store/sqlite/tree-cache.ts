import type Database from 'better-sqlite3';
import type { CompactRange } from '../../integrity/compact-range.js';
import type { EdgeTile } from '../../integrity/edge-tile.js';
import { EMPTY_ROOT, HASH_SIZE } from '../../integrity/hash.js';
import { edgeFromTiles, edgeTileKeys, TILE_WIDTH, tileKeyString, type AppendOutcome, type TileKey } from '../../integrity/tiles.js';

/** A tenant's Merkle tree as the write path needs it: size, root and right-edge partial tiles. */
export interface TenantTree {
  size: number;
  root: Uint8Array;
  edge: ReadonlyMap<number, EdgeTile>;
  /** The compact range after the last append by this process, if any (saves rehashing the edge). */
  range?: CompactRange;
}

/** Hashes per row of a partial tile in merkle_edge (migration 13): 512 bytes, which SQLite keeps within the row's page. */
export const STRIP_HASHES = 16;
const STRIP_BYTES = STRIP_HASHES * HASH_SIZE;
const FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE;

/**
 * Tree heads of every tenant this process has written, loaded from tree_heads and the edge tiles
 * on first use. Only the Appender moves them, and only after its transaction committed.
 *
 * Full tiles are rows of merkle_tiles; a partial one is rows of merkle_edge, a strip of 16 hashes
 * each, so that an append writes only the strips it grows: the tile of a tenant that gained one
 * event costs one small row instead of 8 KB on overflow pages (BENCHMARKS.md, eighteenth round).
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
      strips: db
        .prepare<[number, number, number], Buffer>('SELECT hashes FROM merkle_edge WHERE tenant_id = ? AND level = ? AND idx = ? ORDER BY strip')
        .pluck(),
      insertTile: db.prepare('INSERT INTO merkle_tiles (tenant_id, level, idx, hashes) VALUES (?, ?, ?, ?)'),
      upsertStrip: db.prepare(`INSERT INTO merkle_edge (tenant_id, level, idx, strip, hashes) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (tenant_id, level, idx, strip) DO UPDATE SET hashes = excluded.hashes`),
      deleteStrips: db.prepare('DELETE FROM merkle_edge WHERE tenant_id = ? AND level = ? AND idx = ?'),
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

  /**
   * Writes the tiles and new head of an append to a tree of `fromSize` leaves; call inside the
   * append transaction. A tile that became full moves from its strips to merkle_tiles.
   */
  write(tenantId: number, fromSize: number, outcome: AppendOutcome): void {
    const before = new Map(edgeTileKeys(fromSize).map((key) => [key.level, key]));
    for (const { level, index, hashes } of outcome.writes) {
      // Only the tile that was the edge before this append has strips stored.
      const stored = before.get(level);
      if (hashes.length === FULL_TILE_BYTES) {
        this.stmt.insertTile.run(tenantId, level, index, hashes);
        if (stored?.index === index) this.stmt.deleteStrips.run(tenantId, level, index);
        continue;
      }
      // The strips before the one the tile's last stored hash is in did not change.
      const first = stored?.index === index ? Math.floor(stored.width / STRIP_HASHES) : 0;
      for (let strip = first; strip * STRIP_BYTES < hashes.length; strip++) {
        this.stmt.upsertStrip.run(tenantId, level, index, strip, hashes.subarray(strip * STRIP_BYTES, (strip + 1) * STRIP_BYTES));
      }
    }
    this.stmt.upsertHead.run(tenantId, outcome.size, outcome.root);
  }

  /** The stored tiles of `keys` (full, or as far as they go), by tileKeyString; a tile never written is left out. */
  readTiles(tenantId: number, keys: readonly TileKey[]): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const key of keys) {
      const full = this.stmt.tile.get(tenantId, key.level, key.index)?.hashes;
      const strips = full ? [] : this.stmt.strips.all(tenantId, key.level, key.index);
      if (full || strips.length > 0) out.set(tileKeyString(key), new Uint8Array(full ?? Buffer.concat(strips)));
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
