/**
 * RFC 9162 inclusion proofs checked in the browser with WebCrypto SHA-256, so the dashboard's
 * "verified" mark does not take the server's word. Same shape as `src/integrity/verify-proof.ts`
 * (inner hashes below the level where the paths to leaf i and to the last leaf meet, then the
 * left siblings above it), with arithmetic instead of 32-bit bit operations so that indexes up
 * to 2^53 work, and an asynchronous hash.
 */

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

/** SHA-256(0x01 || left || right). */
function hashChildren(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(NODE_PREFIX), left, right);
}

/** Bit `k` of `n`. */
const bit = (n: number, k: number): number => Math.floor(n / 2 ** k) % 2;

/** The number of low bits in which `a` and `b` may differ: the bit length of a XOR b. */
function differingBits(a: number, b: number): number {
  let n = 0;
  for (; a !== b; n++) {
    a = Math.floor(a / 2);
    b = Math.floor(b / 2);
  }
  return n;
}

function onesCount(n: number): number {
  let count = 0;
  for (; n > 0; n = Math.floor(n / 2)) count += n % 2;
  return count;
}

/**
 * The root that `proof` yields for leaf `index` (hash `leafHash`) of a tree of `size` leaves;
 * throws when the proof has the wrong number of hashes for that position.
 */
export async function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Promise<Uint8Array> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new Error(`leaf ${index} is not in a tree of ${size}`);
  }
  const inner = differingBits(index, size - 1);
  const border = onesCount(Math.floor(index / 2 ** inner));
  if (proof.length !== inner + border) throw new Error(`the proof has ${proof.length} hashes; leaf ${index} of ${size} needs ${inner + border}`);
  let hash = leafHash;
  for (let k = 0; k < inner; k++) hash = bit(index, k) === 0 ? await hashChildren(hash, proof[k]!) : await hashChildren(proof[k]!, hash);
  for (const sibling of proof.slice(inner)) hash = await hashChildren(sibling, hash);
  return hash;
}

/** SHA-256(0x00 || data): the RFC 9162 hash of a leaf. */
export function leafHash(data: Uint8Array): Promise<Uint8Array> {
  return sha256(Uint8Array.of(LEAF_PREFIX), data);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Standard base64, as Vigil writes hashes; throws on anything else. */
export function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error('not base64');
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
