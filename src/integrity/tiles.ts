import { CompactRange } from './compact-range.js';
import { EdgeTile } from './edge-tile.js';
import { HASH_SIZE, hashChildren } from './hash.js';

/**
 * The tree's hashes kept as C2SP tlog-tiles: a tile at tile level L and index N holds the hashes
 * of the tree nodes at height 8·L with indices N·256 … N·256+w−1 (w ≤ 256; a partial tile has
 * w < 256 and only exists at the right edge). Height-8 subtrees are recomputed from a tile, so a
 * proof at any size reads O(log₂₅₆ n) tiles. All index maths is in doubles, exact below 2^53.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

export interface TileKey {
  level: number;
  index: number;
}

export interface TileWrite extends TileKey {
  /** Concatenated 32-byte hashes; length / 32 is the tile's width. */
  hashes: Uint8Array;
}

export function tileKeyString(key: TileKey): string {
  return `${key.level}/${key.index}`;
}

/** Number of nodes at height 8·level in a tree of `size` leaves that are complete. */
function nodesAtLevel(size: number, level: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

/** How many hashes the tile `key` holds in a tree of `size` leaves: 0 before it exists, at most 256. */
export function tileWidth(size: number, key: TileKey): number {
  return Math.min(TILE_WIDTH, Math.max(0, nodesAtLevel(size, key.level) - key.index * TILE_WIDTH));
}

/** The partial tiles on the right edge of a tree of `size` leaves, lowest level first. */
export function edgeTileKeys(size: number): (TileKey & { width: number })[] {
  const keys: (TileKey & { width: number })[] = [];
  for (let level = 0; nodesAtLevel(size, level) > 0; level++) {
    const count = nodesAtLevel(size, level);
    const width = count % TILE_WIDTH;
    if (width > 0) keys.push({ level, index: Math.floor(count / TILE_WIDTH), width });
  }
  return keys;
}

/** Root of a perfect subtree over 2^k consecutive hashes. */
export function perfectRoot(hashes: readonly Uint8Array[]): Uint8Array {
  let layer = hashes.slice();
  while (layer.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(hashChildren(layer[i]!, layer[i + 1]!));
    layer = next;
  }
  const root = layer[0];
  if (!root) throw new Error('perfectRoot of no hashes');
  return root;
}

export function splitHashes(tile: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < tile.length; off += HASH_SIZE) out.push(tile.subarray(off, off + HASH_SIZE));
  return out;
}

/**
 * The perfect subtrees whose hashes make up the root of a tree, left to right, taken from the
 * right-edge partial tiles (`edge[level]` = that tile).
 */
function frontier(edge: ReadonlyMap<number, EdgeTile>): Uint8Array[] {
  const out: Uint8Array[] = [];
  const levels = [...edge.keys()].sort((a, b) => b - a);
  for (const level of levels) {
    const hashes = splitHashes(edge.get(level)!.hashes);
    let start = 0;
    for (let bit = TILE_HEIGHT - 1; bit >= 0; bit--) {
      const span = 2 ** bit;
      if (hashes.length - start >= span) {
        out.push(perfectRoot(hashes.slice(start, start + span)));
        start += span;
      }
    }
  }
  return out;
}

export interface AppendOutcome {
  size: number;
  root: Uint8Array;
  /** The compact range of the new tree: pass it to the next append to skip rehashing the edge. */
  range: CompactRange;
  /** Every tile changed by the append, with its full new contents (upsert by key; views that never change). */
  writes: TileWrite[];
  /** The new right-edge partial tiles, to keep for the next append. */
  edge: Map<number, EdgeTile>;
}

/**
 * Appends leaf hashes to a tree of `size` leaves whose right-edge partial tiles are `edge`
 * (as read back with `edgeTileKeys(size)`). O(log n) amortised per leaf. Pure. `range`, the
 * previous append's outcome for the same tree, saves recomputing the root's subtrees from the
 * edge tiles (which costs up to 255 hashes per level); it is not modified.
 */
export function appendLeaves(
  size: number,
  edge: ReadonlyMap<number, EdgeTile>,
  leaves: readonly Uint8Array[],
  range?: CompactRange,
): AppendOutcome {
  const compact = range && range.size === size ? range.clone() : CompactRange.resume(size, frontier(edge));
  for (const leaf of leaves) compact.append(leaf);
  const next = new Map(edge);
  const full: TileWrite[] = [];
  const touched = new Set<number>();

  const push = (level: number, hash: Uint8Array): void => {
    const tile = (next.get(level) ?? EdgeTile.EMPTY).with(hash);
    touched.add(level);
    if (tile.width === TILE_WIDTH) {
      const index = Math.floor((nodesAtLevel(n, level) - 1) / TILE_WIDTH);
      full.push({ level, index, hashes: tile.hashes });
      next.delete(level);
      push(level + 1, perfectRoot(splitHashes(tile.hashes)));
    } else {
      next.set(level, tile);
    }
  };

  let n = size;
  for (const leaf of leaves) {
    n++;
    push(0, leaf);
  }
  // Each level's partial tile is written once, however many leaves went into it.
  const partial = edgeTileKeys(n)
    .filter((key) => touched.has(key.level))
    .map((key) => ({ level: key.level, index: key.index, hashes: next.get(key.level)!.hashes }));
  return { size: n, root: compact.root(), range: compact, writes: [...full, ...partial], edge: next };
}

/** Rebuilds the edge map from stored tiles read with the keys of `edgeTileKeys(size)`. */
export function edgeFromTiles(size: number, tiles: ReadonlyMap<string, Uint8Array>): Map<number, EdgeTile> {
  const edge = new Map<number, EdgeTile>();
  for (const key of edgeTileKeys(size)) {
    const tile = tiles.get(tileKeyString(key));
    if (!tile || tile.length < key.width * HASH_SIZE) {
      throw new Error(`merkle tile ${tileKeyString(key)} missing or short for tree size ${size}`);
    }
    edge.set(key.level, EdgeTile.of(tile.subarray(0, key.width * HASH_SIZE)));
  }
  return edge;
}
