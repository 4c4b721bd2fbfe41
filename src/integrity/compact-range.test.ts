import { describe, expect, it } from 'vitest';
import { CompactRange } from './compact-range.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hash.js';
import { appendLeaves } from './tiles.js';

/** RFC 9162 MTH, recursively, as the RFC writes it. */
function mth(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

describe('CompactRange', () => {
  it('gives the RFC 9162 root of every prefix it passes through, for every size up to 600', () => {
    const leaves = Array.from({ length: 600 }, (_, i) => hashLeaf(`leaf ${i}`));
    const range = new CompactRange();
    expect(range.root()).toEqual(EMPTY_ROOT);
    leaves.forEach((leaf, i) => {
      range.append(leaf);
      expect(range.size).toBe(i + 1);
      expect(Buffer.from(range.root()).equals(mth(leaves.slice(0, i + 1)))).toBe(true);
    });
  });
});

describe('appendLeaves with the range carried from the previous append', () => {
  it('gives the same roots as without it, for every size up to 600 in uneven chunks', () => {
    const leaves = Array.from({ length: 600 }, (_, i) => hashLeaf(`leaf ${i}`));
    let carried = appendLeaves(0, new Map(), []);
    let size = 0;
    for (let chunk = 1; size < leaves.length; chunk = (chunk * 7) % 13 + 1) {
      const next = leaves.slice(size, size + chunk);
      const withRange = appendLeaves(size, carried.edge, next, carried.range);
      const without = appendLeaves(size, carried.edge, next);
      expect(Buffer.from(withRange.root).equals(Buffer.from(without.root))).toBe(true);
      expect(withRange.range.size).toBe(size + next.length);
      carried = withRange;
      size += next.length;
    }
    expect(Buffer.from(carried.root).equals(Buffer.from(mth(leaves)))).toBe(true);
  });
});
