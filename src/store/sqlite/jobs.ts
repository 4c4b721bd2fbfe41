import type Database from 'better-sqlite3';
import type { JobKind, JobRecord, JobState, JobUpdate } from '../store.js';

interface JobRow {
  id: string;
  tenant: string;
  kind: JobKind;
  state: JobState;
  spec: string;
  progress: string | null;
  result: string | null;
  error: string | null;
  owner: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
  heartbeat_at: string | null;
}

/**
 * The `jobs` table of the embedded store. Each method is one statement or one IMMEDIATE
 * transaction, so a claim and the update that follows cannot interleave with another writer.
 */
export class SqliteJobs {
  private readonly stmt;

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      insert: db.prepare(`INSERT INTO jobs (id, tenant, kind, state, spec, progress, result, error, owner, attempts,
        created_at, updated_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      get: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
      claimable: db.prepare<[string], JobRow>(
        `SELECT * FROM jobs WHERE state = 'pending' OR (state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < ?))
         ORDER BY created_at, id LIMIT 1`,
      ),
      claim: db.prepare(
        `UPDATE jobs SET state = 'running', owner = ?, attempts = attempts + 1, heartbeat_at = ?, updated_at = ? WHERE id = ?`,
      ),
      update: db.prepare(`UPDATE jobs SET state = coalesce(?, state), progress = coalesce(?, progress),
        result = coalesce(?, result), error = coalesce(?, error), updated_at = ?, heartbeat_at = ?
        WHERE id = ? AND owner = ? AND state = 'running'`),
    };
  }

  create(job: JobRecord): void {
    this.stmt.insert.run(
      job.id,
      job.tenant,
      job.kind,
      job.state,
      job.spec,
      job.progress,
      job.result,
      job.error,
      job.owner,
      job.attempts,
      job.createdAt,
      job.updatedAt,
      job.heartbeatAt,
    );
  }

  get(id: string): JobRecord | null {
    const row = this.stmt.get.get(id);
    return row ? jobRecord(row) : null;
  }

  list(tenant: string, options: { kind?: JobKind; states?: JobState[]; limit: number }): JobRecord[] {
    const where = ['tenant = ?'];
    const params: unknown[] = [tenant];
    if (options.kind) where.push('kind = ?') && params.push(options.kind);
    if (options.states?.length) {
      where.push(`state IN (${options.states.map(() => '?').join(', ')})`);
      params.push(...options.states);
    }
    params.push(options.limit);
    const sql = `SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params) as JobRow[]).map(jobRecord);
  }

  claim(owner: string, staleBefore: string, at: string): JobRecord | null {
    return this.db.transaction(() => {
      const row = this.stmt.claimable.get(staleBefore);
      if (!row) return null;
      this.stmt.claim.run(owner, at, at, row.id);
      return this.get(row.id);
    }).immediate();
  }

  /** Writes only while `owner` holds the job and it is running: a finished job never changes again. */
  update(id: string, owner: string, update: JobUpdate): boolean {
    const result = this.stmt.update.run(
      update.state ?? null,
      update.progress ?? null,
      update.result ?? null,
      update.error ?? null,
      update.at,
      update.at,
      id,
      owner,
    );
    return result.changes === 1;
  }
}

function jobRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    kind: row.kind,
    state: row.state,
    spec: row.spec,
    progress: row.progress,
    result: row.result,
    error: row.error,
    owner: row.owner,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    heartbeatAt: row.heartbeat_at,
  };
}
