/**
 * The real `vigil` CLI (run with tsx as a child process) against a real server listening on
 * 127.0.0.1: keys, ingest from a file and from stdin, query as a table and as NDJSON, and the
 * first start of `vigil serve`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './http-harness.js';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `vigil …args` to completion. */
function vigil(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(stdin ?? '');
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const actor = (i: number) => ({ type: 'user', id: `u_${i % 7}`, email: `user${i % 7}@acme.example` });

let h: Harness;
let url: string;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  h = await startHarness();
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  env = { VIGIL_URL: url, VIGIL_KEY: h.admin };
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-cli-'));
});

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil keys', () => {
  it('creates (secret on stdout only), lists and revokes keys', async () => {
    const created = await vigil(['keys', 'create', '--name', 'ci', '--role', 'writer', '--tenant', 'acme'], env);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^vk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const id = secret.slice(3, 15);
    expect(created.stderr).toContain(`Created key ${id}`);

    const listed = await vigil(['keys', 'list', '--tenant', 'acme'], env);
    expect(listed.stdout).toMatch(new RegExp(`^ID\\s+NAME\\s+ROLE`, 'm'));
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+ci\\s+writer\\s+acme`, 'm'));
    expect(listed.stdout).not.toContain(secret.slice(16));

    const revoked = await vigil(['keys', 'revoke', id], env);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked key ${id}`);
    const json = await vigil(['keys', 'list', '--tenant', 'acme', '--json'], env);
    const keys = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(keys.find((k) => k.id === id).revoked_at).toEqual(expect.any(String));
  });

  it('explains a refused request and exits non-zero', async () => {
    const res = await vigil(['keys', 'create', '--name', 'x', '--role', 'viewer', '--tenant', 'acme'], { ...env, VIGIL_KEY: 'vk_000000000000_' + 'A'.repeat(43) });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('VIGIL_ERR_UNAUTHENTICATED (401)');
    const invalid = await vigil(['keys', 'create', '--name', 'x', '--role', 'root'], env);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toMatch(/root/);
  });
});

describe('vigil ingest and query', () => {
  it('ingests an NDJSON file in batches, then queries it as a table, as NDJSON, and across pages', async () => {
    const file = path.join(dir, 'events.ndjson');
    const lines = Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify({ action: i % 3 ? 'secret.read' : 'secret.set', actor: actor(i), resource: { type: 'secret', path: `prod/s${i % 4}` }, context: { i } }),
    );
    writeFileSync(file, `${lines.slice(0, 600).join('\n')}\n\n${lines.slice(600).join('\n')}\n`);
    const ingested = await vigil(['ingest', file, '--tenant', 'cli'], env);
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(ingested.stdout).toContain('Stored 1200 events (0 already present)');
    expect(ingested.stderr).toBe(''); // not a terminal: no progress line
    expect((await h.stored('cli')).length).toBe(1200);

    const table = await vigil(['query', '--tenant', 'cli', '--action', 'secret.set', '--actor-id', 'u_0', '--limit', '5'], env);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^TIME\s+ACTION\s+ACTOR\s+RESOURCE\s+OUTCOME\s+SOURCE$/);
    expect(rows.slice(1)).toHaveLength(5);
    for (const row of rows.slice(1)) expect(row).toMatch(/secret\.set\s+user0@acme\.example\s+prod\/s\d\s+ok/);

    const all = await vigil(['query', '--tenant', 'cli', '--json', '--all', '--limit', '500', '--order', 'asc'], env);
    const events = all.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.context.i)).toEqual([...Array(1200).keys()]);

    const trail = await vigil(['query', '--tenant', 'cli', '--secret', 'prod/s1', '--json', '--all'], env);
    expect(trail.stdout.trim().split('\n')).toHaveLength(300);
  });

  it('ingests from stdin', async () => {
    const stdin = [{ action: 'user.login', actor: actor(1), log: 'user' }, { action: 'user.logout', actor: actor(1), log: 'user' }].map((e) => JSON.stringify(e)).join('\n');
    const res = await vigil(['ingest', '--tenant', 'stdin'], env, stdin);
    expect(res.code, res.stderr).toBe(0);
    expect((await h.stored('stdin')).map((e) => e.action)).toEqual(['user.login', 'user.logout']);
  });

  it('stops at a malformed line, naming it', async () => {
    const file = path.join(dir, 'bad.ndjson');
    writeFileSync(file, [JSON.stringify({ action: 'a.b', actor: actor(1) }), '{"action": "a.b", ', JSON.stringify({ action: 'a.c', actor: actor(1) })].join('\n'));
    const res = await vigil(['ingest', file, '--tenant', 'bad'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^line 2: not valid JSON/);
    expect(await h.stored('bad')).toEqual([]);
  });

  it('maps the server\'s field errors to line numbers', async () => {
    const file = path.join(dir, 'invalid.ndjson');
    writeFileSync(file, ['', JSON.stringify({ action: 'a.b', actor: actor(1) }), JSON.stringify({ action: 'a.b', actor: { type: 'robot', id: 'r' } })].join('\n'));
    const res = await vigil(['ingest', file, '--tenant', 'invalid'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('VIGIL_ERR_VALIDATION (400)');
    expect(res.stderr).toContain('line 3: actor.type: must be one of');
    expect(await h.stored('invalid')).toEqual([]);
  });
});

describe('vigil serve', () => {
  it('prints a new admin key once on first start, then never again', async () => {
    const data = path.join(dir, 'first-start');
    const serveEnv = { PORT: '0', HOST: '127.0.0.1', VIGIL_DATA_DIR: data, VIGIL_LOG_LEVEL: 'warn', VIGIL_ADMIN_KEY: '' };
    const first = await serveUntilListening(serveEnv);
    const keys = first.match(/vk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(keys).toHaveLength(1);
    const second = await serveUntilListening(serveEnv);
    expect(second).not.toMatch(/vk_/);
  }, 60_000);

  it('refuses a bad configuration, naming the variable', async () => {
    const res = await vigil(['serve'], { PORT: 'eighty', VIGIL_DATA_DIR: path.join(dir, 'bad-config') });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('PORT: must be an integer from 0 to 65535');
  });
});

/** Starts `vigil serve`, waits for its first /readyz, stops it with SIGTERM, returns its stdout. */
async function serveUntilListening(serveEnv: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], { cwd: ROOT, env: { ...process.env, ...serveEnv, VIGIL_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stdout}`)));
  });
  const base = await listening;
  expect((await fetch(`${base}/readyz`)).status).toBe(200);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  // The request log is written in batches and flushed on the way out.
  expect(stdout).toContain('"url":"/readyz"');
  return stdout;
}
