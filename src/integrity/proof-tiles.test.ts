import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProofError } from './errors.js';
import { EMPTY_ROOT, hashLeaf } from './hash.js';
import { consistencyNodes, inclusionNodes } from './proof-nodes.js';
import { BoundedCache } from '../domain/bounded-cache.js';
import { consistencyProof, inclusionProof, nodeHash, nodeSource, rootAt, tileKeysFor, tileTree, type ReadTiles, type TileMemo } from './proof-tiles.js';
import { appendLeaves, perfectRoot, tileKeyString, type TileKey } from './tiles.js';

const MAX = Number.MAX_SAFE_INTEGER;

describe('nodeSource', () => {
  it('finds a node in the tile level of its height, as the perfect root of 2^(h mod 8) hashes', () => {
    expect(nodeSource({ height: 0, index: 5 })).toEqual({ key: { level: 0, index: 0 }, offset: 5, count: 1 });
    expect(nodeSource({ height: 0, index: 300 })).toEqual({ key: { level: 0, index: 1 }, offset: 44, count: 1 });
    expect(nodeSource({ height: 3, index: 2 })).toEqual({ key: { level: 0, index: 0 }, offset: 16, count: 8 });
    expect(nodeSource({ height: 7, index: 3 })).toEqual({ key: { level: 0, index: 1 }, offset: 128, count: 128 });
    expect(nodeSource({ height: 8, index: 3 })).toEqual({ key: { level: 1, index: 0 }, offset: 3, count: 1 });
    expect(nodeSource({ height: 15, index: 1 })).toEqual({ key: { level: 1, index: 0 }, offset: 128, count: 128 });
    expect(nodeSource({ height: 16, index: 0 })).toEqual({ key: { level: 2, index: 0 }, offset: 0, count: 1 });
  });

  it('stays exact up to 2^53 leaves', () => {
    expect(nodeSource({ height: 0, index: MAX - 1 })).toEqual({
      key: { level: 0, index: Math.floor((MAX - 1) / 256) },
      offset: 254,
      count: 1,
    });
    expect(nodeSource({ height: 52, index: 1 })).toEqual({ key: { level: 6, index: 0 }, offset: 16, count: 16 });
    expect(nodeSource({ height: 33, index: 2 ** 19 + 1 })).toEqual({ key: { level: 4, index: 4096 }, offset: 2, count: 2 });
  });
});

describe('tileKeysFor', () => {
  const levels = (size: number) => Math.floor(Math.log2(size) / 8) + 1;

  it('needs at most two tiles per tile level for any proof, at any size below 2^53', () => {
    const sizes = fc.tuple(fc.integer({ min: 1, max: MAX }), fc.integer({ min: 1, max: MAX }));
    fc.assert(
      fc.property(sizes, ([x, y]) => {
        const [small, large] = x <= y ? [x, y] : [y, x];
        expect(tileKeysFor(inclusionNodes(small - 1, large)).length).toBeLessThanOrEqual(2 * levels(large));
        expect(tileKeysFor(consistencyNodes(small, large)).length).toBeLessThanOrEqual(2 * levels(large));
      }),
      { numRuns: 500 },
    );
  });

  it('lists each tile once', () => {
    const keys = tileKeysFor(inclusionNodes(1000, 70_000)).map(tileKeyString);
    expect(new Set(keys).size).toBe(keys.length);
    // The leaf's tile and the right edge's partial tile at level 0; the path's tile and the
    // right edge's at level 1 (70,000 = 65,536 + 4,096 + 256 + 112).
    expect(keys.sort()).toEqual(['0/3', '0/273', '1/0', '1/1'].sort());
  });
});

describe('proofs from a tile reader', () => {
  const leaves = Array.from({ length: 600 }, (_, i) => hashLeaf(`leaf ${i}`));
  const grown = appendLeaves(0, new Map(), leaves);
  const stored = new Map(grown.writes.map((w) => [tileKeyString(w), w.hashes]));

  /** A reader over `tiles` that records every call. */
  function reader(tiles: ReadonlyMap<string, Uint8Array>): ReadTiles & { calls: TileKey[][] } {
    const calls: TileKey[][] = [];
    const read = async (keys: TileKey[]) => {
      calls.push(keys);
      return new Map(keys.flatMap((k) => (tiles.has(tileKeyString(k)) ? [[tileKeyString(k), tiles.get(tileKeyString(k))!]] : [])));
    };
    return Object.assign(read, { calls });
  }

  it('reads all the tiles a proof needs in one call', async () => {
    const read = reader(stored);
    await inclusionProof(read, 3, 600);
    await consistencyProof(read, 300, 600);
    await rootAt(read, 599);
    expect(read.calls.map((keys) => keys.map(tileKeyString).sort())).toEqual([
      ['0/0', '0/2', '1/0'],
      ['0/1', '0/2', '1/0'],
      ['0/2', '1/0'],
    ]);
  });

  it('rejects an impossible request with ProofError before reading anything', async () => {
    const read = reader(stored);
    await expect(inclusionProof(read, 600, 600)).rejects.toThrow(ProofError);
    await expect(consistencyProof(read, 0, 600)).rejects.toThrow(ProofError);
    await expect(consistencyProof(read, 601, 600)).rejects.toThrow(ProofError);
    await expect(rootAt(read, -1)).rejects.toThrow(ProofError);
    expect(read.calls).toEqual([]);
  });

  it('needs no tiles for the empty tree, a one-leaf tree or equal sizes', async () => {
    const read = reader(new Map());
    expect(await rootAt(read, 0)).toEqual(EMPTY_ROOT);
    expect(await inclusionProof(read, 0, 1)).toEqual([]);
    expect(await consistencyProof(read, 5, 5)).toEqual([]);
  });

  it('fails loudly when a tile is missing or shorter than the tree size needs', async () => {
    const missing = new Map(stored);
    missing.delete('0/1');
    await expect(inclusionProof(reader(missing), 300, 600)).rejects.toThrow(/merkle tile 0\/1 missing or short/);
    const short = new Map(stored);
    short.set('0/2', stored.get('0/2')!.subarray(0, 32 * 10));
    await expect(rootAt(reader(short), 600)).rejects.toThrow(/merkle tile 0\/2 missing or short/);
    expect(() => nodeHash(short, { height: 3, index: 65 })).toThrow(/node 3\/65/);
  });

  it('hashes a node as the perfect root of its slice of the tile', () => {
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    expect(hex(nodeHash(stored, { height: 2, index: 70 }))).toBe(hex(perfectRoot(leaves.slice(280, 284))));
    expect(hex(nodeHash(stored, { height: 8, index: 1 }))).toBe(hex(perfectRoot(leaves.slice(256, 512))));
    expect(hex(nodeHash(stored, { height: 0, index: 599 }))).toBe(hex(leaves[599]!));
  });
});

describe('tile trees remembered between proofs', () => {
  const leaves = Array.from({ length: 70_000 }, (_, i) => hashLeaf(`leaf ${i}`));
  /** The stored tiles of the tree of the first `size` leaves. */
  function tilesOf(size: number): Map<string, Uint8Array> {
    return new Map(appendLeaves(0, new Map(), leaves.slice(0, size)).writes.map((w) => [tileKeyString(w), w.hashes]));
  }
  const readerOf = (tiles: ReadonlyMap<string, Uint8Array>): ReadTiles => async (keys) =>
    new Map(keys.flatMap((k) => (tiles.has(tileKeyString(k)) ? [[tileKeyString(k), tiles.get(tileKeyString(k))!] as const] : [])));

  const bound = (memo: BoundedCache<string, Uint8Array[]>): TileMemo => ({
    get: (key) => memo.get(key),
    set: (key, tree) => memo.set(key, tree),
    delete: (key) => memo.delete(key),
  });

  it('hold every complete node of a tile, row by row', () => {
    const tile = tilesOf(600).get('0/2')!; // 88 hashes
    const rows = tileTree(tile);
    expect(rows.map((r) => r.length / 32)).toEqual([88, 44, 22, 11, 5, 2, 1]);
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    expect(hex(rows[3]!.subarray(32 * 10, 32 * 11))).toBe(hex(perfectRoot(leaves.slice(512 + 80, 512 + 88))));
    expect(hex(rows[6]!)).toBe(hex(perfectRoot(leaves.slice(512, 576))));
  });

  it('give the same proofs and roots as the tiles alone, while the tree grows and its partial tiles widen', async () => {
    const hex = (hashes: Uint8Array[]) => hashes.map((h) => Buffer.from(h).toString('hex'));
    const memo = new BoundedCache<string, Uint8Array[]>(512);
    const random = fc.sample(fc.integer({ min: 0, max: 2 ** 31 }), 200);
    for (const size of [600, 601, 65_536, 65_537, 66_000, 70_000]) {
      const read = readerOf(tilesOf(size));
      for (const r of random.slice(0, 40)) {
        const leaf = r % size;
        const older = 1 + (r % size);
        expect(hex(await inclusionProof(read, leaf, size, memo))).toEqual(hex(await inclusionProof(read, leaf, size)));
        expect(hex(await consistencyProof(read, older, size, memo))).toEqual(hex(await consistencyProof(read, older, size)));
        expect(hex([await rootAt(read, older, memo)])).toEqual(hex([await rootAt(read, older)]));
      }
    }
  });

  it('are kept for tiles above level 0 and the partial tile at level 0, one per tile, but not for full level-0 tiles', async () => {
    const remembered: string[] = [];
    const memo = new BoundedCache<string, Uint8Array[]>(512);
    const spy = { ...bound(memo), set: (key: string, tree: Uint8Array[]) => (remembered.push(key), memo.set(key, tree)) };
    const read = readerOf(tilesOf(70_000));
    await inclusionProof(read, 1000, 70_000, spy);
    await rootAt(read, 70_000, spy);
    await rootAt(read, 70_000, spy);
    // 70,000 = 273 full level-0 tiles and 112 leaves; level 1: one full tile and 17 nodes; the
    // level-2 tile's one node needs no hashing.
    expect(remembered.sort()).toEqual(['0/273', '1/0', '1/1']);
  });

  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  const rowsHex = (rows: Uint8Array[]) => rows.map(hex);

  it('widen with their tile: only the nodes over new hashes are hashed, the others copied', () => {
    const narrow = tilesOf(600).get('0/2')!; // 88 hashes
    const wide = tilesOf(700).get('0/2')!; // 188 hashes
    const from = tileTree(narrow);
    expect(rowsHex(tileTree(wide, from))).toEqual(rowsHex(tileTree(wide)));
    // Copied, not hashed again: a node planted in the narrower tree's upper rows comes through.
    const planted = from.map((row) => row.slice());
    planted[3]!.fill(7, 0, 32);
    expect(hex(tileTree(wide, planted)[3]!.subarray(0, 32))).toBe('07'.repeat(32));
    // The rows above are then made of copied nodes and of new ones over the wider tile's hashes.
    expect(rowsHex(tileTree(wide, planted).slice(4))).toEqual(rowsHex(tileTree(wide).slice(4)));
  });

  it('are made again from the tile when it no longer begins with the hashes they were made of', async () => {
    const size = 600;
    const honest = tilesOf(size);
    const memo = new BoundedCache<string, Uint8Array[]>(512);
    await consistencyProof(readerOf(honest), 520, size, memo); // remembers the trees of 0/2 and 1/0
    // Leaf 530's hash rewritten in its tile, as someone with access to the store could.
    const forged = new Map(honest);
    const tile = honest.get('0/2')!.slice();
    tile.set(hashLeaf('forged'), (530 - 512) * 32);
    forged.set('0/2', tile);
    const withMemo = await consistencyProof(readerOf(forged), 520, size, memo);
    expect(rowsHex(withMemo)).toEqual(rowsHex(await consistencyProof(readerOf(forged), 520, size)));
    expect(rowsHex(withMemo)).not.toEqual(rowsHex(await consistencyProof(readerOf(honest), 520, size)));
    expect(rowsHex(memo.get('0/2')!)).toEqual(rowsHex(tileTree(tile)));
  });

  it('serve a level-0 tile that has filled once more, then are let go', async () => {
    const memo = new BoundedCache<string, Uint8Array[]>(512);
    await rootAt(readerOf(tilesOf(600)), 600, memo); // tile 0/2 partial, 88 hashes: kept
    expect(memo.get('0/2')).toBeDefined();
    const full = readerOf(tilesOf(800)); // tile 0/2 now full
    expect(rowsHex(await consistencyProof(full, 600, 800, memo))).toEqual(rowsHex(await consistencyProof(full, 600, 800)));
    expect(memo.get('0/2')).toBeUndefined();
  });

  it('serve a narrower read of the same tile (a server behind) without being replaced', async () => {
    const memo = new BoundedCache<string, Uint8Array[]>(512);
    await rootAt(readerOf(tilesOf(700)), 700, memo);
    const wider = memo.get('0/2')!;
    const older = readerOf(tilesOf(600));
    expect(hex(await rootAt(older, 600, memo))).toBe(hex(await rootAt(older, 600)));
    expect(memo.get('0/2')).toBe(wider);
  });
});
