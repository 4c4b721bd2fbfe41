/**
 * The integrity API over HTTP on a real SQLite store: checkpoints and the verifier key, inclusion
 * and consistency proofs checked with a verifier written here (not Vigil's), the event read with
 * its proof, the leaf streams of `vigil verify`, refusals and permissions.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './http-harness.js';

const canonicalize = canonicalizeModule as unknown as (value: unknown) => string;
/** Events sent; the tree also holds the `vigil.key.created` events of the keys made first. */
const SENT = 300;

let h: Harness;
let viewer: string;
let auditor: string;
let writer: string;
let bodies: string[];
/** The tree size once everything is sent. */
let N: number;

const sha256 = (...parts: Uint8Array[]) => parts.reduce((hash, p) => hash.update(p), createHash('sha256')).digest();
const leafOf = (body: string) => sha256(Buffer.of(0), Buffer.from(body, 'utf8'));
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** RFC 9162 MTH, recursively, as the RFC writes it. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** RFC 9162 §2.1.3.2, as the RFC writes it. */
function rootFromInclusion(index: number, size: number, leaf: Buffer, proof: Buffer[]): Buffer {
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Error('proof too long');
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(Buffer.of(1), p, r);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      r = sha256(Buffer.of(1), r, p);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  if (sn !== 0) throw new Error('proof too short');
  return r;
}

/** RFC 9162 §2.1.4.2: the two roots a consistency proof yields, for 0 < first < second. */
function rootsFromConsistency(first: number, second: number, firstRoot: Buffer, path: Buffer[]): [Buffer, Buffer] {
  const proof = (first & (first - 1)) === 0 ? [firstRoot, ...path] : path;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) [fn, sn] = [(fn - 1) / 2, Math.floor(sn / 2)];
  let fr = proof[0]!;
  let sr = proof[0]!;
  for (const c of proof.slice(1)) {
    if (sn === 0) throw new Error('proof too long');
    if (fn % 2 === 1 || fn === sn) {
      [fr, sr] = [sha256(Buffer.of(1), c, fr), sha256(Buffer.of(1), c, sr)];
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      sr = sha256(Buffer.of(1), sr, c);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  return [fr, sr];
}

/** `name+keyid+base64` (the base64 may hold "+" too). */
function splitKey(key: string): [string, string, string] {
  const [, name, keyId, b64Key] = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(key)!;
  return [name!, keyId!, b64Key!];
}

/** Opens a C2SP signed note with a `name+keyid+base64` key, as docs/integrity.md shows; returns [origin, size, root]. */
function openNote(note: string, key: string): [string, number, Buffer] {
  const [name, keyIdHex, keyB64] = splitKey(key);
  const raw = Buffer.from(keyB64, 'base64');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.subarray(1).toString('base64url') }, format: 'jwk' });
  const text = note.slice(0, note.lastIndexOf('\n\n') + 1);
  const sigLine = note.slice(text.length + 1).split('\n').find((l) => l.startsWith(`\u2014 ${name} `))!;
  const sig = Buffer.from(sigLine.split(' ')[2]!, 'base64');
  expect(sig.subarray(0, 4).toString('hex')).toBe(keyIdHex);
  expect(verify(null, Buffer.from(text), publicKey, sig.subarray(4))).toBe(true);
  const [origin, size, root] = text.split('\n') as [string, string, string];
  return [origin, Number(size), Buffer.from(root, 'base64')];
}

beforeAll(async () => {
  h = await startHarness();
  [viewer, auditor, writer] = await Promise.all([h.key('viewer', 'acme'), h.key('auditor', 'acme'), h.key('writer', 'acme')]);
  for (let start = 0; start < SENT; start += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => ({ action: 'secret.read', actor: { type: 'user', id: `u_${(start + j) % 7}` }, context: { i: start + j } }));
    expect((await h.send(writer, { events: batch })).statusCode).toBe(201);
  }
  N = (await h.store.treeHead('acme')).size;
  bodies = (await h.store.readBySeq('acme', 0, N, N)).map((r) => r.body);
});

afterAll(async () => h?.close());

describe('GET /v1/audit/checkpoint and /v1/audit/checkpoint/key', () => {
  it('serves the verifier key as name+keyid+base64', async () => {
    const res = await h.get(viewer, '/v1/audit/checkpoint/key');
    expect(res.statusCode).toBe(200);
    const { key, name, algorithm } = res.json<{ key: string; name: string; algorithm: string }>();
    expect(key).toMatch(/^vigil\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect([name, algorithm]).toEqual(['vigil', 'ed25519']);
    // keyid = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[0:4]
    const [, keyId, raw] = splitKey(key);
    expect(sha256(Buffer.from('vigil\n'), Buffer.from(raw, 'base64')).subarray(0, 4).toString('hex')).toBe(keyId);
  });

  it('signs the tenant log on first request: the origin, size and root of every stored event', async () => {
    const key = (await h.get(viewer, '/v1/audit/checkpoint/key')).json<{ key: string }>().key;
    const res = await h.get(viewer, '/v1/audit/checkpoint');
    expect(res.statusCode).toBe(200);
    const cp = res.json<{ origin: string; size: number; root: string; note: string; created_at: string }>();
    const [origin, size, root] = openNote(cp.note, key);
    expect([origin, size, b64(root)]).toEqual(['vigil/acme', N, cp.root]);
    expect(cp).toMatchObject({ origin: 'vigil/acme', size: N });
    expect(root.equals(mth(bodies.map(leafOf)))).toBe(true);
    expect(Date.parse(cp.created_at)).not.toBeNaN();
  });

  it('says 404 for a tenant without events, and keeps tenants apart', async () => {
    expect((await h.get(h.admin, '/v1/audit/checkpoint', { tenant: 'initech' })).statusCode).toBe(404);
    const other = await h.key('viewer', 'globex');
    const denied = await h.get(other, '/v1/audit/checkpoint', { tenant: 'acme' });
    expect(denied.statusCode).toBe(403);
    expect((await h.get(writer, '/v1/audit/checkpoint')).statusCode).toBe(403);
    expect((await h.get(h.admin, '/v1/audit/checkpoint')).json().error.issues[0].path).toBe('tenant');
    expect((await h.get(h.admin, '/v1/audit/checkpoint', { tenant: 'acme' })).json().size).toBe(N);
  });
});

describe('GET /v1/audit/proofs/inclusion', () => {
  it('proves every kind of position by seq, against the latest checkpoint by default', async () => {
    const root = mth(bodies.map(leafOf));
    for (const seq of [0, 1, 127, 255, 256, 257, 298, 299]) {
      const res = await h.get(viewer, '/v1/audit/proofs/inclusion', { seq: String(seq) });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ seq: number; id: string; leaf_hash: string; size: number; root: string; proof: string[] }>();
      expect(body).toMatchObject({ seq, id: JSON.parse(bodies[seq]!).id, size: N, root: b64(root), leaf_hash: b64(leafOf(bodies[seq]!)) });
      expect(rootFromInclusion(seq, N, leafOf(bodies[seq]!), body.proof.map((p) => Buffer.from(p, 'base64'))).equals(root)).toBe(true);
    }
  });

  it('proves an event by id in an older tree size', async () => {
    const id = JSON.parse(bodies[40]!).id as string;
    const res = await h.get(viewer, '/v1/audit/proofs/inclusion', { id, size: '100' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ root: string; proof: string[] }>();
    const root100 = mth(bodies.slice(0, 100).map(leafOf));
    expect(body.root).toBe(b64(root100));
    expect(rootFromInclusion(40, 100, leafOf(bodies[40]!), body.proof.map((p) => Buffer.from(p, 'base64'))).equals(root100)).toBe(true);
  });

  it('refuses impossible proofs with a 400 naming the parameter', async () => {
    const issue = async (query: Record<string, string>) => {
      const res = await h.get(viewer, '/v1/audit/proofs/inclusion', query);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('VIGIL_ERR_VALIDATION');
      return res.json().error.issues[0].path as string;
    };
    expect(await issue({ seq: '5', size: '5' })).toBe('size');
    expect(await issue({ seq: '5', size: String(N + 1) })).toBe('size');
    expect(await issue({})).toBe('id');
    expect(await issue({ seq: '1', id: JSON.parse(bodies[1]!).id })).toBe('id');
    expect(await issue({ seq: '-1' })).toBe('seq');
    expect(await issue({ seq: '1', extra: 'x' })).toBe('extra');
    expect((await h.get(viewer, '/v1/audit/proofs/inclusion', { seq: String(N + 5) })).statusCode).toBe(404);
    expect((await h.get(viewer, '/v1/audit/proofs/inclusion', { id: '00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
  });
});

describe('GET /v1/audit/proofs/consistency', () => {
  it('proves that every earlier tree is a prefix of the latest', async () => {
    const leaves = bodies.map(leafOf);
    for (const from of [1, 2, 3, 100, 128, 256, 257, 299]) {
      const res = await h.get(viewer, '/v1/audit/proofs/consistency', { from: String(from) });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ from: number; to: number; root_from: string; root_to: string; proof: string[] }>();
      const [rootFrom, rootTo] = [mth(leaves.slice(0, from)), mth(leaves)];
      expect(body).toMatchObject({ from, to: N, root_from: b64(rootFrom), root_to: b64(rootTo) });
      const [fr, sr] = rootsFromConsistency(from, N, rootFrom, body.proof.map((p) => Buffer.from(p, 'base64')));
      expect([fr.equals(rootFrom), sr.equals(rootTo)]).toEqual([true, true]);
    }
    const same = (await h.get(viewer, '/v1/audit/proofs/consistency', { from: '50', to: '50' })).json();
    expect(same.proof).toEqual([]);
    expect(same.root_from).toBe(same.root_to);
  });

  it('refuses from=0, from > to and sizes beyond the tree', async () => {
    const issue = async (query: Record<string, string>) => {
      const res = await h.get(viewer, '/v1/audit/proofs/consistency', query);
      expect(res.statusCode, res.body).toBe(400);
      return res.json().error.issues[0] as { path: string; message: string };
    };
    expect(await issue({ from: '0', to: '10' })).toMatchObject({ path: 'from', message: expect.stringContaining('at least 1') });
    expect(await issue({ from: '20', to: '10' })).toMatchObject({ path: 'from' });
    expect(await issue({ from: '1', to: String(N + 1) })).toMatchObject({ path: 'to', message: `is beyond the tree size ${N}` });
    expect(await issue({ to: '10' })).toMatchObject({ path: 'from' });
  });
});

describe('GET /v1/audit/logs/{id} with its proof', () => {
  it('adds leaf_hash and an inclusion proof against the latest checkpoint to the served event only', async () => {
    const id = JSON.parse(bodies[123]!).id as string;
    const res = await h.get(viewer, `/v1/audit/logs/${id}`);
    expect(res.statusCode).toBe(200);
    const { leaf_hash, proof, ...event } = res.json<Record<string, any>>();
    // The leaf is the stored canonical JSON, without the two served fields.
    expect(canonicalize(event)).toBe(bodies[123]);
    expect((await h.store.getEvent('acme', id))!.body).toBe(bodies[123]);
    expect(leaf_hash).toBe(b64(leafOf(bodies[123]!)));
    const key = (await h.get(viewer, '/v1/audit/checkpoint/key')).json<{ key: string }>().key;
    const [, size, root] = openNote(proof.checkpoint, key);
    expect([proof.size, proof.root]).toEqual([size, b64(root)]);
    const hashes = (proof.hashes as string[]).map((p) => Buffer.from(p, 'base64'));
    expect(rootFromInclusion(123, size, Buffer.from(leaf_hash, 'base64'), hashes).equals(root)).toBe(true);
  });

  it('signs a newer checkpoint when the event is newer than the latest one', async () => {
    const sent = await h.send(writer, { action: 'secret.read', actor: { type: 'user', id: 'late' } });
    const { id, seq } = sent.json<{ events: { id: string; seq: number }[] }>().events[0]!;
    const { proof } = (await h.get(viewer, `/v1/audit/logs/${id}`)).json<Record<string, any>>();
    expect(proof.size).toBe(seq + 1);
    expect((await h.get(viewer, '/v1/audit/checkpoint')).json().size).toBe(seq + 1);
  });
});

describe('GET /v1/audit/leaves and /v1/audit/leaf-hashes', () => {
  it('streams the stored events in seq order, byte for byte, and the leaf hashes from the tiles', async () => {
    const res = await h.get(auditor, '/v1/audit/leaves', { to_seq: String(N) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.body).toBe(bodies.map((b) => `${b}\n`).join(''));
    const hashes = await h.app.inject({ method: 'GET', url: `/v1/audit/leaf-hashes?from_seq=3&to_seq=${N}`, headers: { authorization: `Bearer ${auditor}` } });
    expect(hashes.statusCode).toBe(200);
    expect(hashes.rawPayload.equals(Buffer.concat(bodies.slice(3).map(leafOf)))).toBe(true);
    const part = await h.get(auditor, '/v1/audit/leaves', { from_seq: '250', to_seq: '260' });
    expect(part.body).toBe(bodies.slice(250, 260).map((b) => `${b}\n`).join(''));
  });

  it('needs the verify permission and a range within the tree', async () => {
    expect((await h.get(viewer, '/v1/audit/leaves')).statusCode).toBe(403);
    expect((await h.get(viewer, '/v1/audit/leaf-hashes')).statusCode).toBe(403);
    const beyond = await h.get(auditor, '/v1/audit/leaf-hashes', { to_seq: '100000' });
    expect(beyond.statusCode).toBe(400);
    expect(beyond.json().error.issues[0].path).toBe('to_seq');
    expect((await h.get(auditor, '/v1/audit/leaves', { from_seq: '20', to_seq: '10' })).json().error.issues[0].path).toBe('from_seq');
  });
});
