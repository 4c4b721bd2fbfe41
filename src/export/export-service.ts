import { randomUUID } from 'node:crypto';
import { pendingJob } from './jobs/pending-job.js';
import type { Readable } from 'node:stream';
import { principalActor, type EventSink } from '../auth/key-service.js';
import { readTenant, requirePermission, type Principal } from '../auth/principal.js';
import { invalid, VigilError, type FieldIssue } from '../domain/errors.js';
import type { EventInput } from '../domain/event.js';
import type { EventFilter } from '../domain/filter.js';
import { formatMicros, nowMicros } from '../domain/time.js';
import { parseQuery, type RawQuery } from '../query/parse-filters.js';
import type { JobRecord, Store } from '../store/store.js';
import { MIN_SPLIT_BYTES, type ExportSettings } from './config.js';
import type { ExportJobSpec } from './export-job.js';
import type { FilesProgress } from './file-writer.js';
import { EXPORT_FORMATS, FORMATS, isExportFormat, type ExportFormatName } from './format.js';
import type { Manifest } from './manifest.js';
import { exportStream } from './stream.js';

/** A streamed export, ready to send. */
export interface ExportDownload {
  stream: Readable;
  contentType: string;
  filename: string;
}

/** An export job as the API shows it. */
export interface ExportJobView {
  id: string;
  tenant: string;
  state: JobRecord['state'];
  destination: string;
  format: ExportFormatName;
  gzip: boolean;
  split_bytes: number;
  filter: EventFilter;
  created_at: string;
  updated_at: string;
  attempts: number;
  progress: { rows: number; bytes: number; files: number };
  manifest: Manifest | null;
  error: string | null;
}

/** Fields of an export job request. */
const JOB_FIELDS = ['destination', 'format', 'filters', 'from', 'to', 'gzip', 'split_bytes', 'tenant'];
/** Names that mean someone tried to send credentials; refused with a message that says so. */
const CREDENTIAL_FIELDS = /^(credentials?|access_?key(_?id)?|secret(_?access_?key)?|session_?token|connection_?string|account_?key|sas(_?token)?|password|token)$/i;
/** Parameters that page a listing and mean nothing for an export (it has no row cap). */
const PAGING = ['limit', 'cursor'];
/** Longest filter text kept in the `vigil.export` event. */
const MAX_FILTER_TEXT = 1000;

/**
 * Exports (DESIGN.md §6): streamed downloads and jobs to configured destinations. Every export
 * is recorded in the tenant's log as `vigil.export` (who, format, filter) before any data leaves.
 */
export class ExportService {
  constructor(
    private readonly store: Store,
    private readonly sink: EventSink,
    private readonly settings: ExportSettings,
    /** Called when a job was created, so an idle runner picks it up at once. */
    private readonly jobCreated: () => void = () => undefined,
    private readonly now: () => number = nowMicros,
  ) {}

  /** `GET /v1/audit/export`: every matching event, streamed in constant memory. */
  async download(principal: Principal, raw: RawQuery): Promise<ExportDownload> {
    requirePermission(principal, 'export');
    const { format: formatParam, ...query } = raw;
    const format = formatParam === undefined ? 'csv' : String(formatParam);
    const issues: FieldIssue[] = [];
    if (!isExportFormat(format)) issues.push({ path: 'format', message: `"${format}" is not one of ${EXPORT_FORMATS.join(', ')}` });
    for (const p of PAGING) if (p in query) issues.push({ path: p, message: 'an export has no pages and no row cap; leave it out' });
    if (issues.length > 0) throw invalid(issues);
    const parsed = parseQuery(query, this.now());
    const tenant = readTenant(principal, parsed.tenant);
    const { size } = await this.store.treeHead(tenant);
    await this.sink.record(tenant, exportEvent(principal, { format, delivery: 'download', filter: filterText(query) }));
    const stamp = formatMicros(this.now()).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return {
      stream: exportStream(this.store, { tenant, filter: parsed.filter, order: parsed.order, belowSeq: size }, FORMATS[format as ExportFormatName]),
      contentType: FORMATS[format as ExportFormatName].contentType,
      filename: `vigil-${tenant}-${stamp}.${FORMATS[format as ExportFormatName].extension}`,
    };
  }

  /** `POST /v1/audit/exports`: validates, records and queues an export job. */
  async createJob(principal: Principal, body: unknown): Promise<ExportJobView> {
    requirePermission(principal, 'export');
    const request = this.checkJobRequest(body);
    const tenant = readTenant(principal, request.tenant);
    const destination = this.settings.destinations.get(request.destination)!;
    const id = randomUUID();
    const { size } = await this.store.treeHead(tenant);
    const spec: ExportJobSpec = {
      destination: request.destination,
      format: request.format,
      gzip: request.gzip,
      splitBytes: request.splitBytes,
      filter: request.filter,
      belowSeq: size,
      keyPrefix: `${destination.prefix}${tenant}/exports/${id}/`,
      requestedBy: principalActor(principal),
    };
    await this.sink.record(
      tenant,
      exportEvent(principal, { format: request.format, delivery: 'job', destination: request.destination, job_id: id, filter: request.filterText }),
    );
    const job = pendingJob(id, tenant, 'export', spec);
    await this.store.createJob(job);
    this.jobCreated();
    return jobView(job);
  }

  /** `GET /v1/audit/exports/{id}`: a job of the caller's tenant (any tenant for a platform key). */
  async getJob(principal: Principal, id: string): Promise<ExportJobView> {
    requirePermission(principal, 'export');
    const job = await this.store.getJob(id);
    // Another tenant's job looks exactly like a missing one.
    if (!job || job.kind !== 'export' || (principal.tenant !== null && job.tenant !== principal.tenant)) {
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `no export job with id "${id}"`);
    }
    return jobView(job);
  }

  /** `GET /v1/audit/exports`: the tenant's latest export jobs, newest first. */
  async listJobs(principal: Principal, tenant: string | undefined): Promise<ExportJobView[]> {
    requirePermission(principal, 'export');
    const jobs = await this.store.listJobs(readTenant(principal, tenant), { kind: 'export', limit: 100 });
    return jobs.map(jobView);
  }

  private checkJobRequest(body: unknown): {
    destination: string;
    format: ExportFormatName;
    gzip: boolean;
    splitBytes: number;
    filter: EventFilter;
    filterText: string;
    tenant?: string;
  } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalid([{ path: 'body', message: 'must be an object such as {"destination": "archive", "format": "jsonl"}' }]);
    }
    const b = body as Record<string, unknown>;
    refuseCredentials(b);
    const issues: FieldIssue[] = [];
    for (const key of Object.keys(b)) if (!JOB_FIELDS.includes(key)) issues.push({ path: key, message: 'unknown field' });
    const destination = b.destination;
    if (typeof destination !== 'string') {
      issues.push({ path: 'destination', message: 'is required: the name of a destination in Vigil\'s configuration' });
    } else if (!this.settings.destinations.has(destination)) {
      const known = [...this.settings.destinations.keys()];
      issues.push({ path: 'destination', message: `"${destination}" is not configured${known.length ? ` (configured: ${known.join(', ')})` : ' (none is configured: see VIGIL_CONFIG)'}` });
    }
    if (!isExportFormat(b.format)) issues.push({ path: 'format', message: `is required: one of ${EXPORT_FORMATS.join(', ')}` });
    if (b.gzip !== undefined && typeof b.gzip !== 'boolean') issues.push({ path: 'gzip', message: 'must be true or false' });
    const splitBytes = b.split_bytes ?? this.settings.splitBytes;
    if (!Number.isSafeInteger(splitBytes) || (splitBytes as number) < MIN_SPLIT_BYTES) {
      issues.push({ path: 'split_bytes', message: `must be an integer of at least ${MIN_SPLIT_BYTES}` });
    }
    if (b.tenant !== undefined && typeof b.tenant !== 'string') issues.push({ path: 'tenant', message: 'must be a string' });
    const filters = b.filters ?? {};
    if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) {
      issues.push({ path: 'filters', message: 'must be an object of query filters, such as {"action": ["secret.read"]}' });
    }
    if (issues.length > 0) throw invalid(issues);
    const raw: RawQuery = { ...(filters as RawQuery) };
    for (const key of [...PAGING, 'order', 'tenant']) {
      if (key in raw) issues.push({ path: `filters.${key}`, message: 'is not a filter of an export job' });
    }
    for (const key of ['from', 'to'] as const) {
      if (b[key] === undefined) continue;
      if (key in raw) issues.push({ path: key, message: `give ${key} once, either here or in filters` });
      else raw[key] = b[key];
    }
    if (issues.length > 0) throw invalid(issues);
    const filter = parseFilters(raw, this.now());
    return {
      destination: destination as string,
      format: b.format as ExportFormatName,
      gzip: b.gzip === true,
      splitBytes: splitBytes as number,
      filter,
      filterText: filterText(raw),
      ...(b.tenant === undefined ? {} : { tenant: b.tenant as string }),
    };
  }
}

/** Job filters are query parameters; their issues are reported under `filters.`. */
function parseFilters(raw: RawQuery, nowUs: number): EventFilter {
  try {
    return parseQuery(raw, nowUs).filter;
  } catch (err) {
    if (err instanceof VigilError && err.issues) {
      throw invalid(err.issues.map((i) => ({ ...i, path: i.path === 'from' || i.path === 'to' ? i.path : `filters.${i.path}` })));
    }
    throw err;
  }
}

function refuseCredentials(body: Record<string, unknown>): void {
  const inline = Object.keys(body).filter((k) => CREDENTIAL_FIELDS.test(k));
  const described = typeof body.destination === 'object' && body.destination !== null;
  if (inline.length === 0 && !described) return;
  const path = described ? 'destination' : inline.join(', ');
  throw invalid([{
    path,
    message: 'credentials and destination details are never accepted in a request: name a destination configured in Vigil (VIGIL_CONFIG or VIGIL_EXPORT_DESTINATIONS)',
  }]);
}

/** The filter as a query string, for people reading the `vigil.export` event. */
function filterText(raw: RawQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(raw)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
  }
  const text = params.toString();
  return text.length > MAX_FILTER_TEXT ? `${text.slice(0, MAX_FILTER_TEXT)}…` : text;
}

function exportEvent(principal: Principal, context: Record<string, string>): EventInput {
  return {
    log: 'audit',
    action: 'vigil.export',
    category: 'vigil',
    actor: principalActor(principal),
    source: 'api',
    outcome: { success: true },
    context,
  };
}

function jobView(job: JobRecord): ExportJobView {
  const spec = JSON.parse(job.spec) as ExportJobSpec;
  const progress = job.progress ? (JSON.parse(job.progress) as FilesProgress) : null;
  return {
    id: job.id,
    tenant: job.tenant,
    state: job.state,
    destination: spec.destination,
    format: spec.format,
    gzip: spec.gzip,
    split_bytes: spec.splitBytes,
    filter: spec.filter,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    attempts: job.attempts,
    progress: { rows: progress?.rows ?? 0, bytes: progress?.bytes ?? 0, files: progress?.files.length ?? 0 },
    manifest: job.state === 'completed' && job.result ? (JSON.parse(job.result) as Manifest) : null,
    error: job.error,
  };
}
