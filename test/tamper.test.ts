/**
 * Tampering with the database behind Vigil's back, as someone with the file would: one field of
 * one event changed (stored as JSON text, or compressed and written back as text or compressed
 * again with the store's dictionary), the time column a compressed body is rebuilt from changed,
 * one event deleted, two events swapped, the tail truncated
 * with the tree and checkpoints rolled back to match; and a compressed body damaged beyond
 * decompressing. For each, a real server runs on the tampered file and the real
 * `vigil verify` CLI — online, and offline on a bundle made after the tamper — exits non-zero
 * naming the first bad event by seq and id (for the truncation: the saved checkpoint it no longer
 * extends).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zstd from 'zstd-napi/binding.js';
import { generateApiKey } from '../src/auth/api-key.js';
import { buildApp } from '../src/http/app.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { formatVerifierKey, generateSigner, verifierOf } from '../src/integrity/note.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { withoutMembers, type BodyColumns } from '../src/store/sqlite/body-members.js';
import { deleteEvents, rewriteBody, rewriteColumn, rollBack, tenantId } from './support/tamper.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const signer = generateSigner('vigil');
const pinned = formatVerifierKey(verifierOf(signer));
const admin = generateApiKey();

interface Server {
  url: string;
  close(): Promise<void>;
}

/**
 * A Vigil server on a SQLite file, signing with the one test key, on 127.0.0.1. Its store builds
 * its body dictionary after the first request: events 0–99 are stored as JSON text, the rest
 * compressed, and tampering with either kind must be caught.
 */
async function startServer(dbPath: string): Promise<Server> {
  const store = new SqliteStore({ path: dbPath, bodyDictionaryAfter: 100 });
  await store.open();
  const ingestor = new Ingestor(store);
  const { app, services } = await buildApp({ store, ingestor, integrity: { signer } });
  if (!(await store.findKey(admin.id))) await services.keys.createAsSystem({ name: 'admin', role: 'admin' }, admin);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    async close() {
      await app.close();
      await ingestor.drain();
      await store.close();
    },
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function vigil(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let base: string;
let state: string;
let bodies: string[];
const idAt = (seq: number) => JSON.parse(bodies[seq]!).id as string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-tamper-'));
  base = path.join(dir, 'base.db');
  state = path.join(dir, 'state.json');
  const server = await startServer(base);
  const post = (route: string, body: unknown) =>
    fetch(`${server.url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (let batch = 0; batch < 3; batch++) {
    const events = Array.from({ length: 100 }, (_, i) => ({
      tenant: 'acme',
      action: i % 3 ? 'secret.read' : 'secret.update',
      actor: { type: 'user', id: `u_${i % 7}`, email: `user${i % 7}@acme.example` },
      resource: { type: 'secret', id: `sec_${i % 11}`, path: `prod/app/${i % 11}` },
      context: { batch, i },
    }));
    expect((await post('/v1/events', { events })).status).toBe(201);
  }
  // The auditor's first run: the log verifies, and its checkpoint is saved.
  const first = await vigil(['verify', '--url', server.url, '--key', admin.token, '--tenant', 'acme', '--verifier-key', pinned, '--state', state]);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toMatch(/OK: vigil\/acme verifies at size 300/);
  await server.close();
  const db = new Database(base, { readonly: true });
  const kinds = db.prepare('SELECT typeof(body) AS kind, min(seq) AS first, count(*) AS n FROM events WHERE tenant_id = ? GROUP BY kind ORDER BY kind');
  expect(kinds.all(tenantId(db, 'acme'))).toEqual([{ kind: 'blob', first: 100, n: 200 }, { kind: 'text', first: 0, n: 100 }]);
  db.close();
  const store = new SqliteStore({ path: base });
  await store.open();
  bodies = (await store.readBySeq('acme', 0, 300, 300)).map((r) => r.body);
  await store.close();
  expect(bodies).toHaveLength(300);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Copies the verified database, tampers with the copy, serves it, and runs `vigil verify`
 * online (with a copy of the auditor's saved state) and offline on a bundle made from it.
 */
async function afterTamper(name: string, tamper: (db: Database.Database, tenant: number) => void): Promise<{ online: Run; offline: Run; offlineStateless: Run }> {
  const file = path.join(dir, `${name}.db`);
  copyFileSync(base, file);
  const db = new Database(file);
  tamper(db, tenantId(db, 'acme'));
  db.close();
  const caseState = path.join(dir, `${name}-state.json`);
  copyFileSync(state, caseState);
  const bundle = path.join(dir, `${name}-bundle`);
  const server = await startServer(file);
  let online: Run;
  try {
    const auth = ['--url', server.url, '--key', admin.token];
    online = await vigil(['verify', ...auth, '--tenant', 'acme', '--verifier-key', pinned, '--state', caseState]);
    const made = await vigil(['verify', 'bundle', '--make', bundle, ...auth, '--tenant', 'acme']);
    expect(made.code, made.stderr).toBe(0);
  } finally {
    await server.close();
  }
  // Offline, the server is gone: the bundle and the pinned key are all there is.
  const offline = await vigil(['verify', '--bundle', bundle, '--tenant', 'acme', '--verifier-key', pinned, '--state', caseState]);
  const offlineStateless = await vigil(['verify', '--bundle', bundle, '--tenant', 'acme', '--verifier-key', pinned]);
  return { online, offline, offlineStateless };
}

// Each case runs the CLI four times (a process each): give it time on a busy machine.
describe('vigil verify catches tampering with the database', { timeout: 180_000 }, () => {
  it('one field of one event changed', async () => {
    const runs = await afterTamper('changed', (db, tenant) => rewriteBody(db, tenant, 141, bodies[141]!.replace(/"id":"u_\d"/, '"id":"u_intruder"')));
    for (const run of [runs.online, runs.offline, runs.offlineStateless]) {
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toContain(`FAILED: seq 141 (id ${idAt(141)}): leaf does not match the signed tree`);
    }
  });

  it('one field of one compressed event changed, written back as JSON text', async () => {
    const runs = await afterTamper('changed-compressed', (db, tenant) => rewriteBody(db, tenant, 241, bodies[241]!.replace(/"id":"u_\d"/, '"id":"u_intruder"')));
    for (const run of [runs.online, runs.offline, runs.offlineStateless]) {
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toContain(`FAILED: seq 241 (id ${idAt(241)}): leaf does not match the signed tree`);
    }
  });

  it('one field of one compressed event changed, compressed again with the store dictionary', async () => {
    const runs = await afterTamper('recompressed', (db, tenant) => {
      const dictionary = db.prepare('SELECT bytes, format FROM body_dictionaries WHERE id = 1').get() as { bytes: Buffer; format: number };
      expect(dictionary.format).toBe(2);
      // As the store writes it: without the members its columns hold, the magic number left out.
      const columns = db.prepare('SELECT lower(hex(uid)) AS uidHex, ts, seq, session_id AS sessionId, request_id AS requestId, received_lag_us AS receivedLagUs FROM events WHERE tenant_id = ? AND seq = 150').get(tenant) as BodyColumns;
      const altered = Buffer.from(withoutMembers(bodies[150]!.replace(/"id":"u_\d"/, '"id":"u_intruder"'), columns));
      const frame = Buffer.alloc(zstd.compressBound(altered.length));
      const size = new zstd.CCtx().compressUsingDict(frame, altered, dictionary.bytes, 3);
      rewriteBody(db, tenant, 150, Buffer.concat([Buffer.from([1]), frame.subarray(4, size)]));
    });
    for (const run of [runs.online, runs.offline, runs.offlineStateless]) {
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toContain(`FAILED: seq 150 (id ${idAt(150)}): leaf does not match the signed tree`);
    }
  });

  it('a compressed body damaged so that it no longer decompresses', async () => {
    const file = path.join(dir, 'damaged.db');
    copyFileSync(base, file);
    const db = new Database(file);
    const tenant = tenantId(db, 'acme');
    const stored = (db.prepare('SELECT body FROM events WHERE tenant_id = ? AND seq = 160').get(tenant) as { body: Buffer }).body;
    stored[2] = stored[2]! ^ 0xff; // inside the zstd frame's header
    rewriteBody(db, tenant, 160, stored);
    db.close();
    const server = await startServer(file);
    try {
      // Every read of that event fails (the server logs why); the log does not verify.
      const caseState = path.join(dir, 'damaged-state.json');
      copyFileSync(state, caseState);
      const run = await vigil(['verify', '--url', server.url, '--key', admin.token, '--tenant', 'acme', '--verifier-key', pinned, '--state', caseState]);
      expect(run.code, run.stdout).toBe(1);
      expect(run.stdout).not.toMatch(/^OK:/m); // the verdict line; keys and roots are base64 and may hold "OK"
      expect(run.stderr).toContain('VIGIL_ERR_INTERNAL (500)');
    } finally {
      await server.close();
    }
  });

  it("a column that a compressed event's body is rebuilt from changed: its time", async () => {
    const runs = await afterTamper('retimed', (db, tenant) => {
      const { ts } = db.prepare('SELECT ts FROM events WHERE tenant_id = ? AND seq = 170').get(tenant) as { ts: number };
      rewriteColumn(db, tenant, 170, 'ts', ts - 3_600_000_000);
    });
    for (const run of [runs.online, runs.offline, runs.offlineStateless]) {
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toContain(`FAILED: seq 170 (id ${idAt(170)}): leaf does not match the signed tree`);
    }
  });

  it('one event deleted', async () => {
    const runs = await afterTamper('deleted', (db, tenant) => deleteEvents(db, tenant, 41, 42));
    for (const run of [runs.online, runs.offline, runs.offlineStateless]) {
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toContain('FAILED: seq 41 missing');
    }
  });

  it('the bodies of two events swapped', async () => {
    const runs = await afterTamper('swapped', (db, tenant) => {
      rewriteBody(db, tenant, 12, bodies[13]!);
      rewriteBody(db, tenant, 13, bodies[12]!);
    });
    for (const run of [runs.online, runs.offline, runs.offlineStateless]) {
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toContain(`FAILED: events out of order at seq 12: seq 12 (id ${idAt(12)}) comes after seq 13`);
    }
  });

  it('the tail truncated, with the tree and checkpoints rolled back to match', async () => {
    const runs = await afterTamper('truncated', (db, tenant) => rollBack(db, tenant, bodies.slice(0, 290)));
    expect(runs.online.code, runs.online.stdout).toBe(1);
    expect(runs.online.stderr).toContain(`FAILED: the log was truncated or rewritten: the checkpoint has 290 events, the one saved before (${path.join(dir, 'truncated-state.json')}) had 300`);
    expect(runs.offline.code).toBe(1);
    expect(runs.offline.stderr).toContain('FAILED: the checkpoint has 290 events, fewer than the 300 of the checkpoint saved before: the log was truncated or rewritten');
    // A rolled-back log is consistent in itself: only the checkpoint the auditor kept shows it.
    expect(runs.offlineStateless.code, runs.offlineStateless.stderr).toBe(0);
  });
});
