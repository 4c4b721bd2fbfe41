import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hash.js';
import { consistencyNodes, inclusionNodes, type NodeId, type ProofStep } from './proof-nodes.js';
import { consistencyProof, inclusionProof, nodeHash, nodeSource, rootAt, type ReadTiles } from './proof-tiles.js';
import { appendLeaves, edgeFromTiles, edgeTileKeys, tileKeyString, tileWidth, type TileKey } from './tiles.js';
import { verifyConsistency, verifyInclusion } from './verify-proof.js';

/**
 * The fast code (appendLeaves, tiles, proof nodes, proofs from tiles, verification) checked
 * against a deliberately simple recursive RFC 9162 implementation: exhaustively where it is cheap
 * (which nodes, which tiles, every node hash, every root), and end to end with SHA-256 for every
 * proof of the trees up to 64 leaves and samples up to 65,539 leaves. (Every proof of every tree
 * up to 300 leaves end to end would hash for about a minute: a proof recomputes up to 247 hashes
 * inside its tiles.)
 */

type Range = readonly [begin: number, end: number];

/** RFC 9162 §2.1.1 MTH, §2.1.3.1 PATH and §2.1.4.1 PROOF, literally, over leaf hashes. */
class ReferenceTree {
  private readonly memo = new Map<string, Uint8Array>();

  constructor(private readonly leaves: readonly Uint8Array[]) {}

  /** MTH(D[begin:end]), memoised. */
  mth([begin, end]: Range): Uint8Array {
    const key = `${begin}:${end}`;
    let hash = this.memo.get(key);
    if (!hash) {
      if (end - begin === 0) hash = EMPTY_ROOT;
      else if (end - begin === 1) hash = this.leaves[begin]!;
      else {
        const k = largestPowerOfTwoBelow(end - begin);
        hash = hashChildren(this.mth([begin, begin + k]), this.mth([begin + k, end]));
      }
      this.memo.set(key, hash);
    }
    return hash;
  }

  /** The subtrees of PATH(m, D[n]). */
  path(m: number, n: number): Range[] {
    return pathIn(m, 0, n);
  }

  /** The subtrees of PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
  proof(m: number, n: number): Range[] {
    return subproofIn(m, 0, n, true);
  }

  hashes(ranges: readonly Range[]): Uint8Array[] {
    return ranges.map((range) => this.mth(range));
  }
}

/** PATH(m, D[begin:end]), m relative to begin. */
function pathIn(m: number, begin: number, end: number): Range[] {
  if (end - begin === 1) return [];
  const k = largestPowerOfTwoBelow(end - begin);
  if (m < k) return [...pathIn(m, begin, begin + k), [begin + k, end]];
  return [...pathIn(m - k, begin + k, end), [begin, begin + k]];
}

/** SUBPROOF(m, D[begin:end], b), m relative to begin. */
function subproofIn(m: number, begin: number, end: number, whole: boolean): Range[] {
  if (m === end - begin) return whole ? [] : [[begin, end]];
  const k = largestPowerOfTwoBelow(end - begin);
  if (m <= k) return [...subproofIn(m, begin, begin + k, whole), [begin + k, end]];
  return [...subproofIn(m - k, begin + k, end, false), [begin, begin + k]];
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const nodeRange = (node: NodeId): Range => [node.index * 2 ** node.height, (node.index + 1) * 2 ** node.height];

/** The leaves a proof step covers, or [NaN, NaN] if its parts are not contiguous. */
function stepRange(step: ProofStep): Range {
  const ranges = step.map(nodeRange);
  const contiguous = ranges.slice(1).every((range, i) => range[0] === ranges[i]![1]);
  return contiguous ? [ranges[0]![0], ranges[ranges.length - 1]![1]] : [NaN, NaN];
}

/** Every perfect subtree inside the first `size` leaves. */
function perfectNodes(size: number): NodeId[] {
  const nodes: NodeId[] = [];
  for (let height = 0; 2 ** height <= size; height++) {
    for (let index = 0; (index + 1) * 2 ** height <= size; index++) nodes.push({ height, index });
  }
  return nodes;
}

/** A tree kept as the stores keep it: tiles upserted by key, the edge read back before each append. */
class MemoryTiles {
  readonly tiles = new Map<string, Uint8Array>();
  size = 0;
  root: Uint8Array = EMPTY_ROOT;

  append(leaves: readonly Uint8Array[]): void {
    const edge = edgeFromTiles(this.size, this.pick(edgeTileKeys(this.size)));
    const outcome = appendLeaves(this.size, edge, leaves);
    for (const write of outcome.writes) this.tiles.set(tileKeyString(write), write.hashes.slice());
    this.size = outcome.size;
    this.root = outcome.root;
  }

  readonly readTiles: ReadTiles = async (keys) => this.pick(keys);

  private pick(keys: readonly TileKey[]): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    for (const key of keys) {
      const tile = this.tiles.get(tileKeyString(key));
      if (tile) out.set(tileKeyString(key), tile);
    }
    return out;
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hexes = (list: readonly Uint8Array[]): string[] => list.map(hex);
const leafHashes = (count: number): Uint8Array[] => Array.from({ length: count }, (_, i) => hashLeaf(`leaf ${i}`));

/**
 * Checks that a proof from tiles equals the reference proof and verifies; returns a description
 * of the first difference, or '' (assertions are collected, since vitest's matchers are slow in loops).
 */
async function inclusionMismatch(tree: MemoryTiles, ref: ReferenceTree, index: number, size: number): Promise<string> {
  const proof = await inclusionProof(tree.readTiles, index, size);
  if (hexes(proof).join() !== hexes(ref.hashes(ref.path(index, size))).join()) return `inclusion ${index}/${size}`;
  verifyInclusion(index, size, ref.mth([index, index + 1]), proof, ref.mth([0, size]));
  return '';
}

async function consistencyMismatch(tree: MemoryTiles, ref: ReferenceTree, size1: number, size2: number): Promise<string> {
  const proof = await consistencyProof(tree.readTiles, size1, size2);
  if (hexes(proof).join() !== hexes(ref.hashes(ref.proof(size1, size2))).join()) return `consistency ${size1}->${size2}`;
  verifyConsistency(size1, size2, proof, ref.mth([0, size1]), ref.mth([0, size2]));
  return '';
}

/** Collects the non-empty results of checks. */
class Mismatches {
  readonly found: string[] = [];
  add(result: string): void {
    if (result) this.found.push(result);
  }
}

describe('which nodes, against the reference PATH and PROOF', () => {
  it('selects the reference subtrees for every proof of every tree of 1..300 leaves', () => {
    const ref = new ReferenceTree([]);
    const same = (steps: ProofStep[], ranges: Range[]) => JSON.stringify(steps.map(stepRange)) === JSON.stringify(ranges);
    const bad = new Mismatches();
    for (let n = 1; n <= 300; n++) {
      for (let i = 0; i < n; i++) bad.add(same(inclusionNodes(i, n), ref.path(i, n)) ? '' : `inclusion ${i}/${n}`);
      for (let m = 1; m <= n; m++) bad.add(same(consistencyNodes(m, n), ref.proof(m, n)) ? '' : `consistency ${m}->${n}`);
    }
    expect(bad.found).toEqual([]);
  });
});

describe('appendLeaves and tiles, against the reference tree', () => {
  const leaves = leafHashes(2100);
  const ref = new ReferenceTree(leaves);

  it('gives the reference root at every size 1..300, one leaf at a time, and rootAt agrees', async () => {
    const tree = new MemoryTiles();
    for (let n = 1; n <= 300; n++) {
      tree.append(leaves.slice(n - 1, n));
      expect(hex(tree.root)).toBe(hex(ref.mth([0, n])));
      expect(hex(await rootAt(tree.readTiles, n))).toBe(hex(ref.mth([0, n])));
    }
  });

  it('gives the same roots and the same tiles whatever the chunk sizes', () => {
    const whole = new MemoryTiles();
    whole.append(leaves);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 12 }), (chunks) => {
        const tree = new MemoryTiles();
        for (const chunk of chunks) {
          const end = Math.min(tree.size + chunk, leaves.length);
          tree.append(leaves.slice(tree.size, end));
          expect(hex(tree.root)).toBe(hex(ref.mth([0, end])));
        }
        for (const [key, tile] of tree.tiles) {
          expect(hex(tile), key).toBe(hex(whole.tiles.get(key)!.subarray(0, tile.length)));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('holds every node of the tree at every size 1..300 in tiles long enough', () => {
    const tree = new MemoryTiles();
    const bad = new Mismatches();
    for (let n = 1; n <= 300; n++) {
      tree.append(leaves.slice(n - 1, n));
      for (const node of perfectNodes(n)) {
        const { key, offset, count } = nodeSource(node);
        const stored = tree.tiles.get(tileKeyString(key))?.length ?? 0;
        bad.add(stored >= (offset + count) * 32 ? '' : `node ${node.height}/${node.index} at size ${n}`);
      }
    }
    expect(bad.found).toEqual([]);
  });

  it('hashes every perfect subtree of a 2,100-leaf tree (two tile levels) from its tiles', () => {
    const tree = new MemoryTiles();
    tree.append(leaves);
    const bad = new Mismatches();
    for (const node of perfectNodes(2100)) {
      bad.add(hex(nodeHash(tree.tiles, node)) === hex(ref.mth(nodeRange(node))) ? '' : `${node.height}/${node.index}`);
    }
    expect(bad.found).toEqual([]);
  });

  it('says how long each tile is at every size, as the tiles appended to that size are', () => {
    const tree = new MemoryTiles();
    const bad = new Mismatches();
    for (let n = 1; n <= 2100; n++) {
      tree.append(leaves.slice(n - 1, n));
      for (const key of [0, 1, 2].flatMap((level) => [0, 1, 2, 8, 9].map((index) => ({ level, index })))) {
        const stored = (tree.tiles.get(tileKeyString(key))?.length ?? 0) / 32;
        bad.add(tileWidth(n, key) === stored ? '' : `${tileKeyString(key)} at size ${n}`);
      }
    }
    expect(bad.found).toEqual([]);
  });

  it('appends nothing when given no leaves', () => {
    const tree = new MemoryTiles();
    tree.append(leaves.slice(0, 5));
    const outcome = appendLeaves(5, edgeFromTiles(5, tree.tiles), []);
    expect(outcome).toMatchObject({ size: 5, writes: [] });
    expect(hex(outcome.root)).toBe(hex(ref.mth([0, 5])));
  });
});

describe('proofs from tiles, end to end against the reference tree', () => {
  it('every inclusion and consistency proof of every tree of 1..64 leaves, from the tiles of that size', async () => {
    const leaves = leafHashes(64);
    const ref = new ReferenceTree(leaves);
    const tree = new MemoryTiles();
    const bad = new Mismatches();
    for (let n = 1; n <= 64; n++) {
      tree.append(leaves.slice(n - 1, n));
      for (let i = 0; i < n; i++) bad.add(await inclusionMismatch(tree, ref, i, n));
      for (let m = 1; m <= n; m++) bad.add(await consistencyMismatch(tree, ref, m, n));
    }
    expect(bad.found).toEqual([]);
  });

  it('proofs at the edges of tiles for every tree of 65..300 leaves, from the tiles of that size', async () => {
    const leaves = leafHashes(300);
    const ref = new ReferenceTree(leaves);
    const tree = new MemoryTiles();
    tree.append(leaves.slice(0, 64));
    const edges = [0, 1, 127, 128, 129, 254, 255, 256, 257];
    const bad = new Mismatches();
    for (let n = 65; n <= 300; n++) {
      tree.append(leaves.slice(n - 1, n));
      const picks = [...edges, n - 2, n - 1, n].filter((x) => x >= 0 && x <= n);
      for (const i of picks.filter((x) => x < n)) bad.add(await inclusionMismatch(tree, ref, i, n));
      for (const m of picks.filter((x) => x > 0)) bad.add(await consistencyMismatch(tree, ref, m, n));
    }
    expect(bad.found).toEqual([]);
  });

  it('random proofs at earlier sizes of a 65,539-leaf tree (three tile levels)', async () => {
    const leaves = leafHashes(65_539);
    const ref = new ReferenceTree(leaves);
    const tree = new MemoryTiles();
    tree.append(leaves);
    const size = fc.constantFrom(1, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 65_539);
    await fc.assert(
      fc.asyncProperty(fc.oneof(size, fc.integer({ min: 1, max: 65_539 })), fc.nat(), fc.nat(), async (n, i, m) => {
        expect(await inclusionMismatch(tree, ref, i % n, n)).toBe('');
        expect(await consistencyMismatch(tree, ref, (m % n) + 1, n)).toBe('');
      }),
      { numRuns: 150 },
    );
  });
});
