import { randomUUID } from 'node:crypto';
import { pendingJob } from '../export/jobs/pending-job.js';
import { principalActor, type EventSink } from '../auth/key-service.js';
import { readTenant, requirePermission, writeTenant, type Principal } from '../auth/principal.js';
import { invalid, VigilError, type FieldIssue } from '../domain/errors.js';
import type { Actor } from '../domain/event.js';
import { MAX_CONTEXT_STRING_LENGTH } from '../domain/limits.js';
import { nowMicros } from '../domain/time.js';
import type { ExportSettings } from '../export/config.js';
import type { ExportJobSpec } from '../export/export-job.js';
import type { JobRecord, RetentionSettings, Store } from '../store/store.js';
import { MAX_RETENTION_DAYS, RETENTION_PRESETS, type RetentionConfig } from './config.js';
import type { RetentionJobSpec, RetentionResult } from './retention-job.js';

const DAY_US = 86_400_000_000;

/** A tenant's retention as the API shows it. */
export interface RetentionView {
  tenant: string;
  /** The tenant's own policy in days; null when it follows the platform default. */
  days: number | null;
  /** What applies: the tenant's days, else the platform default; null keeps events forever. */
  effective_days: number | null;
  default_days: number | null;
  presets: number[];
  archive_destination: string | null;
  legal_hold: { enabled: boolean; reason: string | null };
  updated_at: string | null;
}

/** A retention run as the API shows it. */
export interface RetentionRunView {
  id: string;
  tenant: string;
  state: JobRecord['state'];
  days: number;
  cutoff_us: number;
  archive_destination: string | null;
  created_at: string;
  updated_at: string;
  progress: { purged: number; archived_rows: number };
  result: RetentionResult | null;
  error: string | null;
}

/**
 * Per-tenant retention (DESIGN.md §7): the policy, the legal hold, and queueing retention runs
 * (jobs run by the job runner). Every change is recorded in the tenant's log before it applies.
 */
export class RetentionService {
  constructor(
    private readonly store: Store,
    private readonly sink: EventSink,
    private readonly config: RetentionConfig,
    private readonly exportSettings: ExportSettings,
    private readonly jobCreated: () => void = () => undefined,
    private readonly now: () => number = nowMicros,
  ) {}

  async get(principal: Principal, tenant: string): Promise<RetentionView> {
    requirePermission(principal, 'read');
    const name = readTenant(principal, tenant);
    return this.view(name, await this.store.getRetention(name));
  }

  /** `PUT /v1/tenants/{tenant}/retention` `{days, archive_destination?}`. */
  async setPolicy(principal: Principal, tenant: string, body: unknown): Promise<RetentionView> {
    requirePermission(principal, 'manage');
    const name = writeTenant(principal, tenant, 'tenant');
    const input = this.checkPolicy(body);
    const current = await this.store.getRetention(name);
    const next: RetentionSettings = {
      ...(current ?? { tenant: name, legalHold: false, legalHoldReason: null }),
      days: input.days,
      archiveDestination: input.archiveDestination === undefined ? current?.archiveDestination ?? null : input.archiveDestination,
      updatedAt: new Date().toISOString(),
    };
    await this.sink.record(name, {
      log: 'audit',
      action: 'vigil.retention.updated',
      category: 'vigil',
      actor: principalActor(principal),
      resource: { type: 'retention_policy', id: name },
      source: 'api',
      outcome: { success: true },
      changes: [
        { field: 'days', old: current?.days ?? null, new: next.days },
        { field: 'archive_destination', old: current?.archiveDestination ?? null, new: next.archiveDestination },
      ],
      context: { effective_days: next.days ?? this.config.defaultDays ?? 0 },
    });
    await this.store.putRetention(next);
    return this.view(name, next);
  }

  /** `PUT /v1/tenants/{tenant}/legal-hold` `{enabled, reason}`: a hold suspends every purge of the tenant. */
  async setLegalHold(principal: Principal, tenant: string, body: unknown): Promise<RetentionView> {
    requirePermission(principal, 'manage');
    const name = writeTenant(principal, tenant, 'tenant');
    const { enabled, reason } = checkHold(body);
    const current = await this.store.getRetention(name);
    const next: RetentionSettings = {
      ...(current ?? { tenant: name, days: null, archiveDestination: null }),
      legalHold: enabled,
      legalHoldReason: enabled ? reason : null,
      updatedAt: new Date().toISOString(),
    };
    await this.sink.record(name, {
      log: 'audit',
      action: 'vigil.legal_hold.updated',
      category: 'vigil',
      actor: principalActor(principal),
      resource: { type: 'legal_hold', id: name },
      source: 'api',
      outcome: { success: true },
      changes: [{ field: 'enabled', old: current?.legalHold ?? false, new: enabled }],
      context: { enabled, ...(reason ? { reason } : {}) },
    });
    await this.store.putRetention(next);
    return this.view(name, next);
  }

  /** `POST /v1/retention/runs`: queues a run for one tenant, or (platform admins) every tenant. */
  async requestRuns(principal: Principal, tenant: string | undefined): Promise<RetentionRunView[]> {
    requirePermission(principal, 'manage');
    const tenants = principal.tenant === null && tenant === undefined ? await this.store.tenants() : [writeTenant(principal, tenant, 'tenant')];
    const jobs = await this.enqueue(tenants, principalActor(principal));
    return jobs.map(runView);
  }

  async getRun(principal: Principal, id: string): Promise<RetentionRunView> {
    requirePermission(principal, 'read');
    const job = await this.store.getJob(id);
    if (!job || job.kind !== 'retention' || (principal.tenant !== null && job.tenant !== principal.tenant)) {
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `no retention run with id "${id}"`);
    }
    return runView(job);
  }

  /** The scheduler's entry: queues a run for every tenant with expired events. */
  async enqueueDue(): Promise<JobRecord[]> {
    return this.enqueue(await this.store.tenants(), null);
  }

  /**
   * Queues a run for each tenant that has a policy, no legal hold, no run already queued or
   * running, and events older than its cutoff.
   */
  private async enqueue(tenants: string[], requestedBy: Actor | null): Promise<JobRecord[]> {
    const created: JobRecord[] = [];
    for (const tenant of tenants) {
      const settings = await this.store.getRetention(tenant);
      const days = settings?.days ?? this.config.defaultDays;
      if (days === null || settings?.legalHold) continue;
      const open = await this.store.listJobs(tenant, { kind: 'retention', states: ['pending', 'running'], limit: 1 });
      if (open.length > 0) continue;
      const cutoffUs = this.now() - days * DAY_US;
      const expired = await this.store.query({ tenant, filter: { toUs: cutoffUs }, order: 'asc', limit: 1 });
      if (expired.length === 0) continue;
      created.push(await this.createRun(tenant, days, cutoffUs, settings?.archiveDestination ?? null, requestedBy));
    }
    if (created.length > 0) this.jobCreated();
    return created;
  }

  private async createRun(tenant: string, days: number, cutoffUs: number, archive: string | null, requestedBy: Actor | null): Promise<JobRecord> {
    const id = randomUUID();
    const { size } = await this.store.treeHead(tenant);
    const destination = archive === null ? undefined : this.exportSettings.destinations.get(archive);
    const archiveSpec: ExportJobSpec | null =
      archive === null
        ? null
        : {
            destination: archive,
            format: 'jsonl',
            gzip: true,
            splitBytes: this.exportSettings.splitBytes,
            filter: { toUs: cutoffUs },
            belowSeq: size,
            // A destination missing from the configuration fails the run when it starts, purging nothing.
            keyPrefix: `${destination?.prefix ?? ''}${tenant}/archive/${id}/`,
            requestedBy,
          };
    const spec: RetentionJobSpec = { days, cutoffUs, belowSeq: size, archive: archiveSpec, batchSize: this.config.batchSize, requestedBy };
    const job = pendingJob(id, tenant, 'retention', spec);
    await this.store.createJob(job);
    return job;
  }

  private checkPolicy(body: unknown): { days: number | null; archiveDestination?: string | null } {
    const b = objectBody(body, '{"days": 365, "archive_destination": "archive"}');
    const issues: FieldIssue[] = unknownFields(b, ['days', 'archive_destination']);
    if (!('days' in b)) issues.push({ path: 'days', message: `is required: ${RETENTION_PRESETS.join(', ')}, another whole number of days, or null for the platform default` });
    else if (b.days !== null && (!Number.isSafeInteger(b.days) || (b.days as number) < 1 || (b.days as number) > MAX_RETENTION_DAYS)) {
      issues.push({ path: 'days', message: `must be a whole number of days from 1 to ${MAX_RETENTION_DAYS} (presets ${RETENTION_PRESETS.join(', ')}), or null` });
    }
    const dest = b.archive_destination;
    if (dest !== undefined && dest !== null) {
      if (typeof dest !== 'string') issues.push({ path: 'archive_destination', message: 'must be the name of a configured destination, or null' });
      else if (!this.exportSettings.destinations.has(dest)) issues.push({ path: 'archive_destination', message: `"${dest}" is not a configured destination` });
    }
    if (issues.length > 0) throw invalid(issues);
    return { days: b.days as number | null, ...(dest === undefined ? {} : { archiveDestination: dest as string | null }) };
  }

  private view(tenant: string, s: RetentionSettings | null): RetentionView {
    return {
      tenant,
      days: s?.days ?? null,
      effective_days: s?.days ?? this.config.defaultDays,
      default_days: this.config.defaultDays,
      presets: [...RETENTION_PRESETS],
      archive_destination: s?.archiveDestination ?? null,
      legal_hold: { enabled: s?.legalHold ?? false, reason: s?.legalHoldReason ?? null },
      updated_at: s?.updatedAt ?? null,
    };
  }
}

function checkHold(body: unknown): { enabled: boolean; reason: string | null } {
  const b = objectBody(body, '{"enabled": true, "reason": "litigation 2026-14"}');
  const issues = unknownFields(b, ['enabled', 'reason']);
  if (typeof b.enabled !== 'boolean') issues.push({ path: 'enabled', message: 'is required: true or false' });
  const reason = b.reason;
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > MAX_CONTEXT_STRING_LENGTH)) {
    issues.push({ path: 'reason', message: `must be a string of at most ${MAX_CONTEXT_STRING_LENGTH} characters` });
  }
  if (b.enabled === true && (typeof reason !== 'string' || reason.trim() === '')) {
    issues.push({ path: 'reason', message: 'is required when setting a hold: say why (a case, a request)' });
  }
  if (issues.length > 0) throw invalid(issues);
  return { enabled: b.enabled as boolean, reason: typeof reason === 'string' ? reason : null };
}

function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid([{ path: 'body', message: `must be an object such as ${example}` }]);
  return body as Record<string, unknown>;
}

function unknownFields(body: Record<string, unknown>, known: string[]): FieldIssue[] {
  return Object.keys(body).filter((k) => !known.includes(k)).map((path) => ({ path, message: 'unknown field' }));
}

function runView(job: JobRecord): RetentionRunView {
  const spec = JSON.parse(job.spec) as RetentionJobSpec;
  const progress = job.progress ? (JSON.parse(job.progress) as { purged: number; files: { rows: number } }) : null;
  return {
    id: job.id,
    tenant: job.tenant,
    state: job.state,
    days: spec.days,
    cutoff_us: spec.cutoffUs,
    archive_destination: spec.archive?.destination ?? null,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    progress: { purged: progress?.purged ?? 0, archived_rows: progress?.files.rows ?? 0 },
    result: job.state === 'completed' && job.result ? (JSON.parse(job.result) as RetentionResult) : null,
    error: job.error,
  };
}
