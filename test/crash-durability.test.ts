/**
 * Nothing acknowledged is lost: `vigil serve` runs as a child process, is killed with SIGKILL
 * right after a 201, and after each restart every acknowledged event is there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-crash-'));
const adminKey = generateApiKey().token;
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Server {
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/** Starts `vigil serve` on a free port of 127.0.0.1 and waits until it listens. */
async function startServer(): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VIGIL_DATA_DIR: dir, VIGIL_ADMIN_KEY: adminKey, VIGIL_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => (children.delete(child), resolve())));
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${output}`)));
  });
  return { url, child, exited };
}

async function post(url: string, key: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('crash durability', () => {
  it('keeps every acknowledged event across SIGKILLs right after a 201', async () => {
    const acknowledged: string[] = [];
    let writer = '';
    for (let cycle = 0; cycle < 3; cycle++) {
      const server = await startServer();
      if (!writer) {
        const res = await fetch(`${server.url}/v1/keys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'crash-writer', role: 'writer', tenant: 'acme' }),
        });
        expect(res.status).toBe(201);
        writer = ((await res.json()) as { secret: string }).secret;
      }
      // Many requests in flight; the process dies as soon as the first is acknowledged.
      const requests = Array.from({ length: 20 }, (_, r) => {
        const ids = Array.from({ length: 5 }, () => randomUUID());
        const body = { events: ids.map((id, i) => ({ id, action: 'secret.read', actor: { type: 'user', id: `u_${cycle}_${r}_${i}` } })) };
        return post(server.url, writer, body).then(
          (res) => {
            if (res.status === 201) {
              acknowledged.push(...ids);
              server.child.kill('SIGKILL');
            }
          },
          () => undefined, // connection cut by the kill: not acknowledged
        );
      });
      await Promise.all(requests);
      server.child.kill('SIGKILL');
      await server.exited;
    }
    expect(acknowledged.length).toBeGreaterThan(0);

    const server = await startServer();
    const reader = await fetch(`${server.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crash-reader', role: 'viewer', tenant: 'acme' }),
    });
    const viewer = ((await reader.json()) as { secret: string }).secret;
    const missing: string[] = [];
    for (const id of acknowledged) {
      const res = await fetch(`${server.url}/v1/audit/logs/${id}`, { headers: { authorization: `Bearer ${viewer}` } });
      if (res.status !== 200) missing.push(id);
    }
    expect(missing).toEqual([]);
    server.child.kill('SIGTERM');
    await server.exited;
  }, 120_000);
});
