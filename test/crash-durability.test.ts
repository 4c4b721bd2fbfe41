/**
 * Nothing acknowledged is lost: `vigil serve` runs as a child process, is killed with SIGKILL
 * right after a 201, and after each restart every acknowledged event is there.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key.js';
import { startVigil, type VigilProcess } from './support/vigil-process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-crash-'));
const adminKey = generateApiKey().token;
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startServer(): Promise<VigilProcess> {
  return startVigil({ VIGIL_DATA_DIR: dir, VIGIL_ADMIN_KEY: adminKey }).then((server) => {
    children.add(server.child);
    void server.exited.then(() => children.delete(server.child));
    return server;
  });
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
    await server.stop();
  }, 120_000);

  it('leaves no write-ahead log after a clean stop, an export\'s threads included', async () => {
    const server = await startServer();
    const key = async (role: string) => {
      const res = await fetch(`${server.url}/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `stop-${role}`, role, tenant: 'stop' }),
      });
      return ((await res.json()) as { secret: string }).secret;
    };
    const events = Array.from({ length: 50 }, () => ({ action: 'secret.read', actor: { type: 'user', id: 'u_stop' } }));
    expect((await post(server.url, await key('writer'), { events })).status).toBe(201);
    // The export's threads read the store on connections of their own, and outlive the download by 30 s.
    const exported = await fetch(`${server.url}/v1/audit/export?format=jsonl`, { headers: { authorization: `Bearer ${await key('auditor')}` } });
    const lines = (await exported.text()).trim().split('\n');
    expect(lines.filter((line) => line.includes('"action":"secret.read"'))).toHaveLength(50);
    await server.stop();
    expect(server.child.exitCode).toBe(0);
    expect(existsSync(path.join(dir, 'vigil.db-wal'))).toBe(false);
  }, 60_000);
});
