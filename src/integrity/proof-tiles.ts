import type { BoundedCache } from '../domain/bounded-cache.js';
import { checkCount } from './bits.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hash.js';
import { consistencyNodes, inclusionNodes, subtreeNodes, type NodeId, type ProofStep } from './proof-nodes.js';
import { perfectRoot, splitHashes, TILE_HEIGHT, TILE_WIDTH, tileKeyString, type TileKey } from './tiles.js';

/**
 * Proofs from stored tiles: where each proof node's hash lives (pure), then one read of all the
 * tiles a proof needs and the hashing. A node at height h is in tile level L = ⌊h/8⌋: it is the
 * perfect root of 2^(h−8L) consecutive hashes of one tile, so a proof reads O(log₂₅₆ n) tiles.
 * Complete nodes never change, so the latest (possibly partial) tiles serve proofs for any
 * earlier tree size too.
 */

/** Reads stored tiles of one tenant's tree: `Store.readTiles` bound to the tenant. Missing keys are absent. */
export type ReadTiles = (keys: TileKey[]) => Promise<Map<string, Uint8Array>>;

/** Where a node's hash comes from: the perfect root of `count` hashes from position `offset` of tile `key`. */
export interface NodeSource {
  key: TileKey;
  offset: number;
  count: number;
}

/** Where in the tiles the hash of `node` is found (index arithmetic only). */
export function nodeSource(node: NodeId): NodeSource {
  const level = Math.floor(node.height / TILE_HEIGHT);
  const count = 2 ** (node.height - level * TILE_HEIGHT);
  const first = node.index * count;
  return { key: { level, index: Math.floor(first / TILE_WIDTH) }, offset: first % TILE_WIDTH, count };
}

/** The tiles holding every node of `steps`, each once. */
export function tileKeysFor(steps: readonly ProofStep[]): TileKey[] {
  const keys = new Map<string, TileKey>();
  for (const node of steps.flat()) {
    const { key } = nodeSource(node);
    keys.set(tileKeyString(key), key);
  }
  return [...keys.values()];
}

/**
 * Tile trees (`tileTree`) remembered between proofs, keyed by tile (`level/index`), for one tree.
 * A tile only grows, and the nodes over the hashes it had are the same in the wider tile; without
 * a memo, a node at the top of a tile costs 255 hashes every time.
 */
export type TileMemo = Pick<BoundedCache<string, Uint8Array[]>, 'get' | 'set' | 'delete'>;

/** Whether the first `prefix.length` bytes of `bytes` are `prefix`. */
function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.length <= bytes.length && Buffer.compare(bytes.subarray(0, prefix.length), prefix) === 0;
}

/**
 * Every complete node inside one tile: row k holds the roots of its aligned runs of 2^k hashes
 * (row 0 is a copy of the tile), each row one buffer of 32-byte hashes. With `from`, the tree of
 * the same tile when it was narrower, only the nodes over hashes added since are hashed; the rest
 * are copied — if the tile still begins with the hashes `from` was made of, byte for byte, and
 * are all computed again otherwise (a changed hash must change the nodes above it).
 */
export function tileTree(tile: Uint8Array, from?: readonly Uint8Array[]): Uint8Array[] {
  const known = from && startsWith(tile, from[0]!) ? from : [];
  const rows = [tile.slice()];
  for (let k = 1, row = rows[0]!; row.length >= 2 * HASH_SIZE; k++) {
    const next = new Uint8Array(Math.floor(row.length / (2 * HASH_SIZE)) * HASH_SIZE);
    const reused = Math.min(known[k]?.length ?? 0, next.length);
    if (reused > 0) next.set(known[k]!.subarray(0, reused));
    for (let at = reused; at < next.length; at += HASH_SIZE) {
      next.set(hashChildren(row.subarray(2 * at, 2 * at + HASH_SIZE), row.subarray(2 * at + HASH_SIZE, 2 * at + 2 * HASH_SIZE)), at);
    }
    rows.push(next);
    row = next;
  }
  return rows;
}

/**
 * A node's hash from tiles read with `tileKeysFor`; throws if its tile is missing or too short.
 * With `memo`, nodes come from remembered tile trees — used only where the tile read begins with
 * the hashes they were made of, and widened as the tile grows — except in full level-0 tiles: the
 * tiles above level 0 are few and nearly every proof reads them, the partial level-0 tile serves
 * every root and every checkpoint, while a full level-0 tile is rarely read twice (the tree it had
 * while partial serves it once more, then is dropped).
 */
export function nodeHash(tiles: ReadonlyMap<string, Uint8Array>, node: NodeId, memo?: TileMemo): Uint8Array {
  const { key, offset, count } = nodeSource(node);
  const memoKey = tileKeyString(key);
  const tile = tiles.get(memoKey);
  const end = (offset + count) * HASH_SIZE;
  if (!tile || tile.length < end) {
    throw new Error(`merkle tile ${memoKey} missing or short for node ${node.height}/${node.index}`);
  }
  if (count === 1) return tile.slice(offset * HASH_SIZE, end);
  const fullLevel0 = key.level === 0 && tile.length === TILE_WIDTH * HASH_SIZE;
  let tree = memo?.get(memoKey);
  if (!memo || (!tree && fullLevel0)) return perfectRoot(splitHashes(tile.slice(offset * HASH_SIZE, end)));
  // A narrower tile (read from a server behind this one) is served by the wider tree it begins.
  if (!tree || !startsWith(tree[0]!, tile)) {
    tree = tileTree(tile, tree);
    // A level-0 tile that has just filled is served this once and let go.
    if (fullLevel0) memo.delete(memoKey);
    else memo.set(memoKey, tree);
  }
  const at = (offset / count) * HASH_SIZE;
  // A copy: callers own the hashes they get, and the memo's must not change.
  return tree[Math.log2(count)]!.slice(at, at + HASH_SIZE);
}

/** The MTH of one proof step: its parts hashed together from the right. */
export function stepHash(tiles: ReadonlyMap<string, Uint8Array>, step: ProofStep, memo?: TileMemo): Uint8Array {
  const parts = step.map((node) => nodeHash(tiles, node, memo));
  const last = parts.pop();
  if (!last) throw new Error('proof step without nodes');
  return parts.reduceRight((right, left) => hashChildren(left, right), last);
}

async function hashSteps(readTiles: ReadTiles, steps: readonly ProofStep[], memo?: TileMemo): Promise<Uint8Array[]> {
  const tiles = await readTiles(tileKeysFor(steps));
  return steps.map((step) => stepHash(tiles, step, memo));
}

/**
 * RFC 9162 inclusion proof of leaf `leafIndex` in the tree of `treeSize` leaves (≤ the stored size).
 * Rejects with ProofError for an index outside the tree.
 */
export async function inclusionProof(readTiles: ReadTiles, leafIndex: number, treeSize: number, memo?: TileMemo): Promise<Uint8Array[]> {
  return hashSteps(readTiles, inclusionNodes(leafIndex, treeSize), memo);
}

/**
 * RFC 9162 consistency proof from the tree of `size1` leaves to the tree of `size2` leaves
 * (size2 ≤ the stored size). Rejects with ProofError unless 0 < size1 ≤ size2 or both are 0.
 */
export async function consistencyProof(readTiles: ReadTiles, size1: number, size2: number, memo?: TileMemo): Promise<Uint8Array[]> {
  return hashSteps(readTiles, consistencyNodes(size1, size2), memo);
}

/** The root of the tree of the first `size` leaves (≤ the stored size): the MTH of [0, size). */
export async function rootAt(readTiles: ReadTiles, size: number, memo?: TileMemo): Promise<Uint8Array> {
  checkCount('size', size);
  if (size === 0) return EMPTY_ROOT;
  const [root] = await hashSteps(readTiles, [subtreeNodes(0, size)], memo);
  return root!;
}
