import type { JobKind, JobRecord } from '../../store/store.js';

/** A new job as it is first stored: pending, unowned, never attempted. */
export function pendingJob(id: string, tenant: string, kind: JobKind, spec: unknown): JobRecord {
  const at = new Date().toISOString();
  return {
    id,
    tenant,
    kind,
    state: 'pending',
    spec: JSON.stringify(spec),
    progress: null,
    result: null,
    error: null,
    owner: null,
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    heartbeatAt: null,
  };
}
