import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProofError } from './errors.js';
import { consistencyNodes, inclusionNodes, subtreeNodes, type NodeId, type ProofStep } from './proof-nodes.js';

const MAX = Number.MAX_SAFE_INTEGER;
const n = (height: number, index: number): NodeId => ({ height, index });

/** [begin, end) of the leaves under a step, checking that its parts are contiguous. */
function stepRange(step: ProofStep): [number, number] {
  const ranges = step.map((node) => [node.index * 2 ** node.height, (node.index + 1) * 2 ** node.height] as const);
  ranges.slice(1).forEach((range, i) => expect(range[0]).toBe(ranges[i]![1]));
  return [ranges[0]![0], ranges[ranges.length - 1]![1]];
}

/** Checks that `ranges` tile [0, size) exactly, without gaps or overlaps. */
function expectPartition(ranges: [number, number][], size: number): void {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [begin, end] of sorted) {
    expect(begin).toBe(next);
    expect(end).toBeGreaterThan(begin);
    next = end;
  }
  expect(next).toBe(size);
}

const isPowerOfTwo = (x: number): boolean => 2 ** Math.round(Math.log2(x)) === x;

describe('subtreeNodes', () => {
  it('splits a right edge into perfect subtrees, largest first', () => {
    expect(subtreeNodes(4, 7)).toEqual([n(1, 2), n(0, 6)]);
    expect(subtreeNodes(0, 8)).toEqual([n(3, 0)]);
    expect(subtreeNodes(256, 256 + 255)).toEqual([7, 6, 5, 4, 3, 2, 1, 0].map((h) => n(h, (256 + 256 - 2 ** (h + 1)) / 2 ** h)));
    expect(subtreeNodes(2 ** 52, MAX)).toHaveLength(52);
  });
});

// The 7-leaf example tree of RFC 6962 §2.1.3: a–f and j are leaves 0–6, g h i and k their parents,
// l = MTH(d4 d5 d6) is made of i and j.
const [b, c, d, f, j] = [n(0, 1), n(0, 2), n(0, 3), n(0, 5), n(0, 6)];
const [g, h, i, k] = [n(1, 0), n(1, 1), n(1, 2), n(2, 0)];
const l = [i, j];

describe('inclusionNodes', () => {
  it('gives the audit paths of the RFC 6962 example tree', () => {
    expect(inclusionNodes(0, 7)).toEqual([[b], [h], l]);
    expect(inclusionNodes(3, 7)).toEqual([[c], [g], l]);
    expect(inclusionNodes(4, 7)).toEqual([[f], [j], [k]]);
    expect(inclusionNodes(6, 7)).toEqual([[i], [k]]);
    expect(inclusionNodes(0, 1)).toEqual([]);
  });

  it('stays exact past 2^32 leaves', () => {
    expect(inclusionNodes(2 ** 32, 2 ** 32 + 1)).toEqual([[n(32, 0)]]);
    expect(inclusionNodes(2 ** 31 + 1, 2 ** 33)).toEqual([
      [n(0, 2 ** 31)],
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30].map(
        (height) => [n(height, 2 ** (31 - height) + 1)],
      ),
      [n(31, 0)],
      [n(32, 1)],
    ]);
    const last = inclusionNodes(0, MAX).at(-1)!;
    expect(last.map((node) => node.height)).toEqual(Array.from({ length: 52 }, (_, x) => 51 - x));
  });

  it('with the leaf, covers the whole tree, growing outward one step at a time (any size < 2^53)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), fc.double({ min: 0, max: 1, noNaN: true }), (size, at) => {
        const leaf = Math.min(size - 1, Math.floor(at * size));
        let covered: [number, number] = [leaf, leaf + 1];
        for (const step of inclusionNodes(leaf, size)) {
          const [begin, end] = stepRange(step);
          if (end === covered[0]) covered = [begin, covered[1]];
          else {
            expect(begin).toBe(covered[1]);
            covered = [covered[0], end];
          }
        }
        expect(covered).toEqual([0, size]);
      }),
    );
  });

  it('refuses a leaf outside the tree or a size that is not a safe integer', () => {
    for (const [leaf, size, field] of [
      [3, 3, 'leafIndex'],
      [0, 0, 'leafIndex'],
      [-1, 3, 'leafIndex'],
      [0.5, 3, 'leafIndex'],
      [0, 2 ** 53, 'treeSize'],
      [0, Number.NaN, 'treeSize'],
    ] as const) {
      expect(() => inclusionNodes(leaf, size)).toThrow(expect.objectContaining({ name: 'ProofError', field }));
    }
  });
});

describe('consistencyNodes', () => {
  it('gives the consistency proofs of the RFC 6962 example tree', () => {
    expect(consistencyNodes(3, 7)).toEqual([[c], [d], [g], l]);
    expect(consistencyNodes(4, 7)).toEqual([l]);
    expect(consistencyNodes(6, 7)).toEqual([[i], [j], [k]]);
    expect(consistencyNodes(7, 7)).toEqual([]);
    expect(consistencyNodes(0, 0)).toEqual([]);
  });

  it('covers the new tree, and separately the old one, with the old root where it is a power of two (any size < 2^53)', () => {
    const sizes = fc
      .tuple(fc.integer({ min: 1, max: MAX }), fc.integer({ min: 1, max: MAX }))
      .map(([x, y]): [number, number] => (x <= y ? [x, y] : [y, x]));
    fc.assert(
      fc.property(sizes, ([size1, size2]) => {
        const ranges = consistencyNodes(size1, size2).map(stepRange);
        if (size1 === size2) {
          expect(ranges).toEqual([]);
          return;
        }
        const old: [number, number][] = isPowerOfTwo(size1) ? [[0, size1]] : [];
        expectPartition([...old, ...ranges], size2);
        expectPartition([...old, ...ranges.filter(([, end]) => end <= size1)], size1);
      }),
    );
  });

  it('refuses sizes out of order, a proof from the empty tree, and unsafe sizes', () => {
    for (const [size1, size2, field] of [
      [5, 4, 'size1'],
      [0, 4, 'size1'],
      [1, 2 ** 53, 'size2'],
      [-1, 4, 'size1'],
    ] as const) {
      expect(() => consistencyNodes(size1, size2)).toThrow(ProofError);
      expect(() => consistencyNodes(size1, size2)).toThrow(expect.objectContaining({ field }));
    }
  });
});
