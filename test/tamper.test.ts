/**
 * Tampering with the database behind Vigil's back, as someone with the file would: one field of
 * one event changed, one event deleted, two events swapped, the tail truncated with the tree and
 * checkpoints rolled back to match. For each, a real server runs on the tampered file and the real
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
import { generateApiKey } from '../src/auth/api-key.js';
import { buildApp } from '../src/http/app.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { formatVerifierKey, generateSigner, verifierOf } from '../src/integrity/note.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { deleteEvents, rewriteBody, rollBack, tenantId } from './support/tamper.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const signer = generateSigner('vigil');
const pinned = formatVerifierKey(verifierOf(signer));
const admin = generateApiKey();

interface Server {
  url: string;
  close(): Promise<void>;
}

/** A Vigil server on a SQLite file, signing with the one test key, on 127.0.0.1. */
async function startServer(dbPath: string): Promise<Server> {
  const store = new SqliteStore({ path: dbPath });
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
  bodies = (db.prepare('SELECT body FROM events WHERE tenant_id = ? ORDER BY seq').all(tenantId(db, 'acme')) as { body: string }[]).map((r) => r.body);
  db.close();
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
