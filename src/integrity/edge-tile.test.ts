import { describe, expect, it } from 'vitest';
import { EdgeTile } from './edge-tile.js';
import { hashLeaf } from './hash.js';

const leaves = Array.from({ length: 300 }, (_, i) => hashLeaf(`leaf ${i}`));
const concat = (hashes: readonly Uint8Array[]) => Buffer.concat(hashes);

describe('EdgeTile', () => {
  it('holds the hashes appended to it, in order, one or several at a time', () => {
    let tile = EdgeTile.EMPTY;
    for (let i = 0; i < 200; i += 1 + (i % 3)) {
      const step = leaves.slice(i, i + 1 + (i % 3));
      const before = tile;
      tile = tile.with(concat(step));
      expect(tile.width).toBe(before.width + step.length);
    }
    expect(Buffer.from(tile.hashes).equals(concat(leaves.slice(0, tile.width)))).toBe(true);
  });

  it('never changes a tile once made, even when a second append is made from it', () => {
    const base = EdgeTile.of(concat(leaves.slice(0, 10)));
    const first = base.with(leaves[10]!);
    // The same tile extended again, as after a rolled-back transaction: it must not write over `first`.
    const second = base.with(leaves[20]!);
    expect(Buffer.from(base.hashes).equals(concat(leaves.slice(0, 10)))).toBe(true);
    expect(Buffer.from(first.hashes).equals(concat(leaves.slice(0, 11)))).toBe(true);
    expect(Buffer.from(second.hashes).equals(concat([...leaves.slice(0, 10), leaves[20]!]))).toBe(true);
    // Each goes on growing on its own.
    expect(Buffer.from(first.with(leaves[11]!).hashes).equals(concat(leaves.slice(0, 12)))).toBe(true);
    expect(Buffer.from(second.hashes).equals(concat([...leaves.slice(0, 10), leaves[20]!]))).toBe(true);
  });

  it('holds about the room its hashes take, up to a whole tile', () => {
    let tile = EdgeTile.EMPTY.with(leaves[0]!);
    expect(tile.hashes.buffer.byteLength).toBe(8 * 32);
    for (let i = 1; i < 255; i++) {
      tile = tile.with(leaves[i]!);
      expect(tile.hashes.buffer.byteLength).toBeLessThanOrEqual(Math.max(8, 2 * tile.width) * 32);
    }
    expect(tile.hashes.buffer.byteLength).toBe(256 * 32);
    expect(Buffer.from(tile.hashes).equals(concat(leaves.slice(0, 255)))).toBe(true);
  });

  it('copies what it is made of', () => {
    const bytes = concat(leaves.slice(0, 3));
    const tile = EdgeTile.of(bytes);
    bytes.fill(0);
    expect(Buffer.from(tile.hashes).equals(concat(leaves.slice(0, 3)))).toBe(true);
  });

  it('refuses what is not 0 to 255 whole hashes', () => {
    expect(() => EdgeTile.of(new Uint8Array(33))).toThrow(/0 to 255 hashes/);
    expect(() => EdgeTile.of(concat(leaves.slice(0, 256)))).toThrow(/0 to 255 hashes/);
  });
});
