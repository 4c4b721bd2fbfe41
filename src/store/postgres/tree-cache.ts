import type pg from 'pg';
import { edgeFromTiles, edgeTileKeys, tileKeyString, type AppendOutcome, type TileKey } from '../../integrity/tiles.js';
import type { TenantTree } from '../sqlite/tree-cache.js';

export interface LockedHead {
  size: number;
  root: Uint8Array;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Reads stored tiles of several tenants in one query, keyed by tenant then `level/index`. */
export async function readTiles(
  db: pg.ClientBase | pg.Pool,
  wanted: readonly { tenantId: number; key: TileKey }[],
): Promise<Map<number, Map<string, Uint8Array>>> {
  const out = new Map<number, Map<string, Uint8Array>>();
  if (wanted.length === 0) return out;
  const { rows } = await db.query<{ tenant_id: number; level: number; idx: number; hashes: Buffer }>(
    `SELECT t.tenant_id, t.level, t.idx, t.hashes FROM merkle_tiles t
      JOIN unnest($1::int[], $2::smallint[], $3::bigint[]) AS w(tenant_id, level, idx)
        ON t.tenant_id = w.tenant_id AND t.level = w.level AND t.idx = w.idx`,
    [wanted.map((w) => w.tenantId), wanted.map((w) => w.key.level), wanted.map((w) => w.key.index)],
  );
  for (const row of rows) {
    let tiles = out.get(row.tenant_id);
    if (!tiles) out.set(row.tenant_id, (tiles = new Map()));
    tiles.set(tileKeyString({ level: row.level, index: row.idx }), new Uint8Array(row.hashes));
  }
  return out;
}

/**
 * The right edge of each tenant's tree, as the write path needs it. Several processes write, so
 * the database's locked head is the truth: a cached tree is used only while its size and root
 * equal the head's (no other process appended since); otherwise its edge tiles are read again.
 * Only the Appender moves the cache, after its transaction committed.
 */
export class TreeCache {
  private readonly trees = new Map<number, TenantTree>();

  /** Trees matching `heads` (read under the heads' row locks, inside the append transaction). */
  async current(client: pg.ClientBase, heads: ReadonlyMap<number, LockedHead>): Promise<Map<number, TenantTree>> {
    const out = new Map<number, TenantTree>();
    const stale: number[] = [];
    for (const [tenantId, head] of heads) {
      const cached = this.trees.get(tenantId);
      if (cached && cached.size === head.size && sameBytes(cached.root, head.root)) out.set(tenantId, cached);
      else stale.push(tenantId);
    }
    const wanted = stale.flatMap((tenantId) => edgeTileKeys(heads.get(tenantId)!.size).map((key) => ({ tenantId, key })));
    const tiles = await readTiles(client, wanted);
    for (const tenantId of stale) {
      const head = heads.get(tenantId)!;
      out.set(tenantId, { size: head.size, root: head.root, edge: edgeFromTiles(head.size, tiles.get(tenantId) ?? new Map()) });
    }
    return out;
  }

  /** Records trees that a committed transaction produced. */
  publish(trees: ReadonlyMap<number, AppendOutcome>): void {
    for (const [tenantId, tree] of trees) this.trees.set(tenantId, { size: tree.size, root: tree.root, edge: tree.edge, range: tree.range });
  }
}
