import type { Actor } from '../domain/event.js';
import type { EventFilter } from '../domain/filter.js';
import { rootAt } from '../integrity/proof-tiles.js';
import type { CheckpointRecord, Store } from '../store/store.js';
import type { DestinationInfo } from './destinations/destination.js';
import type { FileEntry, FilesProgress } from './file-writer.js';
import type { ExportFormatName } from './format.js';

/**
 * What a completed export or archive wrote, stored as the job's result and uploaded beside the
 * files as `manifest.json`. It names the destination but never its credentials.
 */
export interface Manifest {
  version: 1;
  job_id: string;
  kind: 'export' | 'archive';
  tenant: string;
  format: ExportFormatName;
  gzip: boolean;
  destination: DestinationInfo;
  filter: EventFilter;
  requested_by: Actor | null;
  created_at: string;
  completed_at: string;
  /**
   * The export covers the events with seq below `tree_size` (the tenant's tree when it began);
   * `tree_root` is that tree's RFC 9162 root (base64, as in checkpoints and proofs), which the checkpoint below is consistent with.
   */
  tree_size: number;
  tree_root: string;
  rows: number;
  bytes: number;
  seq_range: { min: number; max: number } | null;
  files: FileEntry[];
  /** The newest signed checkpoint covering every exported event (size ≥ tree_size), if any yet. */
  checkpoint: { size: number; note: string } | null;
}

export interface ManifestInput {
  jobId: string;
  kind: Manifest['kind'];
  tenant: string;
  format: ExportFormatName;
  gzip: boolean;
  destination: DestinationInfo;
  filter: EventFilter;
  requestedBy: Actor | null;
  createdAt: string;
  treeSize: number;
  files: FilesProgress;
}

/** Finds (or signs) a checkpoint covering a tree size: `Checkpointer.covering` in the service. */
export type CheckpointSource = (tenant: string, size: number) => Promise<CheckpointRecord | null>;

export async function buildManifest(store: Store, input: ManifestInput, checkpoint: CheckpointSource): Promise<Manifest> {
  const root = await rootAt((keys) => store.readTiles(input.tenant, keys), input.treeSize);
  const files = input.files.files;
  const cp = input.treeSize === 0 ? null : await checkpoint(input.tenant, input.treeSize);
  return {
    version: 1,
    job_id: input.jobId,
    kind: input.kind,
    tenant: input.tenant,
    format: input.format,
    gzip: input.gzip,
    destination: input.destination,
    filter: input.filter,
    requested_by: input.requestedBy,
    created_at: input.createdAt,
    completed_at: new Date().toISOString(),
    tree_size: input.treeSize,
    tree_root: Buffer.from(root).toString('base64'),
    rows: input.files.rows,
    bytes: input.files.bytes,
    seq_range: files.length ? { min: Math.min(...files.map((f) => f.seq_min)), max: Math.max(...files.map((f) => f.seq_max)) } : null,
    files,
    checkpoint: cp ? { size: cp.size, note: cp.note } : null,
  };
}
