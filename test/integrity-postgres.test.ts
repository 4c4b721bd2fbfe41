/**
 * Integrity on the PostgreSQL store: two Vigil apps on one database (as two processes would be)
 * ingest into one tenant, both checkpointers sign and each checks the other's checkpoints, proofs
 * served by one verify against checkpoints signed by the other, and `vigil verify` recomputes the
 * log — then finds an event changed behind Vigil's back, and stands in for purged events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key.js';
import { ApiClient } from '../src/cli/client.js';
import { verifyOnline, type Io } from '../src/cli/verify.js';
import { buildApp, type AppServices } from '../src/http/app.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { openCheckpoint } from '../src/integrity/checkpoint.js';
import { formatVerifierKey, generateSigner, verifierOf } from '../src/integrity/note.js';
import { verifyInclusion } from '../src/integrity/verify-proof.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { createTestDatabase, describePostgres, type TestDatabase } from './support/postgres.js';

const signer = generateSigner('vigil');
const pinned = formatVerifierKey(verifierOf(signer));
const admin = generateApiKey();

interface Node {
  url: string;
  store: PostgresStore;
  services: AppServices;
  close(): Promise<void>;
}

async function startNode(url: string): Promise<Node> {
  const store = new PostgresStore({ url, poolSize: 4 });
  await store.open();
  const ingestor = new Ingestor(store);
  const { app, services } = await buildApp({ store, ingestor, integrity: { signer } });
  const listening = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: listening,
    store,
    services,
    async close() {
      await app.close();
      await ingestor.drain();
      await store.close();
    },
  };
}

describePostgres('integrity on PostgreSQL', () => {
  let db: TestDatabase;
  let a: Node;
  let b: Node;
  let raw: pg.Client;
  let dir: string;

  const headers = { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' };
  const get = async (node: Node, route: string) => (await fetch(`${node.url}${route}`, { headers })).json() as Promise<Record<string, any>>;
  const send = async (node: Node, count: number, from: number) => {
    const events = Array.from({ length: count }, (_, i) => ({ tenant: 'acme', action: 'secret.read', actor: { type: 'user', id: `u_${(from + i) % 9}` }, occurred_at: new Date(Date.UTC(2026, 9, 1) + (from + i) * 60_000).toISOString() }));
    expect((await fetch(`${node.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events }) })).status).toBe(201);
  };
  const verify = async (state: string) => {
    let text = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString()), done()) });
    const io: Io = { out: sink, err: sink };
    const ok = await verifyOnline(new ApiClient({ url: a.url, key: admin.token }), a.url, 'acme', { verifierKey: pinned, state }, io);
    return { ok, text };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    [a, b] = [await startNode(db.url), await startNode(db.url)];
    await a.services.keys.createAsSystem({ name: 'admin', role: 'admin' }, admin);
    raw = new pg.Client({ connectionString: db.url });
    await raw.connect();
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-pg-integrity-'));
  });

  afterAll(async () => {
    await raw?.end();
    await a?.close();
    await b?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs on both nodes, each checking the other, and serves proofs of one against checkpoints of the other', async () => {
    // One after the other, so that seq follows time (the purge below expires the oldest).
    await send(a, 150, 0);
    await send(b, 150, 150);
    await a.services.checkpointer.sweep();
    await send(b, 40, 300);
    await b.services.checkpointer.sweep();
    expect(a.services.checkpointer.alarm('acme')).toBeUndefined();
    expect(b.services.checkpointer.alarm('acme')).toBeUndefined();
    const latest = (await b.store.latestCheckpoint('acme'))!;
    expect(latest.size).toBe(340);
    const checkpoint = openCheckpoint(latest.note, verifierOf(signer), 'vigil/acme');
    for (const seq of [0, 200, 339]) {
      const proof = await get(a, `/v1/audit/proofs/inclusion?tenant=acme&seq=${seq}`);
      expect(proof.size).toBe(340);
      expect(() => verifyInclusion(seq, 340, Buffer.from(proof.leaf_hash, 'base64'), proof.proof.map((p: string) => Buffer.from(p, 'base64')), checkpoint.root)).not.toThrow();
    }
    const run = await verify(path.join(dir, 'state.json'));
    expect(run.ok, run.text).toBe(true);
    expect(run.text).toContain('OK: vigil/acme verifies at size 340');
  });

  it('stands in for purged events with the leaf hashes', async () => {
    // The 50 oldest events expire (the purge path: SET LOCAL vigil.purge inside the store).
    expect(await a.store.purgeEvents('acme', { beforeUs: Date.UTC(2026, 9, 1) * 1000 + 50 * 60e6, belowSeq: 340 }, 1000)).toBe(50);
    const run = await verify(path.join(dir, 'state.json'));
    expect(run.ok, run.text).toBe(true);
    expect(run.text).toContain("50 purged leaves (seq 0–49) taken from Vigil's leaf hashes");
  });

  it('names an event changed behind its back', async () => {
    const { rows } = await raw.query<{ body: string }>(
      "SELECT body FROM events WHERE tenant_id = (SELECT id FROM tenants WHERE name = 'acme') AND seq = 123",
    );
    const id = JSON.parse(rows[0]!.body).id as string;
    // A superuser can switch triggers off for the session.
    await raw.query("SET session_replication_role = 'replica'");
    await raw.query("UPDATE events SET body = replace(body, '\"u_6\"', '\"u_intruder\"') WHERE tenant_id = (SELECT id FROM tenants WHERE name = 'acme') AND seq = 123");
    await raw.query("SET session_replication_role = 'origin'");
    const run = await verify(path.join(dir, 'state.json'));
    expect(run.ok).toBe(false);
    expect(run.text).toContain(`FAILED: seq 123 (id ${id}): leaf does not match the signed tree`);
  });
});
