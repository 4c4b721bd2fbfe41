/**
 * The checkpointer on real SQLite files: it signs each grown tenant (and nothing else), on its
 * timer and on demand, and refuses — loudly — to sign a tree that does not extend the latest
 * checkpoint (hashes rewritten, events truncated). Then `vigil serve` signing on its own, with a
 * configured origin prefix and a persistent key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key.js';
import { VigilError } from '../src/domain/errors.js';
import { openCheckpoint } from '../src/integrity/checkpoint.js';
import { Checkpointer, IntegrityAlarm, type CheckpointLogger } from '../src/integrity/checkpointer.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { loadIntegrityOptions } from '../src/integrity/integrity-config.js';
import { formatSignerKey, generateSigner, parseVerifierKey, verifierOf } from '../src/integrity/note.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { preparedEvent } from './support/events.js';
import { rewriteLeafHash, rollBack, tenantId } from './support/tamper.js';
import { referenceRoot } from './support/merkle-reference.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const signer = generateSigner('vigil');
const verifier = verifierOf(signer);

let dir: string;
let dbPath: string;
let store: SqliteStore;

/** Records what the checkpointer logs. */
function recorder(): CheckpointLogger & { errors: { obj: object; msg: string }[] } {
  const errors: { obj: object; msg: string }[] = [];
  return { errors, warn: () => undefined, error: (obj, msg) => errors.push({ obj, msg }) };
}

async function append(tenant: string, count: number): Promise<void> {
  const results = await store.append([{ events: Array.from({ length: count }, () => preparedEvent({ tenant })) }]);
  expect(results.every((r) => r.ok)).toBe(true);
}

async function bodies(tenant: string): Promise<string[]> {
  return (await store.readBySeq(tenant, 0, Number.MAX_SAFE_INTEGER, 100_000)).map((r) => r.body);
}

/** Reopens the store after `tamper` changed the file as someone with access to it could. */
async function tamperWith(tamper: (db: Database.Database, tenantId: number) => void): Promise<void> {
  await store.close();
  const db = new Database(dbPath);
  tamper(db, tenantId(db, 'acme'));
  db.close();
  store = new SqliteStore({ path: dbPath });
  await store.open();
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-checkpointer-'));
  dbPath = path.join(dir, 'vigil.db');
  store = new SqliteStore({ path: dbPath });
  await store.open();
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Checkpointer', () => {
  it('signs every tenant whose tree grew, once, with the origin and root of its tree', async () => {
    const checkpointer = new Checkpointer({ store, signer, originPrefix: 'audit.example.com/vigil' });
    await append('acme', 300);
    await append('globex', 5);
    await checkpointer.sweep();
    for (const [tenant, size] of [['acme', 300], ['globex', 5]] as const) {
      const latest = (await store.latestCheckpoint(tenant))!;
      const checkpoint = openCheckpoint(latest.note, verifier, `audit.example.com/vigil/${tenant}`);
      expect(checkpoint.size).toBe(size);
      expect(Buffer.from(checkpoint.root).equals(referenceRoot(await bodies(tenant)))).toBe(true);
    }
    const before = (await store.latestCheckpoint('acme'))!;
    await checkpointer.sweep();
    expect(await store.latestCheckpoint('acme')).toEqual(before);

    await append('acme', 7);
    await checkpointer.sweep();
    expect((await store.latestCheckpoint('acme'))!.size).toBe(307);
    expect((await store.latestCheckpoint('globex'))!.size).toBe(5);
    expect(await checkpointer.checkpointNow('initech')).toBeNull();
  });

  it('lets other work run during a sweep, not only after it', async () => {
    const checkpointer = new Checkpointer({ store, signer, sliceMs: 0 });
    for (const tenant of ['acme', 'globex', 'initech']) await append(tenant, 3);
    const order: string[] = [];
    setImmediate(() => order.push('other work'));
    await checkpointer.sweep();
    order.push('swept');
    expect(order).toEqual(['other work', 'swept']);
    expect((await store.latestCheckpoint('initech'))!.size).toBe(3);
  });

  it('signs on its timer until stopped', async () => {
    const checkpointer = new Checkpointer({ store, signer, intervalMs: 20 });
    checkpointer.start();
    await append('acme', 10);
    while ((await store.latestCheckpoint('acme'))?.size !== 10) await new Promise((r) => setTimeout(r, 10));
    await checkpointer.stop();
    await append('acme', 1);
    await new Promise((r) => setTimeout(r, 100));
    expect((await store.latestCheckpoint('acme'))!.size).toBe(10);
  });

  it('signs once for requests that arrive together', async () => {
    const checkpointer = new Checkpointer({ store, signer, intervalMs: 200 });
    await append('acme', 20);
    const first = await checkpointer.covering('acme', 20);
    await append('acme', 20);
    const together = await Promise.all([1, 2, 3].map(() => checkpointer.covering('acme', 40)));
    expect(together.map((r) => r?.size)).toEqual([40, 40, 40]);
    expect(new Set(together.map((r) => r!.note)).size).toBe(1);
    expect(first!.size).toBe(20);
    expect(await checkpointer.covering('acme', 41)).toBeNull();
  });

  it('refuses to sign over rewritten hashes, and says so once', async () => {
    const logger = recorder();
    const checkpointer = new Checkpointer({ store, signer, logger });
    await append('acme', 300);
    await checkpointer.checkpointNow('acme');
    // Leaf 290 is rewritten in its tile; the tree grows on top of it.
    await tamperWith((db, tenant) => rewriteLeafHash(db, tenant, 290, hashLeaf('forged')));
    const checking = new Checkpointer({ store, signer, logger });
    await append('acme', 10);
    await expect(checking.checkpointNow('acme')).rejects.toThrow(IntegrityAlarm);
    await expect(checking.checkpointNow('acme')).rejects.toThrow(/the tree of 310 leaves does not extend the checkpoint of 300 .*: events or hashes were changed/);
    await checking.sweep();
    expect(await checking.covering('acme', 310)).toBeNull();
    expect((await store.latestCheckpoint('acme'))!.size).toBe(300);
    expect(checking.alarm('acme')).toMatch(/does not extend the checkpoint of 300/);
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]!.msg).toMatch(/^INTEGRITY ALARM/);
    expect(logger.errors[0]!.obj).toMatchObject({ tenant: 'acme' });
  });

  it('refuses to sign over hashes rewritten since its last check, whose tile trees it kept', async () => {
    const checkpointer = new Checkpointer({ store, signer, logger: recorder() });
    await append('acme', 300);
    await checkpointer.checkpointNow('acme');
    await append('acme', 10);
    await checkpointer.checkpointNow('acme'); // proved 300 → 310 from tile 0/1, whose tree it keeps
    await append('acme', 10);
    // Leaf 290 rewritten in the file while the store is open: its tree head in memory is still
    // right, so only the stored tiles can tell, and the kept tree was made of the old hashes.
    const db = new Database(dbPath);
    rewriteLeafHash(db, tenantId(db, 'acme'), 290, hashLeaf('forged'));
    db.close();
    await expect(checkpointer.checkpointNow('acme')).rejects.toThrow(/the tree of 320 leaves does not extend the checkpoint of 310 .*: events or hashes were changed/);
  });

  it('refuses to sign a tree truncated below its latest checkpoint (if the checkpoint was left)', async () => {
    const checkpointer = new Checkpointer({ store, signer, logger: recorder() });
    await append('acme', 300);
    await checkpointer.checkpointNow('acme');
    const kept = (await bodies('acme')).slice(0, 290);
    await tamperWith((db, tenant) => rollBack(db, tenant, kept, { careful: false }));
    expect((await store.treeHead('acme')).size).toBe(290);
    await expect(new Checkpointer({ store, signer }).checkpointNow('acme')).rejects.toThrow(
      'tenant acme: the tree has 290 leaves but was checkpointed at 300: events were removed',
    );
  });
});

describe('loadIntegrityOptions', () => {
  it('creates the key in the data directory, or takes VIGIL_SIGNING_KEY, and checks the origin prefix', async () => {
    const created = await loadIntegrityOptions({}, dir);
    expect(existsSync(path.join(dir, 'signing.key'))).toBe(true);
    expect(created.originPrefix).toBe('vigil');
    expect((await loadIntegrityOptions({}, dir)).signer.keyId).toBe(created.signer.keyId);
    const given = await loadIntegrityOptions({ VIGIL_SIGNING_KEY: formatSignerKey(signer), VIGIL_CHECKPOINT_ORIGIN_PREFIX: 'audit.example.com' }, dir);
    expect([given.signer.keyId, given.originPrefix]).toEqual([signer.keyId, 'audit.example.com']);
    const bad = await loadIntegrityOptions({ VIGIL_CHECKPOINT_ORIGIN_PREFIX: 'two words' }, dir).catch((err: unknown) => err);
    expect(bad).toBeInstanceOf(VigilError);
    expect((bad as VigilError).issues![0]!.path).toBe('VIGIL_CHECKPOINT_ORIGIN_PREFIX');
  });
});

describe('vigil serve', () => {
  const children = new Set<ChildProcess>();
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

  it('signs checkpoints of growing logs by itself, under the configured origin prefix', async () => {
    const adminKey = generateApiKey().token;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VIGIL_DATA_DIR: dir, VIGIL_ADMIN_KEY: adminKey, VIGIL_CHECKPOINT_ORIGIN_PREFIX: 'audit.example.com' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) resolve(m[1]!);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`server exited (${code}):\n${output}`)));
    });
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return (await res.json()) as Record<string, any>;
    };
    const events = (n: number) => ({ events: Array.from({ length: n }, () => ({ tenant: 'acme', action: 'secret.read', actor: { type: 'user', id: 'u_1' } })) });
    await call('POST', '/v1/events', events(10));
    // The first checkpoint: signed on request (there was none yet) or by the timer.
    expect((await call('GET', '/v1/audit/checkpoint?tenant=acme')).origin).toBe('audit.example.com/acme');
    const last = (await call('POST', '/v1/events', events(5))).events.at(-1).seq as number;
    // Reading the latest checkpoint never signs one; only the timer can make it grow.
    let latest = await call('GET', '/v1/audit/checkpoint?tenant=acme');
    while (latest.size !== last + 1) {
      await new Promise((r) => setTimeout(r, 100));
      latest = await call('GET', '/v1/audit/checkpoint?tenant=acme');
    }
    const key = parseVerifierKey((await call('GET', '/v1/audit/checkpoint/key')).key);
    expect(openCheckpoint(latest.note, key, 'audit.example.com/acme').size).toBe(last + 1);
    expect(existsSync(path.join(dir, 'signing.key'))).toBe(true);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
});
