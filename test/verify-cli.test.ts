/**
 * `vigil verify` on an intact log, against a real server on 127.0.0.1: online with the saved
 * state carried from run to run, bundles made and verified offline, and refusals of a wrong key,
 * a wrong tenant and an edited state file. (test/tamper.test.ts runs the real CLI on tampered logs.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/cli/client.js';
import { makeBundle, verifyBundle, verifyOnline, type Io, type VerifyOptions } from '../src/cli/verify.js';
import { formatVerifierKey, generateSigner, verifierOf } from '../src/integrity/note.js';
import { startHarness, type Harness } from './http-harness.js';

let h: Harness;
let url: string;
let auditor: string;
let writer: string;
let dir: string;
let pinned: string;

/** Captures what a command prints. */
function capture(): Io & { text: () => { out: string; err: string } } {
  const sink = () => {
    let text = '';
    const stream = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString()), done()) });
    return { stream, text: () => text };
  };
  const [out, err] = [sink(), sink()];
  return { out: out.stream, err: err.stream, text: () => ({ out: out.text(), err: err.text() }) };
}

async function online(options: VerifyOptions, key = auditor, tenant = 'acme') {
  const io = capture();
  const ok = await verifyOnline(new ApiClient({ url, key }), url, tenant, options, io);
  return { ok, ...io.text() };
}

async function offline(bundle: string, options: VerifyOptions, tenant?: string) {
  const io = capture();
  const ok = await verifyBundle(bundle, tenant, options, io);
  return { ok, ...io.text() };
}

async function send(count: number, from: number) {
  const events = Array.from({ length: count }, (_, i) => ({ action: 'secret.read', actor: { type: 'user', id: `u_${(from + i) % 5}` }, context: { i: from + i } }));
  expect((await h.send(writer, { events })).statusCode).toBe(201);
}

beforeAll(async () => {
  h = await startHarness();
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  [auditor, writer] = await Promise.all([h.key('auditor', 'acme'), h.key('writer', 'acme')]);
  pinned = (await h.get(auditor, '/v1/audit/checkpoint/key')).json<{ key: string }>().key;
  await send(250, 0);
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-verify-'));
});

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil verify, online', () => {
  it('verifies the log, saves the checkpoint, and checks the next run against it', async () => {
    const state = path.join(dir, 'state.json');
    const first = await online({ verifierKey: pinned, state });
    expect(first.ok, first.err).toBe(true);
    const size = (await h.store.treeHead('acme')).size;
    expect(first.out).toContain(`Checkpoint vigil/acme: ${size} events`);
    expect(first.out).toContain(`no checkpoint saved yet (${state})`);
    expect(first.out).toContain(`Recomputed ${size} leaves from the events`);
    expect(first.out).toMatch(new RegExp(`OK: vigil/acme verifies at size ${size}, root `));
    expect(first.err).toBe('');
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ origin: 'vigil/acme', size });

    await send(40, 250);
    await h.services.checkpointer.checkpointNow('acme');
    const second = await online({ verifierKey: pinned, state });
    expect(second.ok, second.err).toBe(true);
    expect(second.out).toContain(`extends the checkpoint saved at size ${size} (${state})`);
    expect(JSON.parse(readFileSync(state, 'utf8')).size).toBe((await h.store.treeHead('acme')).size);
  });

  it('warns when it trusts the key the log serves', async () => {
    const run = await online({ state: path.join(dir, 'served-key.json') });
    expect(run.ok).toBe(true);
    expect(run.err).toContain('warning: trusting the verifier key served by the log itself; pin the key');
  });

  it('refuses a checkpoint signed by another key, or for another tenant', async () => {
    const other = formatVerifierKey(verifierOf(generateSigner('vigil')));
    const wrongKey = await online({ verifierKey: other, state: path.join(dir, 'other-key.json') });
    expect(wrongKey.ok).toBe(false);
    expect(wrongKey.err).toContain('FAILED: the checkpoint does not verify: note has no signature by a known key');
    const platform = await online({ verifierKey: pinned, state: path.join(dir, 'prefix.json'), originPrefix: 'vigil.example.com' }, h.admin);
    expect(platform.ok).toBe(false);
    expect(platform.err).toContain('checkpoint is for origin "vigil/acme", expected "vigil.example.com/acme"');
  });

  it('refuses a state file that was edited', async () => {
    const state = path.join(dir, 'edited.json');
    expect((await online({ verifierKey: pinned, state })).ok).toBe(true);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    writeFileSync(state, JSON.stringify({ ...saved, note: saved.note.replace(/\n\d+\n/, '\n5\n') }));
    await expect(online({ verifierKey: pinned, state })).rejects.toThrow(/state file .*edited\.json: the saved checkpoint does not open with this verifier key/);
  });
});

describe('vigil verify, offline bundles', () => {
  it('makes a bundle from a running service and verifies it with nothing else', async () => {
    const bundle = path.join(dir, 'bundle');
    const io = capture();
    await makeBundle(new ApiClient({ url, key: auditor }), bundle, 'acme', io);
    const size = (await h.store.latestCheckpoint('acme'))!.size;
    expect(io.text().out).toContain(`Bundle of vigil/acme at size ${size}`);
    expect(readFileSync(path.join(bundle, 'events.jsonl'), 'utf8').trim().split('\n')).toHaveLength(size);
    expect(readFileSync(path.join(bundle, 'leaf-hashes.bin')).length).toBe(32 * size);

    const run = await offline(bundle, { verifierKey: pinned }, 'acme');
    expect(run.ok, run.err).toBe(true);
    expect(run.out).toContain(`OK: vigil/acme verifies at size ${size}`);
    // With the bundle's own key and the tenant read from the checkpoint, it says what it trusted.
    const trusting = await offline(bundle, {});
    expect(trusting.ok).toBe(true);
    expect(trusting.err).toContain('trusting the verifier key from the bundle itself');
    // Events alone (no leaf-hashes.bin) still make the signed root.
    rmSync(path.join(bundle, 'leaf-hashes.bin'));
    const alone = await offline(bundle, { verifierKey: pinned }, 'acme');
    expect(alone.ok, alone.err).toBe(true);
    expect(alone.out).toContain('no leaf-hashes.bin: a mismatch is found but not located');
    const otherTenant = await offline(bundle, { verifierKey: pinned }, 'globex');
    expect(otherTenant.err).toContain('expected "vigil/globex"');
  });
});
