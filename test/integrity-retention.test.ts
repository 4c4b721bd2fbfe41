/**
 * Retention and the Merkle log: after a purge through the store's purge path (the only deletion
 * the append-only triggers let through), inclusion proofs of later events, consistency proofs
 * between any sizes, new checkpoints and `vigil verify` (online and offline) all still work —
 * the purged events' leaves come from the tiles, which a purge never touches. A gap that no
 * recorded purge accounts for is still reported as missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../src/auth/key-service.js';
import { ApiClient } from '../src/cli/client.js';
import { makeBundle, verifyBundle, verifyOnline, type Io } from '../src/cli/verify.js';
import { formatMicros } from '../src/domain/time.js';
import { openCheckpoint } from '../src/integrity/checkpoint.js';
import { parseVerifierKey } from '../src/integrity/note.js';
import { verifyConsistency, verifyInclusion } from '../src/integrity/verify-proof.js';
import { startHarness, type Harness } from './http-harness.js';
import { MINUTE, T0 } from './support/events.js';
import { referenceRoot } from './support/merkle-reference.js';

let h: Harness;
let url: string;
let auditor: string;
let dir: string;
let state: string;
/** Every event ever stored, by seq, as it was before any purge. */
const bodies: string[] = [];

const b64 = (text: string) => Buffer.from(text, 'base64');

function capture(): Io & { text: () => string } {
  let text = '';
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString()), done()) });
  return { out: stream, err: stream, text: () => text };
}

async function verify(): Promise<{ ok: boolean; text: string }> {
  const io = capture();
  const ok = await verifyOnline(new ApiClient({ url, key: auditor }), url, 'acme', { state }, io);
  return { ok, text: io.text() };
}

/** Sends events whose occurred_at starts at `fromUs`, a minute apart, and keeps their bodies. */
async function send(count: number, fromUs: number): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({
    tenant: 'acme',
    action: 'secret.read',
    actor: { type: 'user', id: `u_${i % 5}` },
    occurred_at: formatMicros(fromUs + i * MINUTE),
  }));
  expect((await h.send(h.admin, { events })).statusCode).toBe(201);
  bodies.push(...(await h.store.readBySeq('acme', bodies.length, Number.MAX_SAFE_INTEGER, 100_000)).map((r) => r.body));
}

/** A purge as the retention job does it, through `Store.purgeEvents`. */
async function purge(beforeUs: number): Promise<number> {
  return h.store.purgeEvents('acme', { beforeUs, belowSeq: Number.MAX_SAFE_INTEGER }, 10_000);
}

beforeAll(async () => {
  h = await startHarness();
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  // A platform key, so that no key event lands in acme's log.
  auditor = await h.key('auditor', null);
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-retention-'));
  state = path.join(dir, 'state.json');
  await send(300, T0);
  // The auditor verified the whole log before the purge.
  expect((await verify()).ok).toBe(true);
  // The 100 oldest events expire.
  expect(await purge(T0 + 100 * MINUTE)).toBe(100);
  expect((await h.store.readBySeq('acme', 0, 100, 100)).length).toBe(0);
});

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('proofs after a purge', () => {
  it('proves the inclusion of every later event against the checkpoint', async () => {
    const key = parseVerifierKey((await h.get(auditor, '/v1/audit/checkpoint/key')).json().key);
    const checkpoint = openCheckpoint((await h.get(auditor, '/v1/audit/checkpoint', { tenant: 'acme' })).json().note, key, 'vigil/acme');
    expect(checkpoint.size).toBe(300);
    for (const seq of [100, 101, 255, 256, 299]) {
      const proof = (await h.get(auditor, '/v1/audit/proofs/inclusion', { tenant: 'acme', seq: String(seq) })).json();
      expect(proof.size).toBe(300);
      expect(() => verifyInclusion(seq, 300, b64(proof.leaf_hash), proof.proof.map(b64), checkpoint.root)).not.toThrow();
    }
    const byId = (await h.get(auditor, '/v1/audit/proofs/inclusion', { tenant: 'acme', id: JSON.parse(bodies[150]!).id })).json();
    expect(() => verifyInclusion(150, 300, b64(byId.leaf_hash), byId.proof.map(b64), checkpoint.root)).not.toThrow();
    expect((await h.get(auditor, '/v1/audit/proofs/inclusion', { tenant: 'acme', seq: '50' })).statusCode).toBe(404);
  });

  it('proves consistency between any two sizes, purged ones included', async () => {
    for (const [from, to] of [[1, 300], [50, 100], [99, 250], [100, 300], [257, 300], [300, 300]] as const) {
      const res = (await h.get(auditor, '/v1/audit/proofs/consistency', { tenant: 'acme', from: String(from), to: String(to) })).json();
      const [rootFrom, rootTo] = [referenceRoot(bodies.slice(0, from)), referenceRoot(bodies.slice(0, to))];
      expect([res.root_from, res.root_to]).toEqual([rootFrom.toString('base64'), rootTo.toString('base64')]);
      expect(() => verifyConsistency(from, to, res.proof.map(b64), rootFrom, rootTo)).not.toThrow();
    }
  });

  it('signs new checkpoints as the log grows on', async () => {
    await send(50, T0 + 1000 * MINUTE);
    const next = await h.services.checkpointer.checkpointNow('acme');
    expect(next!.size).toBe(350);
    expect(h.services.checkpointer.alarm('acme')).toBeUndefined();
    const key = parseVerifierKey((await h.get(auditor, '/v1/audit/checkpoint/key')).json().key);
    expect(Buffer.from(openCheckpoint(next!.note, key, 'vigil/acme').root).equals(referenceRoot(bodies))).toBe(true);
  });
});

describe('vigil verify after a purge', () => {
  it('starts from the first stored event and takes the purged leaves from the tiles, saying how many', async () => {
    const run = await verify();
    expect(run.ok, run.text).toBe(true);
    expect(run.text).toContain('extends the checkpoint saved at size 300');
    expect(run.text).toContain('Recomputed 250 leaves from the events');
    // This purge was simulated, so nothing in the log records it: the auditor is told.
    expect(run.text).toContain("100 purged leaves (seq 0–99) taken from Vigil's leaf hashes, which make the signed root; WARNING: the log records retention purges of only 0 events");
    expect(run.text).toContain('OK: vigil/acme verifies at size 350');

    const bundle = path.join(dir, 'bundle');
    await makeBundle(new ApiClient({ url, key: auditor }), bundle, 'acme', capture());
    const io = capture();
    expect(await verifyBundle(bundle, 'acme', {}, io), io.text()).toBe(true);
    expect(io.text()).toContain('100 purged leaves (seq 0–99)');
  });

  it('accepts a later gap only when recorded purges account for it', async () => {
    // Events imported with old times land at seqs 350–369, and expire first.
    await send(20, T0 - 1000 * MINUTE);
    expect(await purge(T0)).toBe(20);
    await h.services.checkpointer.checkpointNow('acme');
    const unrecorded = await verify();
    expect(unrecorded.ok).toBe(false);
    expect(unrecorded.text).toContain('FAILED: seq 350 missing (and the 19 after it)');

    const record = (count: number, belowSeq: number) =>
      h.services.ingest.record('acme', { action: 'vigil.retention.purged', category: 'vigil', actor: SYSTEM_ACTOR, source: 'system', context: { count, below_seq: belowSeq } });
    await record(20, 370);
    await h.services.checkpointer.checkpointNow('acme');
    // 120 events are gone, but the log accounts for 20 only.
    expect((await verify()).text).toContain('FAILED: seq 350 missing (and the 19 after it)');
    await record(100, 300);
    await h.services.checkpointer.checkpointNow('acme');
    const accounted = await verify();
    expect(accounted.ok, accounted.text).toBe(true);
    expect(accounted.text).toContain("120 purged leaves (seq 0–99, 350–369) taken from Vigil's leaf hashes, which make the signed root; the log records retention purges of 120 events");
  });
});
