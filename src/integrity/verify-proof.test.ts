import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProofError } from './errors.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hash.js';
import { consistencyNodes, inclusionNodes, type ProofStep } from './proof-nodes.js';
import { rootFromInclusionProof, verifyConsistency, verifyInclusion, type HashChildren } from './verify-proof.js';

/**
 * Verification checked two ways: symbolically, at any size up to 2^53 − 1, with a "hash" that is
 * the range of leaves a node covers and that only combines two ranges the way an RFC 9162 tree
 * does; and with SHA-256 on small trees, where every mutation of a valid proof must be refused.
 */

const MAX = Number.MAX_SAFE_INTEGER;
const TAG = 0x5e;

/** A symbolic hash: the 32-byte encoding of the leaves [begin, end) of an RFC 9162 subtree. */
function sym(begin: number, end: number): Uint8Array {
  const bytes = new Uint8Array(32).fill(TAG, 16);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, begin);
  view.setFloat64(8, end);
  return bytes;
}

function unsym(bytes: Uint8Array): [number, number] | null {
  if (bytes.length !== 32 || bytes.subarray(16).some((x) => x !== TAG)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return [view.getFloat64(0), view.getFloat64(8)];
}

const POISON = new Uint8Array(32);

/**
 * HASH(0x01 || left || right), symbolically: the union of two adjacent ranges, if they are the two
 * children of an RFC 9162 node (the left one is the largest power of two below their total size,
 * and aligned to twice that); anything else poisons the result.
 */
const symHash: HashChildren = (left, right) => {
  const l = unsym(left);
  const r = unsym(right);
  if (!l || !r || l[1] !== r[0]) return POISON;
  let k = 1;
  while (k * 2 < r[1] - l[0]) k *= 2;
  if (l[1] - l[0] !== k || l[0] % (2 * k) !== 0) return POISON;
  return sym(l[0], r[1]);
};

/** The symbolic hash of each step: its parts folded from the right with symHash. */
const symProof = (steps: readonly ProofStep[]): Uint8Array[] =>
  steps.map((step) =>
    step
      .map((node) => sym(node.index * 2 ** node.height, (node.index + 1) * 2 ** node.height))
      .reduceRight((right, left) => symHash(left, right)),
  );

const sizeAndLeaf = fc
  .tuple(fc.integer({ min: 1, max: MAX }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([size, at]) => [size, Math.min(size - 1, Math.floor(at * size))] as const);

const twoSizes = fc
  .tuple(fc.integer({ min: 1, max: MAX }), fc.integer({ min: 1, max: MAX }))
  .filter(([x, y]) => x !== y)
  .map(([x, y]): [number, number] => (x < y ? [x, y] : [y, x]));

describe('symbolic verification of the proofs proof-nodes selects', () => {
  it('verifies every proof of every tree of 1..128 leaves', () => {
    for (let size = 1; size <= 128; size++) {
      for (let leaf = 0; leaf < size; leaf++) {
        verifyInclusion(leaf, size, sym(leaf, leaf + 1), symProof(inclusionNodes(leaf, size)), sym(0, size), symHash);
      }
      for (let old = 1; old <= size; old++) {
        verifyConsistency(old, size, symProof(consistencyNodes(old, size)), sym(0, old), sym(0, size), symHash);
      }
    }
  });

  it('verifies inclusion at any size below 2^53, and refuses it for a neighbouring leaf', () => {
    fc.assert(
      fc.property(sizeAndLeaf, ([size, leaf]) => {
        const proof = symProof(inclusionNodes(leaf, size));
        verifyInclusion(leaf, size, sym(leaf, leaf + 1), proof, sym(0, size), symHash);
        const other = leaf === 0 ? 1 : leaf - 1;
        if (other < size) {
          expect(() => verifyInclusion(other, size, sym(other, other + 1), proof, sym(0, size), symHash)).toThrow(ProofError);
        }
      }),
    );
  });

  it('verifies consistency at any sizes below 2^53, and refuses it for other sizes', () => {
    fc.assert(
      fc.property(twoSizes, ([size1, size2]) => {
        const proof = symProof(consistencyNodes(size1, size2));
        verifyConsistency(size1, size2, proof, sym(0, size1), sym(0, size2), symHash);
        expect(() => verifyConsistency(size1, size2 + 1, proof, sym(0, size1), sym(0, size2 + 1), symHash)).toThrow(ProofError);
        if (size1 > 1) {
          expect(() => verifyConsistency(size1 - 1, size2, proof, sym(0, size1 - 1), sym(0, size2), symHash)).toThrow(ProofError);
        }
      }),
    );
  });
});

describe('verification with SHA-256', () => {
  // Leaves d0…d6 of a 7-leaf tree and the hashes of its subtrees, computed by hand from RFC 9162.
  const leaf = [0, 1, 2, 3, 4, 5, 6].map((x) => hashLeaf(`d${x}`));
  const node = (x: Uint8Array, y: Uint8Array) => hashChildren(x, y);
  const g = node(leaf[0]!, leaf[1]!);
  const h = node(leaf[2]!, leaf[3]!);
  const i = node(leaf[4]!, leaf[5]!);
  const k = node(g, h);
  const l = node(i, leaf[6]!);
  const root7 = node(k, l);

  it('computes the root from an inclusion proof', () => {
    expect(rootFromInclusionProof(3, 7, leaf[3]!, [leaf[2]!, g, l])).toEqual(root7);
    expect(rootFromInclusionProof(6, 7, leaf[6]!, [i, k])).toEqual(root7);
    expect(rootFromInclusionProof(0, 1, leaf[0]!, [])).toEqual(leaf[0]);
  });

  it('verifies consistency by hand-computed proofs, equal sizes and the empty tree', () => {
    verifyConsistency(3, 7, [leaf[2]!, leaf[3]!, g, l], node(g, leaf[2]!), root7);
    verifyConsistency(4, 7, [l], k, root7);
    verifyConsistency(6, 7, [i, leaf[6]!, k], node(k, i), root7);
    verifyConsistency(7, 7, [], root7, root7);
    verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT);
  });

  /** Every single-bit change (every 37th bit), and every dropped, repeated or swapped hash. */
  function mutations(proof: Uint8Array[]): Uint8Array[][] {
    const out: Uint8Array[][] = [];
    for (let x = 0; x < proof.length; x++) {
      for (let bit = 0; bit < 256; bit += 37) {
        const flipped = Uint8Array.from(proof[x]!);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        out.push(proof.with(x, flipped));
      }
      out.push(proof.toSpliced(x, 1), proof.toSpliced(x, 0, proof[x]!));
      if (x > 0) out.push(proof.with(x, proof[x - 1]!).with(x - 1, proof[x]!));
    }
    return out;
  }

  it('refuses every mutation of a valid proof', () => {
    for (const mutated of mutations([leaf[2]!, g, l])) {
      expect(() => verifyInclusion(3, 7, leaf[3]!, mutated, root7)).toThrow(ProofError);
    }
    for (const mutated of mutations([leaf[2]!, leaf[3]!, g, l])) {
      expect(() => verifyConsistency(3, 7, mutated, node(g, leaf[2]!), root7)).toThrow(ProofError);
    }
    for (const mutated of mutations([i, leaf[6]!, k])) {
      expect(() => verifyConsistency(6, 7, mutated, node(k, i), root7)).toThrow(ProofError);
    }
  });

  it('names the input at fault', () => {
    const fault = (run: () => void): string | undefined => {
      try {
        run();
      } catch (error) {
        return (error as ProofError).field;
      }
      return undefined;
    };
    expect(fault(() => verifyInclusion(3, 7, leaf[3]!, [leaf[2]!, g, l], root7))).toBeUndefined();
    expect(fault(() => verifyInclusion(7, 7, leaf[3]!, [leaf[2]!, g, l], root7))).toBe('leafIndex');
    expect(fault(() => verifyInclusion(3, 2 ** 53, leaf[3]!, [], root7))).toBe('treeSize');
    expect(fault(() => verifyInclusion(3, 7, leaf[3]!.subarray(1), [leaf[2]!, g, l], root7))).toBe('leafHash');
    expect(fault(() => verifyInclusion(3, 7, leaf[3]!, [leaf[2]!, g.subarray(2), l], root7))).toBe('proof[1]');
    expect(fault(() => verifyInclusion(3, 7, leaf[3]!, [leaf[2]!, g], root7))).toBe('proof');
    expect(fault(() => verifyInclusion(3, 7, leaf[3]!, [leaf[2]!, g, l], k))).toBe('root');
    expect(fault(() => verifyConsistency(3, 7, [leaf[2]!, leaf[3]!, g, l], g, root7))).toBe('root1');
    expect(fault(() => verifyConsistency(4, 7, [l], k, g))).toBe('root2');
    expect(fault(() => verifyConsistency(0, 7, [], EMPTY_ROOT, root7))).toBe('size1');
    expect(fault(() => verifyConsistency(7, 7, [l], root7, root7))).toBe('proof');
  });
});
