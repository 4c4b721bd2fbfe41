import { checkCount, splitPoint } from './bits.js';
import { ProofError } from './errors.js';

/**
 * Which tree nodes an RFC 9162 proof is made of: index arithmetic only, no hashing (`proof-tiles.ts`
 * hashes them). Exact for trees of up to 2^53 − 1 leaves.
 */

/** A perfect subtree: the 2^height leaves from index·2^height on. */
export interface NodeId {
  readonly height: number;
  readonly index: number;
}

/**
 * One hash of a proof: the RFC 9162 MTH of a subtree, given as the perfect subtrees that make it
 * up, left to right, largest first. There is one part except on the right edge of the tree, where
 * the subtree is not perfect; its MTH is then the parts hashed together from the right:
 * MTH = h(p₀, h(p₁, … h(pₖ₋₁, pₖ))).
 */
export type ProofStep = readonly NodeId[];

/**
 * The perfect subtrees that make up leaves [begin, end), largest first.
 * Precondition: end > begin, and begin is a multiple of a power of two ≥ end − begin, as it is for
 * every subtree of the RFC 9162 recursion.
 */
export function subtreeNodes(begin: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  let height = 0;
  while (2 ** (height + 1) <= end - begin) height++;
  for (let pos = begin; pos < end; height--) {
    const span = 2 ** height;
    if (end - pos < span) continue;
    nodes.push({ height, index: pos / span });
    pos += span;
  }
  return nodes;
}

/**
 * RFC 9162 §2.1.3.1 PATH(leafIndex, D[treeSize]): the subtrees whose hashes prove the leaf's
 * inclusion, in proof order (the leaf's sibling first, the root's child last).
 */
export function inclusionNodes(leafIndex: number, treeSize: number): ProofStep[] {
  checkCount('treeSize', treeSize);
  checkCount('leafIndex', leafIndex);
  if (leafIndex >= treeSize) {
    throw new ProofError('leafIndex', `${leafIndex} is not below the tree size ${treeSize}`);
  }
  // Walk down from the root; each level adds the sibling of the side holding the leaf.
  const steps: ProofStep[] = [];
  let begin = 0;
  let end = treeSize;
  while (end - begin > 1) {
    const mid = begin + splitPoint(end - begin);
    if (leafIndex < mid) {
      steps.push(subtreeNodes(mid, end));
      end = mid;
    } else {
      steps.push(subtreeNodes(begin, mid));
      begin = mid;
    }
  }
  return steps.reverse();
}

/**
 * RFC 9162 §2.1.4.1 PROOF(size1, D[size2]): the subtrees whose hashes prove that the tree of size1
 * leaves is a prefix of the tree of size2 leaves, in proof order. Empty when the sizes are equal.
 * A proof from the empty tree is not defined (RFC 9162 requires 0 < size1) and is refused.
 */
export function consistencyNodes(size1: number, size2: number): ProofStep[] {
  checkCount('size1', size1);
  checkCount('size2', size2);
  if (size1 > size2) throw new ProofError('size1', `${size1} is greater than size2 ${size2}`);
  if (size1 === size2) return [];
  if (size1 === 0) {
    throw new ProofError('size1', 'must be at least 1: every tree extends the empty tree, there is nothing to prove');
  }
  // SUBPROOF(size1, D[begin:end], whole) walked down from the root: `whole` stays true while the
  // old tree is the left edge of the current subtree, whose hash the verifier already has.
  const steps: ProofStep[] = [];
  let begin = 0;
  let end = size2;
  let whole = true;
  while (size1 < end) {
    const mid = begin + splitPoint(end - begin);
    if (size1 <= mid) {
      steps.push(subtreeNodes(mid, end));
      end = mid;
    } else {
      steps.push(subtreeNodes(begin, mid));
      begin = mid;
      whole = false;
    }
  }
  if (!whole) steps.push(subtreeNodes(begin, end));
  return steps.reverse();
}
