import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { signCheckpoint } from '../src/integrity/checkpoint.js';
import { formatVerifierKey, generateSigner, verifierOf } from '../src/integrity/note.js';
import { consistencyProof, inclusionProof } from '../src/integrity/proof-tiles.js';
import { appendLeaves, edgeFromTiles, edgeTileKeys, tileKeyString, type TileKey } from '../src/integrity/tiles.js';

/**
 * Proofs produced by Vigil (appendLeaves, tiles, proof-tiles) checked by a verifier written here
 * from the text of RFC 9162 alone, with BigInt arithmetic, and by the standalone scripts of
 * docs/integrity.md. Nothing of src/integrity is used to hash or verify: only to build the tree
 * and produce proofs, roots and checkpoints.
 */

// ---- The independent verifier: RFC 9162 §2.1.1, §2.1.3.2 and §2.1.4.2, step by step. ----

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};
/** HASH(0x00 || d): the hash of a leaf. */
const leafHash = (data: string): Uint8Array => sha256(Uint8Array.of(0), new TextEncoder().encode(data));
/** HASH(0x01 || left || right): the hash of an interior node. */
const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(Uint8Array.of(1), left, right);
const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const lsb = (x: bigint): boolean => (x & 1n) === 1n;

/** MTH(D[n]) by the recursive definition of §2.1.1. */
function mth(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** §2.1.3.2: verifying an inclusion proof. */
function verifyInclusion(leafIndex: bigint, treeSize: bigint, hash: Uint8Array, path: Uint8Array[], root: Uint8Array): boolean {
  // 1. If leaf_index is greater than or equal to tree_size, fail.
  if (leafIndex >= treeSize) return false;
  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = leafIndex;
  let sn = treeSize - 1n;
  // 3. Set r to hash.
  let r = hash;
  // 4. For each value p in the inclusion_path array:
  for (const p of path) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (lsb(fn) || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      // Otherwise: i. Set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5. If sn is equal to 0 and r and the root_hash are equal, the inclusion is proven.
  return sn === 0n && equal(r, root);
}

/** §2.1.4.2: verifying consistency between two tree heads (0 < first < second). */
function verifyConsistency(
  first: bigint,
  second: bigint,
  firstHash: Uint8Array,
  secondHash: Uint8Array,
  consistencyPath: Uint8Array[],
): boolean {
  if (!(0n < first && first < second)) return false;
  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  if (consistencyPath.length === 0) return false;
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path = (first & (first - 1n)) === 0n ? [firstHash, ...consistencyPath] : consistencyPath;
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = first - 1n;
  let sn = second - 1n;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while (lsb(fn)) {
    fn >>= 1n;
    sn >>= 1n;
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0]!;
  let sr = path[0]!;
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0n) return false;
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (lsb(fn) || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr). ii. Set sr to HASH(0x01 || c || sr).
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or fn is 0.
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      // Otherwise: i. Set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn >>= 1n;
    sn >>= 1n;
  }
  // 7. Verify that fr equals first_hash, sr equals second_hash, and sn is 0.
  return equal(fr, firstHash) && equal(sr, secondHash) && sn === 0n;
}

// ---- Vigil, producing: a tree grown in chunks through stored tiles, its roots, its proofs. ----

const SIZE = 1100;
const bodies = Array.from({ length: SIZE }, (_, i) => JSON.stringify({ id: `ev-${i}`, seq: i, tenant: 'acme' }));
const leaves = bodies.map(leafHash);
/** The root at every size, appending one leaf at a time. */
const roots: Uint8Array[] = [sha256()];
let grown = appendLeaves(0, new Map(), []);
for (const leaf of leaves) {
  grown = appendLeaves(grown.size, grown.edge, [leaf]);
  roots.push(grown.root);
}
/** The tiles, grown in chunks of 1..37 leaves with the edge read back from them each time, as a store does. */
const tiles = new Map<string, Uint8Array>();
for (let size = 0; size < SIZE; ) {
  const edgeTiles = new Map(edgeTileKeys(size).map((k) => [tileKeyString(k), tiles.get(tileKeyString(k))!]));
  const outcome = appendLeaves(size, edgeFromTiles(size, edgeTiles), leaves.slice(size, size + 1 + (size % 37)));
  for (const write of outcome.writes) tiles.set(tileKeyString(write), write.hashes);
  size = outcome.size;
}
const readTiles = async (keys: TileKey[]) =>
  new Map(keys.flatMap((k) => (tiles.has(tileKeyString(k)) ? [[tileKeyString(k), tiles.get(tileKeyString(k))!] as const] : [])));

describe("Vigil's proofs, checked by an independent RFC 9162 verifier", () => {
  it("Vigil's roots are the MTH of the leaves", () => {
    for (const size of [0, 1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 512, 513, 1023, 1024, 1100]) {
      expect(equal(roots[size]!, mth(leaves.slice(0, size))), `size ${size}`).toBe(true);
    }
  });

  it('every inclusion proof in every tree of 1..48 leaves, and samples up to 1,100 leaves', async () => {
    const cases: [number, number][] = [];
    for (let size = 1; size <= 48; size++) for (let leaf = 0; leaf < size; leaf++) cases.push([leaf, size]);
    for (const size of [255, 256, 257, 600, 1024, 1099, 1100]) {
      for (const leaf of [0, 1, 128, 254, 255, 256, 257, 511, 512, size - 2, size - 1]) if (leaf < size) cases.push([leaf, size]);
    }
    for (const [leaf, size] of cases) {
      const proof = await inclusionProof(readTiles, leaf, size);
      expect(verifyInclusion(BigInt(leaf), BigInt(size), leaves[leaf]!, proof, roots[size]!), `${leaf}/${size}`).toBe(true);
      const other = (leaf + 1) % size;
      if (other !== leaf) expect(verifyInclusion(BigInt(leaf), BigInt(size), leaves[other]!, proof, roots[size]!)).toBe(false);
    }
  });

  it('every consistency proof between trees of 1..48 leaves, and samples up to 1,100 leaves', async () => {
    const cases: [number, number][] = [];
    for (let size2 = 2; size2 <= 48; size2++) for (let size1 = 1; size1 < size2; size1++) cases.push([size1, size2]);
    for (const size2 of [256, 257, 600, 1024, 1100]) {
      for (const size1 of [1, 2, 3, 128, 255, 256, 257, 513, 1023, size2 - 1]) if (size1 < size2) cases.push([size1, size2]);
    }
    for (const [size1, size2] of cases) {
      const proof = await consistencyProof(readTiles, size1, size2);
      const ok = verifyConsistency(BigInt(size1), BigInt(size2), roots[size1]!, roots[size2]!, proof);
      expect(ok, `${size1}->${size2}`).toBe(true);
      expect(verifyConsistency(BigInt(size1), BigInt(size2), roots[size1 - 1]!, roots[size2]!, proof)).toBe(false);
    }
  });

  it('an empty consistency proof between equal sizes', async () => {
    expect(await consistencyProof(readTiles, 700, 700)).toEqual([]);
  });
});

describe('the standalone scripts of docs/integrity.md', () => {
  const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'integrity.md'), 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-doc-scripts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes the doc's ```js block that starts with `// <name>` to a file and returns a runner for it. */
  function script(name: string): (args: string[]) => { ok: boolean; output: string } {
    const block = new RegExp('```js\\n(// ' + name.replace('.', '\\.') + '[\\s\\S]*?)```').exec(doc);
    expect(block, name).not.toBeNull();
    const path = join(dir, name);
    writeFileSync(path, block![1]!);
    return (args) => {
      try {
        return { ok: true, output: execFileSync(process.execPath, [path, ...args], { encoding: 'utf8', stdio: 'pipe' }) };
      } catch (error) {
        return { ok: false, output: String((error as { stderr?: string }).stderr) };
      }
    };
  }
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

  it('verify-inclusion.mjs accepts an event in a signed checkpoint and refuses another', async () => {
    const run = script('verify-inclusion.mjs');
    const signer = generateSigner('vigil');
    const key = formatVerifierKey(verifierOf(signer));
    writeFileSync(join(dir, 'checkpoint'), signCheckpoint(signer, 'vigil/acme', 1000, roots[1000]!));
    writeFileSync(join(dir, 'event'), bodies[517]!);
    const proof = (await inclusionProof(readTiles, 517, 1000)).map(b64);
    const args = [key, join(dir, 'checkpoint'), join(dir, 'event')];
    expect(run([...args, '517', ...proof])).toEqual({ ok: true, output: 'event 517 is in vigil/acme at size 1000\n' });
    expect(run([...args, '516', ...proof])).toMatchObject({ ok: false, output: expect.stringContaining('NOT in the log') });
    writeFileSync(join(dir, 'event'), bodies[518]!);
    expect(run([...args, '517', ...proof])).toMatchObject({ ok: false, output: expect.stringContaining('NOT in the log') });
    const other = formatVerifierKey(verifierOf(generateSigner('vigil')));
    expect(run([other, ...args.slice(1), '517', ...proof])).toMatchObject({ ok: false, output: expect.stringContaining('not signed') });
  });

  it('verify-consistency.mjs accepts a grown log and refuses a rewritten one', async () => {
    const run = script('verify-consistency.mjs');
    for (const [size1, size2] of [[300, 1100], [256, 1000], [1, 2]] as const) {
      const proof = (await consistencyProof(readTiles, size1, size2)).map(b64);
      const args = [String(size1), b64(roots[size1]!), String(size2), b64(roots[size2]!), ...proof];
      expect(run(args)).toEqual({ ok: true, output: `the tree of ${size2} leaves extends the tree of ${size1} leaves\n` });
      args[1] = b64(roots[size1 + 1]!);
      expect(run(args)).toMatchObject({ ok: false, output: expect.stringContaining('NOT consistent') });
    }
  });
});
