/**
 * The dashboard's own inclusion-proof check (web/src/merkle.ts, WebCrypto SHA-256), against a
 * deliberately simple recursive RFC 9162 reference and the server's verifier, over every leaf of
 * every tree up to 40 leaves; and refusing proofs that are tampered with or of the wrong length.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashLeaf } from '../src/integrity/hash.js';
import { verifyInclusion as serverVerify } from '../src/integrity/verify-proof.js';
import { fromBase64, leafHash, rootFromInclusionProof, sameBytes } from '../web/src/merkle.js';
import { referenceRoot } from './support/merkle-reference.js';

/** RFC 9162 §2.1.3.1 PATH(m, D[n]), written straight from the definition. */
function referencePath(m: number, leaves: readonly string[]): Buffer[] {
  const n = leaves.length;
  if (n <= 1) return [];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m < k
    ? [...referencePath(m, leaves.slice(0, k)), referenceRoot(leaves.slice(k))]
    : [...referencePath(m - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))];
}

/** Whether the proof leads from the leaf to `root`, as the dashboard decides it. */
async function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): Promise<boolean> {
  return sameBytes(await rootFromInclusionProof(index, size, leaf, proof), root);
}

const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => `event ${i}`);

describe('web/src/merkle.ts', () => {
  it('yields the tree root for every leaf of every tree up to 40 leaves, as the server verifier does', async () => {
    for (let size = 1; size <= 40; size++) {
      const leaves = leavesOf(size);
      const root = referenceRoot(leaves);
      for (let index = 0; index < size; index++) {
        const leaf = hashLeaf(leaves[index]!);
        const proof = referencePath(index, leaves);
        expect(Buffer.from(await rootFromInclusionProof(index, size, leaf, proof))).toEqual(root);
        expect(await verifyInclusion(index, size, leaf, proof, root)).toBe(true);
        expect(() => serverVerify(index, size, leaf, proof, root)).not.toThrow();
      }
    }
  });

  it('refuses a changed leaf, a changed proof hash, a wrong index and a proof of the wrong length', async () => {
    const leaves = leavesOf(13);
    const root = referenceRoot(leaves);
    const leaf = hashLeaf(leaves[6]!);
    const proof = referencePath(6, leaves);
    expect(await verifyInclusion(6, 13, hashLeaf('event 6 (edited)'), proof, root)).toBe(false);
    const flipped = proof.map((p, i) => (i === 1 ? Buffer.from(p.map((b, j) => (j === 0 ? b ^ 1 : b))) : p));
    expect(await verifyInclusion(6, 13, leaf, flipped, root)).toBe(false);
    expect(await verifyInclusion(7, 13, leaf, proof, root)).toBe(false);
    await expect(verifyInclusion(6, 13, leaf, proof.slice(1), root)).rejects.toThrow(/needs 4/);
    await expect(verifyInclusion(13, 13, leaf, proof, root)).rejects.toThrow(/not in a tree/);
  });

  it('hashes leaves as RFC 9162 does, and reads the base64 hashes Vigil serves', async () => {
    const data = new TextEncoder().encode('{"id":"e1"}');
    expect(Buffer.from(await leafHash(data))).toEqual(Buffer.from(hashLeaf(data)));
    const digest = createHash('sha256').update('x').digest();
    expect(Buffer.from(fromBase64(digest.toString('base64')))).toEqual(digest);
    expect(() => fromBase64('not base64!')).toThrow();
  });
});
