import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { loadExportSettings } from '../src/export/config.js';
import type { ExportJobView } from '../src/export/export-service.js';
import type { FilesProgress } from '../src/export/file-writer.js';
import type { JobUpdate, Store } from '../src/store/store.js';
import { MINUTE, T0 } from './support/events.js';
import { startExportApp, type ExportApp } from './support/export-app.js';


/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('an export job interrupted by a restart', () => {
  let h: ExportApp | undefined;
  afterEach(async () => h?.close());

  it('resumes after its last completed file and completes, with every row exactly once', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'vigil-restart-'));
    const dir = path.join(base, 'exports');
    const settings = loadExportSettings({ VIGIL_EXPORT_DESTINATIONS: JSON.stringify({ local: { type: 'file', directory: dir } }) }, {});
    const afterSecondFile = gate();
    h = await startExportApp({
      dir: base,
      jobs: { exportSettings: settings },
      // Holds the runner right after it saved its second file, so that the server stops there.
      wrap: (store) =>
        Object.create(store, {
          updateJob: {
            value: async (id: string, owner: string, update: JobUpdate) => {
              const held = await store.updateJob(id, owner, update);
              if (update.progress && (JSON.parse(update.progress) as FilesProgress).files.length === 2) await afterSecondFile.pass();
              return held;
            },
          },
        }) as Store,
    });
    const auditor = await h.key('auditor', 'acme');
    await h.fill('acme', 2000, (i) => ({ atUs: T0 + i * MINUTE }));
    const created = (await h.request('POST', auditor, '/v1/audit/exports', { destination: 'local', format: 'jsonl', split_bytes: 100_000 })).json<ExportJobView>();
    h.services.background.runner.start();
    await afterSecondFile.reached;

    // The server stops while the job is between files (its third file not yet written).
    const closing = h.close({ keepFiles: true });
    afterSecondFile.open();
    await closing;

    h = await startExportApp({ dir: base, admin: h.admin, jobs: { exportSettings: settings } });
    const left = (await h.store.getJob(created.id))!;
    expect(left.state).toBe('running');
    const before = JSON.parse(left.progress!) as FilesProgress;
    expect(before.files).toHaveLength(2);

    expect(await h.services.background.runner.runPending()).toBe(1);
    const job = (await h.request('GET', auditor, `/v1/audit/exports/${created.id}`)).json<ExportJobView>();
    expect(job).toMatchObject({ state: 'completed', attempts: 2, error: null });
    const manifest = job.manifest!;
    expect(manifest.files.length).toBeGreaterThan(3);
    expect(manifest.files.slice(0, 2)).toEqual(before.files);
    expect(manifest.files.map((f) => path.basename(f.key))).toEqual(manifest.files.map((_, i) => `part-${String(i + 1).padStart(5, '0')}.jsonl`));
    // Nothing half-written is left behind, and nothing but the manifest's files.
    expect(filesUnder(dir)).toEqual([...manifest.files.map((f) => f.key), `acme/exports/${created.id}/manifest.json`].sort());
    const exported = manifest.files.flatMap((f) => readFileSync(path.join(dir, f.key), 'utf8').trim().split('\n'));
    const expected = (await h.store.query({ tenant: 'acme', filter: {}, order: 'asc', limit: 10_000 })).filter((r) => r.seq < manifest.tree_size);
    expect(exported).toEqual(expected.map((r) => r.body));
    expect(manifest.rows).toBe(expected.length);
  });

  it('fails a job that keeps being interrupted, saying so, instead of trying forever', async () => {
    h = await startExportApp({ jobs: { exportSettings: loadExportSettings({ VIGIL_EXPORT_DESTINATIONS: '{"local": {"type": "file", "directory": "/nonexistent-never-written"}}' }, {}) } });
    const auditor = await h.key('auditor', 'acme');
    const created = (await h.request('POST', auditor, '/v1/audit/exports', { destination: 'local', format: 'csv' })).json<ExportJobView>();
    // Three runners took the job and died without a word (their heartbeats stopped long ago).
    for (const dead of ['dead-1', 'dead-2', 'dead-3']) {
      expect((await h.store.claimJob(dead, '2999-01-01T00:00:00.000Z', '2000-01-01T00:00:00.000Z'))?.id).toBe(created.id);
    }
    await h.services.background.runner.runPending();
    const job = (await h.request('GET', auditor, `/v1/audit/exports/${created.id}`)).json<ExportJobView>();
    expect(job).toMatchObject({ state: 'failed', attempts: 4, manifest: null });
    expect(job.error).toMatch(/interrupted 3 times without finishing/);
  });

  it('survives the server being killed mid-job (SIGKILL): the next start completes it, every row once', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'vigil-crash-'));
    const dir = path.join(base, 'exports');
    const settings = loadExportSettings({ VIGIL_EXPORT_DESTINATIONS: JSON.stringify({ local: { type: 'file', directory: dir } }) }, {});
    h = await startExportApp({ dir: base, jobs: { exportSettings: settings } });
    const auditor = await h.key('auditor', 'acme');
    await h.fill('acme', 8_000, (i) => ({ atUs: T0 + i * MINUTE }));
    const created = (await h.request('POST', auditor, '/v1/audit/exports', { destination: 'local', format: 'jsonl', split_bytes: 10_000 })).json<ExportJobView>();
    const admin = h.admin;
    await h.close({ keepFiles: true });
    h = undefined;

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/export-child.ts', base, dir, admin], {
      cwd: path.resolve(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => child.stdout!.on('data', (c: Buffer) => c.toString().includes('running') && resolve()));
    // Kill it as soon as a few files are written (read through a second connection, as an operator would).
    const watcher = new Database(path.join(base, 'vigil.db'), { readonly: true });
    for (;;) {
      const row = watcher.prepare('SELECT state, progress FROM jobs WHERE id = ?').get(created.id) as { state: string; progress: string | null };
      if (row.state !== 'pending' && (row.state !== 'running' || (row.progress && (JSON.parse(row.progress) as FilesProgress).files.length >= 3))) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    watcher.close();
    child.kill('SIGKILL');
    await exited;

    h = await startExportApp({ dir: base, admin, jobs: { exportSettings: settings } });
    const killed = (await h.store.getJob(created.id))!;
    await h.services.background.runner.runPending();
    const job = (await h.request('GET', auditor, `/v1/audit/exports/${created.id}`)).json<ExportJobView>();
    expect(job.state, job.error ?? '').toBe('completed');
    // Killed mid-job (the usual case here: 8,000 rows in ~600 files) means taken up a second time.
    if (killed.state === 'running') expect(job.attempts).toBe(2);
    const manifest = job.manifest!;
    expect(filesUnder(dir)).toEqual([...manifest.files.map((f) => f.key), `acme/exports/${created.id}/manifest.json`].sort());
    const exported = manifest.files.flatMap((f) => {
      const bytes = readFileSync(path.join(dir, f.key));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
      return bytes.toString('utf8').trim().split('\n');
    });
    const expected = (await h.store.query({ tenant: 'acme', filter: {}, order: 'asc', limit: 100_000 })).filter((r) => r.seq < manifest.tree_size);
    expect(exported).toEqual(expected.map((r) => r.body));
  }, 180_000);
});

