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

/** A node's hash from tiles read with `tileKeysFor`; throws if its tile is missing or too short. */
export function nodeHash(tiles: ReadonlyMap<string, Uint8Array>, node: NodeId): Uint8Array {
  const { key, offset, count } = nodeSource(node);
  const tile = tiles.get(tileKeyString(key));
  const end = (offset + count) * HASH_SIZE;
  if (!tile || tile.length < end) {
    throw new Error(`merkle tile ${tileKeyString(key)} missing or short for node ${node.height}/${node.index}`);
  }
  return perfectRoot(splitHashes(tile.slice(offset * HASH_SIZE, end)));
}

/** The MTH of one proof step: its parts hashed together from the right. */
export function stepHash(tiles: ReadonlyMap<string, Uint8Array>, step: ProofStep): Uint8Array {
  const parts = step.map((node) => nodeHash(tiles, node));
  const last = parts.pop();
  if (!last) throw new Error('proof step without nodes');
  return parts.reduceRight((right, left) => hashChildren(left, right), last);
}

async function hashSteps(readTiles: ReadTiles, steps: readonly ProofStep[]): Promise<Uint8Array[]> {
  const tiles = await readTiles(tileKeysFor(steps));
  return steps.map((step) => stepHash(tiles, step));
}

/**
 * RFC 9162 inclusion proof of leaf `leafIndex` in the tree of `treeSize` leaves (≤ the stored size).
 * Rejects with ProofError for an index outside the tree.
 */
export async function inclusionProof(readTiles: ReadTiles, leafIndex: number, treeSize: number): Promise<Uint8Array[]> {
  return hashSteps(readTiles, inclusionNodes(leafIndex, treeSize));
}

/**
 * RFC 9162 consistency proof from the tree of `size1` leaves to the tree of `size2` leaves
 * (size2 ≤ the stored size). Rejects with ProofError unless 0 < size1 ≤ size2 or both are 0.
 */
export async function consistencyProof(readTiles: ReadTiles, size1: number, size2: number): Promise<Uint8Array[]> {
  return hashSteps(readTiles, consistencyNodes(size1, size2));
}

/** The root of the tree of the first `size` leaves (≤ the stored size): the MTH of [0, size). */
export async function rootAt(readTiles: ReadTiles, size: number): Promise<Uint8Array> {
  checkCount('size', size);
  if (size === 0) return EMPTY_ROOT;
  const [root] = await hashSteps(readTiles, [subtreeNodes(0, size)]);
  return root!;
}
