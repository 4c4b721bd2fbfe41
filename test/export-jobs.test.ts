import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../src/domain/event.js';
import { loadExportSettings, type ExportSettings } from '../src/export/config.js';
import type { ExportJobView } from '../src/export/export-service.js';
import type { Manifest } from '../src/export/manifest.js';
import { openCheckpoint } from '../src/integrity/checkpoint.js';
import { generateSigner, verifierOf } from '../src/integrity/note.js';
import { MINUTE, T0 } from './support/events.js';
import { startAzurite, type LocalAzurite } from './support/azurite.js';
import { startExportApp, type ExportApp } from './support/export-app.js';
import { startS3, type LocalS3 } from './support/s3-server.js';

const signer = generateSigner('vigil-test');

describe('export jobs to every destination', () => {
  let s3: LocalS3;
  let azure: LocalAzurite;
  let dir: string;
  let settings: ExportSettings;
  let h: ExportApp;
  let auditor: string;

  beforeAll(async () => {
    [s3, azure] = await Promise.all([startS3(), startAzurite()]);
    await s3.createBucket('vigil-exports');
    await s3.createBucket('vigil-gcs');
    await azure.service.getContainerClient('exports').create();
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-dest-'));
    // Configured the way an operator would: JSON in VIGIL_EXPORT_DESTINATIONS, secrets from the environment.
    const env = {
      S3_SECRET: s3.credentials.secretAccessKey,
      AZURE_KEY: azure.accountKey,
      VIGIL_EXPORT_DESTINATIONS: JSON.stringify({
        s3: {
          type: 's3', bucket: 'vigil-exports', prefix: 'audit', region: 'us-east-1', endpoint: s3.endpoint, force_path_style: true,
          credentials: { access_key_id: s3.credentials.accessKeyId, secret_access_key: { env: 'S3_SECRET' } },
        },
        gcs: {
          type: 'gcs', bucket: 'vigil-gcs', endpoint: s3.endpoint, force_path_style: true,
          credentials: { access_key_id: s3.credentials.accessKeyId, secret_access_key: { env: 'S3_SECRET' } },
        },
        azure: { type: 'azure_blob', container: 'exports', prefix: 'vigil/', account: azure.account, account_key: { env: 'AZURE_KEY' }, endpoint: azure.endpoint },
        azure_cs: { type: 'azure_blob', container: 'exports', connection_string: azure.connectionString },
        local: { type: 'file', directory: dir },
      }),
    };
    settings = loadExportSettings(env, {});
    h = await startExportApp({ jobs: { exportSettings: settings }, integrity: { signer } });
    auditor = await h.key('auditor', 'acme');
    await h.fill('acme', 3000, (i) => ({
      atUs: T0 + i * MINUTE,
      action: i % 3 === 0 ? 'secret.read' : 'secret.update',
      resource: { type: 'secret', id: `s${i}`, name: i % 7 === 0 ? '=SUM(A1)' : `NAME_${i}`, path: `prod/${i}` },
    }));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await Promise.all([s3?.stop(), azure?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The bytes of an object, read back through the destination's own SDK (or the file system). */
  async function download(destination: string, key: string): Promise<Buffer> {
    const config = settings.destinations.get(destination)!;
    if (config.type === 's3' || config.type === 'gcs') {
      const out = await s3.client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    }
    if (config.type === 'azure_blob') return azure.service.getContainerClient(config.container).getBlobClient(key).downloadToBuffer();
    return readFileSync(path.join(dir, key));
  }

  async function runJob(body: object): Promise<ExportJobView> {
    const created = await h.request('POST', auditor, '/v1/audit/exports', body);
    expect(created.statusCode, created.body).toBe(202);
    expect(created.json()).toMatchObject({ state: 'pending', progress: { rows: 0, files: 0 } });
    await h.services.background.runner.runPending();
    const res = await h.request('GET', auditor, `/v1/audit/exports/${created.json().id}`);
    return res.json<ExportJobView>();
  }

  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  /** Every file matches its manifest entry; returns the events, in file order. */
  async function checkFiles(destination: string, manifest: Manifest): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    for (const file of manifest.files) {
      const bytes = await download(destination, file.key);
      expect(sha256(bytes)).toBe(file.sha256);
      expect(bytes.length).toBe(file.bytes);
      const text = (manifest.gzip ? gunzipSync(bytes) : bytes).toString('utf8');
      const rows =
        manifest.format === 'jsonl'
          ? text.trim().split('\n').map((l) => JSON.parse(l) as StoredEvent)
          : (parse(text, { columns: true }) as Record<string, string>[]).map((r) => ({ id: r.id, seq: Number(r.seq) }) as StoredEvent);
      expect(rows).toHaveLength(file.rows);
      expect(Math.min(...rows.map((r) => r.seq))).toBe(file.seq_min);
      expect(Math.max(...rows.map((r) => r.seq))).toBe(file.seq_max);
      events.push(...rows);
    }
    const uploaded = JSON.parse((await download(destination, manifest.files[0]!.key.replace(/part-\d+\..*$/, 'manifest.json'))).toString('utf8'));
    expect(uploaded).toEqual(manifest);
    return events;
  }

  const cases: [string, object, string][] = [
    ['s3', { format: 'jsonl', gzip: true }, 'audit/acme/exports/'],
    ['gcs', { format: 'csv' }, 'acme/exports/'],
    ['azure', { format: 'jsonl' }, 'vigil/acme/exports/'],
    ['azure_cs', { format: 'csv', gzip: true }, 'acme/exports/'],
    ['local', { format: 'jsonl', gzip: true }, 'acme/exports/'],
  ];
  it.each(cases)('%s: completes; the manifest matches the objects read back, and the rows match', async (destination, options, prefix) => {
    const job = await runJob({ destination, ...options, split_bytes: 64 * 1024, filters: { action: ['secret.read'] }, from: '2026-11-01T00:00:00Z' });
    expect(job.state, job.error ?? '').toBe('completed');
    const manifest = job.manifest!;
    expect(manifest.files.length).toBeGreaterThan(1);
    expect(manifest.files.every((f) => f.key.startsWith(`${prefix}${job.id}/part-`))).toBe(true);
    expect(manifest.rows).toBe(1000);
    expect(job.progress).toEqual({ rows: 1000, bytes: manifest.bytes, files: manifest.files.length });
    const events = await checkFiles(destination, manifest);
    const expected = await h.store.query({ tenant: 'acme', filter: { action: ['secret.read'] }, order: 'asc', limit: 5000 });
    expect(events.map((e) => e.seq)).toEqual(expected.map((r) => r.seq));
    if (manifest.format === 'jsonl') expect(events.map((e) => JSON.stringify(e))).toEqual(expected.map((r) => JSON.stringify(JSON.parse(r.body))));
    // The checkpoint is signed, covers the export, and names the tenant's log.
    expect(manifest.checkpoint!.size).toBeGreaterThanOrEqual(manifest.tree_size);
    expect(openCheckpoint(manifest.checkpoint!.note, verifierOf(signer), 'vigil/acme').size).toBe(manifest.checkpoint!.size);
    for (const secret of [azure.accountKey, azure.connectionString, s3.credentials.secretAccessKey]) expect(JSON.stringify(job)).not.toContain(secret);
  });

  it('refuses credentials in the request, unknown destinations and bad filters, naming the field', async () => {
    const inline = await h.request('POST', auditor, '/v1/audit/exports', {
      destination: { type: 's3', bucket: 'x', credentials: { access_key_id: 'AKIA…', secret_access_key: 'shh' } },
      format: 'csv',
    });
    expect(inline.statusCode).toBe(400);
    expect(inline.json().error.issues[0]).toMatchObject({ path: 'destination', message: expect.stringMatching(/never accepted/) });
    expect(inline.body).not.toContain('shh');
    const secretField = await h.request('POST', auditor, '/v1/audit/exports', { destination: 's3', format: 'csv', secret_access_key: 'shh' });
    expect(secretField.json().error.issues[0].path).toBe('secret_access_key');
    const unknown = await h.request('POST', auditor, '/v1/audit/exports', { destination: 'nowhere', format: 'csv' });
    expect(unknown.json().error.issues[0]).toMatchObject({ path: 'destination', message: expect.stringContaining('not configured') });
    const filter = await h.request('POST', auditor, '/v1/audit/exports', { destination: 's3', format: 'csv', filters: { success: 'maybe', limit: '5' } });
    expect(filter.json().error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['filters.limit']);
    const badValue = await h.request('POST', auditor, '/v1/audit/exports', { destination: 's3', format: 'csv', filters: { success: 'maybe' } });
    expect(badValue.json().error.issues[0].path).toBe('filters.success');
    const viewer = await h.key('viewer', 'acme');
    expect((await h.request('POST', viewer, '/v1/audit/exports', { destination: 's3', format: 'csv' })).statusCode).toBe(403);
    const jobs = await h.store.listJobs('acme', { kind: 'export', states: ['pending'], limit: 10 });
    expect(jobs).toEqual([]);
  });

  it('hides another tenant\'s job, and records each job as a vigil.export event', async () => {
    const job = await runJob({ destination: 'local', format: 'csv', filters: { action: ['secret.update'] } });
    const other = await h.key('auditor', 'globex');
    expect((await h.request('GET', other, `/v1/audit/exports/${job.id}`)).statusCode).toBe(404);
    const recorded = (await h.store.query({ tenant: 'acme', filter: { action: ['vigil.export'] }, order: 'asc', limit: 100 })).map(
      (r) => JSON.parse(r.body) as StoredEvent,
    );
    expect(recorded.find((e) => e.context?.job_id === job.id)?.context).toMatchObject({ delivery: 'job', destination: 'local', format: 'csv' });
  });

  it('fails a job whose destination left the configuration, with a clear reason', async () => {
    const created = (await h.request('POST', auditor, '/v1/audit/exports', { destination: 'local', format: 'csv' })).json<ExportJobView>();
    const without = { ...settings, destinations: new Map([...settings.destinations].filter(([name]) => name !== 'local')) };
    h = await h.restart({ exportSettings: without });
    await h.services.background.runner.runPending();
    const job = (await h.request('GET', auditor, `/v1/audit/exports/${created.id}`)).json<ExportJobView>();
    expect(job).toMatchObject({ state: 'failed', manifest: null, error: 'destination "local" is no longer in Vigil\'s configuration' });
    h = await h.restart({ exportSettings: settings });
  });
});
