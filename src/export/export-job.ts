import { Readable } from 'node:stream';
import type { Actor } from '../domain/event.js';
import type { EventFilter } from '../domain/filter.js';
import type { JobRecord, Store } from '../store/store.js';
import type { ExportSettings } from './config.js';
import { destinationInfo, type Destination } from './destinations/destination.js';
import { openDestination } from './destinations/open.js';
import { NO_FILES, writeFiles, type FilesProgress } from './file-writer.js';
import { FORMATS, type ExportFormatName } from './format.js';
import { JobFailure, type JobContext, type JobHandler } from './jobs/runner.js';
import { buildManifest, type CheckpointSource, type Manifest } from './manifest.js';

/** An export job's `spec`: everything it needs, fixed when the job was created. */
export interface ExportJobSpec {
  destination: string;
  format: ExportFormatName;
  gzip: boolean;
  splitBytes: number;
  filter: EventFilter;
  /** The tenant's tree size at creation: the export is the matching events below it. */
  belowSeq: number;
  /** Key prefix of the job's files, with the destination's prefix: `<prefix><tenant>/exports/<id>/`. */
  keyPrefix: string;
  requestedBy: Actor | null;
}

/** The key of file n under a job's prefix. */
export function partKey(keyPrefix: string, n: number): string {
  return `${keyPrefix}part-${String(n).padStart(5, '0')}`;
}

/** Opens the job's destination by name; a destination removed from the configuration fails the job. */
export async function destinationFor(settings: ExportSettings, name: string): Promise<Destination> {
  const config = settings.destinations.get(name);
  if (!config) throw new JobFailure(`destination "${name}" is no longer in Vigil's configuration`);
  return openDestination(config);
}

/**
 * Writes the files of an export (resuming after the last completed one), then its manifest,
 * both to the destination and as the job's result.
 */
export async function runFilesJob(
  store: Store,
  destination: Destination,
  context: JobContext,
  spec: ExportJobSpec,
  kind: Manifest['kind'],
  checkpoint: CheckpointSource,
  start: FilesProgress,
  save: (files: FilesProgress) => Promise<void>,
): Promise<Manifest> {
  const { job } = context;
  const files = await writeFiles(
    store,
    destination,
    {
      plan: { tenant: job.tenant, filter: spec.filter, belowSeq: spec.belowSeq },
      format: FORMATS[spec.format],
      gzip: spec.gzip,
      splitBytes: spec.splitBytes,
      keyOf: (n) => partKey(spec.keyPrefix, n),
    },
    start,
    save,
    context.signal,
  );
  const manifest = await buildManifest(
    store,
    {
      jobId: job.id,
      kind,
      tenant: job.tenant,
      format: spec.format,
      gzip: spec.gzip,
      destination: destinationInfo(destination.config),
      filter: spec.filter,
      requestedBy: spec.requestedBy,
      createdAt: job.createdAt,
      treeSize: spec.belowSeq,
      files,
    },
    checkpoint,
  );
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await destination.put(`${spec.keyPrefix}manifest.json`, Readable.from([Buffer.from(text, 'utf8')]), 'application/json', context.signal);
  return manifest;
}

/** Runs `export` jobs. Progress is the files written so far; the result is the manifest. */
export class ExportJobHandler implements JobHandler {
  constructor(
    private readonly store: Store,
    private readonly settings: ExportSettings,
    private readonly checkpoint: CheckpointSource,
  ) {}

  async run(context: JobContext): Promise<Manifest> {
    const spec = JSON.parse(context.job.spec) as ExportJobSpec;
    const destination = await destinationFor(this.settings, spec.destination);
    try {
      return await runFilesJob(this.store, destination, context, spec, 'export', this.checkpoint, progressOf(context.job), context.save);
    } finally {
      await destination.close();
    }
  }
}

function progressOf(job: JobRecord): FilesProgress {
  return job.progress ? (JSON.parse(job.progress) as FilesProgress) : NO_FILES;
}
