import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ExportJobView } from '../export/export-service.js';
import { ApiError, fromErrorBody, type ApiClient } from './client.js';

/** Query parameters, each with its values (repeated flags). */
export type Params = Map<string, string[]>;

function search(params: Params): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, values] of params) for (const v of values) query.append(name, v);
  return query;
}

/** `vigil export`: streams GET /v1/audit/export to a file or stdout; returns the bytes written. */
export async function downloadExport(client: ApiClient, params: Params, format: string, out: Writable | string): Promise<number> {
  const query = search(params);
  query.set('format', format);
  const response = await client.fetch('GET', '/v1/audit/export', query);
  if (!response.ok) throw fromErrorBody(response.status, await response.json().catch(() => undefined));
  let bytes = 0;
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>).on('data', (c: Buffer) => (bytes += c.length));
  await pipeline(body, typeof out === 'string' ? createWriteStream(out) : out, { end: typeof out === 'string' });
  return bytes;
}

export interface ExportJobOptions {
  destination: string;
  format: string;
  gzip: boolean;
  splitBytes?: number;
  tenant?: string;
}

/** `vigil export job`: starts a job; with `wait`, polls until it ends. */
export async function startExportJob(
  client: ApiClient,
  params: Params,
  options: ExportJobOptions,
  wait: boolean,
  pollMs = 1000,
): Promise<ExportJobView> {
  const filters = Object.fromEntries([...params].filter(([name]) => name !== 'tenant'));
  const body = {
    destination: options.destination,
    format: options.format,
    gzip: options.gzip,
    filters,
    ...(options.splitBytes === undefined ? {} : { split_bytes: options.splitBytes }),
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
  };
  let job = await client.request<ExportJobView>('POST', '/v1/audit/exports', { body });
  while (wait && (job.state === 'pending' || job.state === 'running')) {
    await new Promise((r) => setTimeout(r, pollMs));
    job = await client.request<ExportJobView>('GET', `/v1/audit/exports/${job.id}`);
  }
  return job;
}

export async function exportJobStatus(client: ApiClient, id: string): Promise<ExportJobView> {
  return client.request<ExportJobView>('GET', `/v1/audit/exports/${encodeURIComponent(id)}`);
}

/** A job as lines for people: state, progress, and each file of the manifest. */
export function describeJob(job: ExportJobView): string {
  const lines = [
    `Export ${job.id} (${job.tenant} → ${job.destination}, ${job.format}${job.gzip ? '.gz' : ''}): ${job.state}`,
    `  ${job.progress.rows} rows, ${job.progress.bytes} bytes, ${job.progress.files} files`,
  ];
  if (job.error) lines.push(`  error: ${job.error}`);
  for (const f of job.manifest?.files ?? []) lines.push(`  ${f.key}  ${f.rows} rows  ${f.bytes} bytes  sha256 ${f.sha256}`);
  if (job.manifest) lines.push(`  tree size ${job.manifest.tree_size}, checkpoint ${job.manifest.checkpoint ? `at size ${job.manifest.checkpoint.size}` : 'none yet'}`);
  return `${lines.join('\n')}\n`;
}

/** Exit status for a job: a failed job is an error. */
export function jobFailed(job: ExportJobView): ApiError | null {
  return job.state === 'failed' ? new ApiError(`export ${job.id} failed: ${job.error ?? 'no reason given'}`, 0, 'CLI') : null;
}
