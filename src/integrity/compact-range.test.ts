import { describe, expect, it } from 'vitest';
import { CompactRange } from './compact-range.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hash.js';

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
