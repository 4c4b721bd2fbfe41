import { BoundedCache } from '../domain/bounded-cache.js';
import type { TileMemo } from './proof-tiles.js';

/**
 * Tile trees kept (`TileMemo`), every tenant's together: at most 16 KB each, so at most 8 MB. A
 * tree of 10 million leaves has about 150 tiles above level 0.
 */
const TILE_TREES = 512;

/**
 * The process's tile trees, shared by the proofs it serves and the checkpointer's checks: each
 * second the checkpointer proves that every grown tree extends its latest checkpoint, from the
 * partial tiles at the top of the tree, and with their trees kept it hashes only the nodes over
 * the new leaves instead of the whole partial tile again; proofs near the head then find those
 * trees ready.
 */
export class TileTrees {
  private readonly trees = new BoundedCache<string, Uint8Array[]>(TILE_TREES);

  /** The memo of one tenant's tree. */
  of(tenant: string): TileMemo {
    const key = (tile: string) => `${tenant}\n${tile}`;
    return {
      get: (tile) => this.trees.get(key(tile)),
      set: (tile, tree) => this.trees.set(key(tile), tree),
      delete: (tile) => this.trees.delete(key(tile)),
    };
  }
}
