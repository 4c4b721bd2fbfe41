import { createHash, hash } from 'node:crypto';

/**
 * RFC 9162 §2.1.1 hashing with SHA-256. Every leaf and node of every tree goes through here (on
 * ingest and in `vigil verify`), so the prefix byte and the data are copied into one scratch
 * buffer and hashed in one call, which is much cheaper than a streaming hash object per hash.
 */
export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** Reused by each call (hashing is synchronous); grown for larger leaves. */
let scratch = Buffer.alloc(64 * 1024);
const pair = Buffer.alloc(1 + 2 * HASH_SIZE);

/** MTH({d}) = SHA-256(0x00 || d). */
export function hashLeaf(data: Uint8Array | string): Uint8Array {
  const length = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
  if (scratch.length <= length) scratch = Buffer.alloc(2 * (length + 1));
  scratch[0] = LEAF_PREFIX;
  if (typeof data === 'string') scratch.write(data, 1, 'utf8');
  else scratch.set(data, 1);
  return sha256(scratch.subarray(0, length + 1));
}

/** SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return createHash('sha256').update(Uint8Array.of(NODE_PREFIX)).update(left).update(right).digest();
  }
  pair[0] = NODE_PREFIX;
  pair.set(left, 1);
  pair.set(right, 1 + HASH_SIZE);
  return sha256(pair);
}

/**
 * SHA-256 of `data` as a new 32-byte array. Node's `'buffer'` output allocates a buffer outside
 * V8's heap per call, which cost about as much as hashing a 700-byte leaf; the digest as a
 * `'binary'` (latin1) string, one character per byte, copied into a 32-byte array that V8 keeps
 * on its heap made `vigil verify` about 30% faster (BENCHMARKS.md, twelfth round). Not a pooled
 * Buffer: a hash kept for long (a compact range's node) would hold on to the pool's 8 KB slab.
 */
function sha256(data: Uint8Array): Uint8Array {
  const digest = hash('sha256', data, 'binary');
  const out = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < HASH_SIZE; i++) out[i] = digest.charCodeAt(i);
  return out;
}

/** MTH({}) = SHA-256(). */
export const EMPTY_ROOT: Uint8Array = createHash('sha256').digest();
