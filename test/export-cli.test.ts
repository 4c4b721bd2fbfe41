/** `vigil export` and `vigil retention`, run as the real CLI (tsx child process) against a server on 127.0.0.1. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExportSettings } from '../src/export/config.js';
import { nowMicros } from '../src/domain/time.js';
import { startExportApp, type ExportApp } from './support/export-app.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function vigil(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let h: ExportApp;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-cli-export-'));
  const exportSettings = loadExportSettings({ VIGIL_EXPORT_DESTINATIONS: JSON.stringify({ local: { type: 'file', directory: path.join(dir, 'out') } }) }, {});
  h = await startExportApp({ jobs: { exportSettings, runner: { pollMs: 100 } } });
  const now = nowMicros();
  await h.fill('acme', 120, (i) => ({ atUs: now - (i < 20 ? 400 : 1) * 86_400e6 + i * 1e6, action: i % 2 ? 'secret.read' : 'secret.update' }));
  h.services.background.start();
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  env = { VIGIL_URL: url, VIGIL_KEY: h.admin };
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil export', () => {
  it('streams a filtered export to a file', async () => {
    const file = path.join(dir, 'reads.jsonl');
    const run = await vigil(['export', '--tenant', 'acme', '--format', 'jsonl', '--action', 'secret.read', '-o', file], env);
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string });
    expect(lines).toHaveLength(60);
    expect(lines.every((e) => e.action === 'secret.read')).toBe(true);
  });

  it('runs a job to a configured destination and prints its manifest; reports errors by field', async () => {
    const run = await vigil(['export', 'job', '--tenant', 'acme', '--destination', 'local', '--format', 'csv', '--wait'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/: completed\n/);
    expect(run.stdout).toMatch(/acme\/exports\/[0-9a-f-]+\/part-00001\.csv {2}\d+ rows {2}\d+ bytes {2}sha256 [0-9a-f]{64}/);
    const bad = await vigil(['export', 'job', '--tenant', 'acme', '--destination', 'nowhere'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/destination: "nowhere" is not configured/);
  }, 120_000);
});

describe('vigil retention', () => {
  it('sets a policy and a hold, and runs retention', async () => {
    const set = await vigil(['retention', 'set', 'acme', '--days', '365'], env);
    expect(set.stdout).toBe('acme: 365 days; archive: none; legal hold: off\n');
    await vigil(['retention', 'hold', 'acme', '--reason', 'audit 2026'], env);
    const held = await vigil(['retention', 'run', '--tenant', 'acme', '--wait'], env);
    expect(held.stdout).toMatch(/Nothing to purge/);
    expect((await vigil(['retention', 'get', 'acme'], env)).stdout).toMatch(/legal hold: ON \(audit 2026\)/);
    await vigil(['retention', 'hold', 'acme', '--release'], env);
    const run = await vigil(['retention', 'run', '--tenant', 'acme', '--wait'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^acme: run [0-9a-f-]+ completed: purged 20 events older than /);
    const bad = await vigil(['retention', 'set', 'acme', '--days', 'forever'], env);
    expect(bad.stderr).toMatch(/days: must be a whole number of days/);
  }, 180_000);
});
