import { setImmediate as yieldToIngest } from 'node:timers/promises';
import { v5 as uuidv5 } from 'uuid';
import { SYSTEM_ACTOR, type EventSink } from '../auth/key-service.js';
import type { Actor, EventInput } from '../domain/event.js';
import { formatMicros } from '../domain/time.js';
import type { ExportSettings } from '../export/config.js';
import { destinationFor, runFilesJob, type ExportJobSpec } from '../export/export-job.js';
import { checksumOf, NO_FILES, type FilesProgress } from '../export/file-writer.js';
import { JobFailure, type JobContext, type JobHandler } from '../export/jobs/runner.js';
import type { CheckpointSource, Manifest } from '../export/manifest.js';
import type { Store } from '../store/store.js';

/** A retention job's `spec`, fixed when it was queued. */
export interface RetentionJobSpec {
  days: number;
  /** Events older than this (occurred_at, microseconds) have expired. */
  cutoffUs: number;
  /** Only events sequenced before the job was queued: the archive and the purge cover the same set. */
  belowSeq: number;
  /** Where expired events are archived first; null purges without archiving. */
  archive: ExportJobSpec | null;
  batchSize: number;
  requestedBy: Actor | null;
}

/** How far a retention job got. Each phase is done once, even across restarts. */
export interface RetentionProgress {
  files: FilesProgress;
  manifest: Manifest | null;
  verified: boolean;
  purged: number;
  /** Set when the purge ended: the time of the `vigil.retention.purged` event (so a retry records the same event). */
  purgedAt: string | null;
}

/** What a finished retention job reports. */
export interface RetentionResult {
  cutoff: string;
  below_seq: number;
  purged: number;
  /** The purge stopped because a legal hold was set (before or during the run). */
  stopped_by_legal_hold: boolean;
  archive: Manifest | null;
}

const START: RetentionProgress = { files: NO_FILES, manifest: null, verified: false, purged: 0, purgedAt: null };
/** Namespace of the ids of `vigil.retention.purged` events (one per job, so recording is idempotent). */
const PURGE_EVENT_NAMESPACE = '0f6f1c0e-8d0a-4c53-b2d4-6f3f8f0e5a71';

/**
 * Runs `retention` jobs: archive the expired events (when the tenant has an archive
 * destination), read every archived file back and check its SHA-256 against the manifest, then
 * purge in bounded batches, yielding between batches so ingest goes on. A legal hold stops it
 * before any deletion. Nothing is purged unless its archive completed and was verified.
 */
export class RetentionJobHandler implements JobHandler {
  constructor(
    private readonly store: Store,
    private readonly sink: EventSink,
    private readonly settings: ExportSettings,
    private readonly checkpoint: CheckpointSource,
  ) {}

  async run(context: JobContext): Promise<RetentionResult> {
    const { job } = context;
    const spec = JSON.parse(job.spec) as RetentionJobSpec;
    let progress: RetentionProgress = job.progress ? (JSON.parse(job.progress) as RetentionProgress) : START;
    const save = async (next: RetentionProgress) => {
      progress = next;
      await context.save(next);
    };
    const result = (held: boolean): RetentionResult => ({
      cutoff: formatMicros(spec.cutoffUs),
      below_seq: spec.belowSeq,
      purged: progress.purged,
      stopped_by_legal_hold: held,
      archive: progress.manifest,
    });

    if (progress.purgedAt === null) {
      if (await this.held(job.tenant)) return this.finish(context, spec, progress, result(true));
      if (spec.archive) await this.archive(context, spec.archive, progress, save);
      for (;;) {
        context.signal.throwIfAborted();
        if (await this.held(job.tenant)) return this.finish(context, spec, progress, result(true));
        const n = await this.store.purgeEvents(job.tenant, { beforeUs: spec.cutoffUs, belowSeq: spec.belowSeq }, spec.batchSize);
        if (n === 0) break;
        await save({ ...progress, purged: progress.purged + n });
        // Let the ingest transactions waiting behind this batch run before the next one.
        await yieldToIngest();
      }
      await save({ ...progress, purgedAt: new Date().toISOString() });
    }
    return this.finish(context, spec, progress, result(false));
  }

  /** Archive, then verify, each once (a resumed job skips what it already did). */
  private async archive(
    context: JobContext,
    spec: ExportJobSpec,
    start: RetentionProgress,
    save: (p: RetentionProgress) => Promise<void>,
  ): Promise<void> {
    let progress = start;
    if (progress.verified) return;
    const destination = await destinationFor(this.settings, spec.destination);
    try {
      if (!progress.manifest) {
        const manifest = await runFilesJob(this.store, destination, context, spec, 'archive', this.checkpoint, progress.files, (files) =>
          save((progress = { ...progress, files })),
        );
        await save((progress = { ...progress, manifest }));
      }
      for (const file of progress.manifest!.files) {
        const stored = await checksumOf(destination, file.key);
        if (stored.sha256 !== file.sha256 || stored.bytes !== file.bytes) {
          throw new JobFailure(
            `archive verification failed: ${file.key} reads back as ${stored.bytes} bytes with SHA-256 ${stored.sha256}, ` +
              `the manifest says ${file.bytes} bytes with ${file.sha256}; nothing was purged`,
          );
        }
      }
      await save({ ...progress, verified: true });
    } finally {
      await destination.close();
    }
  }

  private async held(tenant: string): Promise<boolean> {
    return (await this.store.getRetention(tenant))?.legalHold === true;
  }

  /** Records the purge (if anything was deleted) and returns the result. */
  private async finish(context: JobContext, spec: RetentionJobSpec, progress: RetentionProgress, result: RetentionResult): Promise<RetentionResult> {
    if (progress.purged > 0) {
      const at = progress.purgedAt ?? new Date().toISOString();
      await this.sink.record(context.job.tenant, purgedEvent(context.job.id, at, spec, result));
    }
    return result;
  }
}

/** The `vigil.retention.purged` event; its id and time are fixed by the job, so a retry records it once. */
function purgedEvent(jobId: string, at: string, spec: RetentionJobSpec, result: RetentionResult): EventInput {
  const context: Record<string, string | number | boolean> = {
    job_id: jobId,
    days: spec.days,
    before: result.cutoff,
    below_seq: result.below_seq,
    count: result.purged,
    stopped_by_legal_hold: result.stopped_by_legal_hold,
  };
  const archive = result.archive;
  if (archive) {
    context.archive_destination = archive.destination.name;
    context.archive_location = archive.destination.location;
    context.archive_manifest = `${spec.archive!.keyPrefix}manifest.json`;
    context.archive_files = archive.files.length;
    context.archive_rows = archive.rows;
    context.archive_tree_size = archive.tree_size;
  }
  return {
    id: uuidv5(jobId, PURGE_EVENT_NAMESPACE),
    occurred_at: at,
    log: 'audit',
    action: 'vigil.retention.purged',
    category: 'vigil',
    actor: spec.requestedBy ?? SYSTEM_ACTOR,
    source: 'system',
    outcome: { success: true },
    context,
  };
}
