import { checkCount, differingBits, onesCount, shiftRight, bitAt, trailingZeros } from './bits.js';
import { ProofError } from './errors.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hash.js';

/**
 * RFC 9162 proof verification (§2.1.3.2 inclusion, §2.1.4.2 consistency). Written, like
 * transparency-dev/merkle, from the shape of a proof rather than from the RFC's step list: a proof
 * for leaf i of a tree of n leaves has `inner` hashes below the level where the paths to i and to
 * the last leaf n − 1 meet, then one `border` hash per left sibling above it.
 */

/** RFC 9162 HASH(0x01 || left || right); passed in so that tests can check the structure symbolically. */
export type HashChildren = (left: Uint8Array, right: Uint8Array) => Uint8Array;

/** The root of the tree of `treeSize` leaves that the proof yields for the leaf; throws ProofError. */
export function rootFromInclusionProof(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  hash: HashChildren = hashChildren,
): Uint8Array {
  checkCount('leafIndex', leafIndex);
  checkCount('treeSize', treeSize);
  if (leafIndex >= treeSize) throw new ProofError('leafIndex', `${leafIndex} is not below the tree size ${treeSize}`);
  checkHash('leafHash', leafHash);
  checkProofHashes(proof);
  const { inner, border } = decompose(leafIndex, treeSize);
  checkLength(proof, inner + border, `leaf ${leafIndex} of a tree of ${treeSize}`);
  const below = chainInner(leafHash, proof.slice(0, inner), leafIndex, hash);
  return chainBorder(below, proof.slice(inner), hash);
}

/** Throws ProofError unless `proof` proves leaf `leafIndex` (hash `leafHash`) in the tree with `root`. */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  hash: HashChildren = hashChildren,
): void {
  const computed = rootFromInclusionProof(leafIndex, treeSize, leafHash, proof, hash);
  if (!sameBytes(computed, root)) throw new ProofError('root', 'does not match the root computed from the proof');
}

/**
 * Throws ProofError unless `proof` proves that the tree of `size1` leaves with root `root1` is a
 * prefix of the tree of `size2` leaves with root `root2`. Equal sizes need an empty proof and equal
 * roots (the empty-tree hash for size 0). A proof from size 0 to a larger size is refused: RFC 9162
 * defines none, since every tree extends the empty one.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
  hash: HashChildren = hashChildren,
): void {
  checkCount('size1', size1);
  checkCount('size2', size2);
  if (size1 > size2) throw new ProofError('size1', `${size1} is greater than size2 ${size2}`);
  if (size1 === size2) return verifySameTree(size1, proof, root1, root2);
  if (size1 === 0) throw new ProofError('size1', 'is 0: every tree extends the empty tree, there is nothing to prove');
  checkProofHashes(proof);
  const { seed, inner, border, mask } = splitConsistencyProof(size1, size2, proof, root1);
  const old = chainBorder(chainInnerRight(seed, inner, mask, hash), border, hash);
  if (!sameBytes(old, root1)) throw new ProofError('root1', 'does not match the old root computed from the proof');
  const grown = chainBorder(chainInner(seed, inner, mask, hash), border, hash);
  if (!sameBytes(grown, root2)) throw new ProofError('root2', 'does not match the new root computed from root1 and the proof');
}

/**
 * A consistency proof (0 < size1 < size2) is the tail of the inclusion proof of leaf size1 − 1 in
 * the tree of size2, from the largest perfect subtree the old tree ends with: its hash (the seed)
 * is root1 itself when size1 is a power of two, else the proof's first hash. `mask` says, for each
 * inner hash, whether it is a left sibling (part of the old tree too).
 */
function splitConsistencyProof(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array) {
  const { inner, border } = decompose(size1 - 1, size2);
  const shift = trailingZeros(size1);
  const seedIsRoot1 = size1 === 2 ** shift;
  checkLength(proof, (seedIsRoot1 ? 0 : 1) + inner - shift + border, `sizes ${size1} and ${size2}`);
  const [seed, rest] = seedIsRoot1 ? [root1, proof] : [proof[0]!, proof.slice(1)];
  return {
    seed,
    inner: rest.slice(0, inner - shift),
    border: rest.slice(inner - shift),
    mask: shiftRight(size1 - 1, shift),
  };
}

function verifySameTree(size: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): void {
  if (proof.length > 0) throw new ProofError('proof', 'must be empty when size1 equals size2');
  if (size === 0 && !sameBytes(root1, EMPTY_ROOT)) throw new ProofError('root1', 'is not the empty-tree hash');
  if (!sameBytes(root1, root2)) throw new ProofError('root2', 'differs from root1 although the sizes are equal');
}

/** Sizes of the two parts of the inclusion proof of leaf `index` in a tree of `size` leaves. */
function decompose(index: number, size: number): { inner: number; border: number } {
  const inner = differingBits(index, size - 1);
  return { inner, border: onesCount(shiftRight(index, inner)) };
}

/** Hashes `seed` with the inner proof hashes, on the side that bit i of `index` says. */
function chainInner(seed: Uint8Array, proof: readonly Uint8Array[], index: number, hash: HashChildren): Uint8Array {
  return proof.reduce((acc, p, i) => (bitAt(index, i) === 0 ? hash(acc, p) : hash(p, acc)), seed);
}

/** Like chainInner, but only the left siblings: what the tree of the old size was made of. */
function chainInnerRight(seed: Uint8Array, proof: readonly Uint8Array[], index: number, hash: HashChildren): Uint8Array {
  return proof.reduce((acc, p, i) => (bitAt(index, i) === 1 ? hash(p, acc) : acc), seed);
}

/** Hashes `seed` with the border proof hashes, which are all left siblings. */
function chainBorder(seed: Uint8Array, proof: readonly Uint8Array[], hash: HashChildren): Uint8Array {
  return proof.reduce((acc, p) => hash(p, acc), seed);
}

function checkHash(field: string, value: Uint8Array): void {
  if (value.length !== HASH_SIZE) throw new ProofError(field, `must be ${HASH_SIZE} bytes, got ${value.length}`);
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
}

function checkLength(proof: readonly Uint8Array[], want: number, what: string): void {
  if (proof.length !== want) {
    throw new ProofError('proof', `has length ${proof.length}; ${what} needs ${want}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
