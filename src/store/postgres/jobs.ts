import type pg from 'pg';
import type { JobKind, JobRecord, JobState, JobUpdate } from '../store.js';

/** jobs columns under the names of JobRecord. */
const JOB_COLUMNS = `id, tenant, kind, state, spec, progress, result, error, owner, attempts,
  created_at AS "createdAt", updated_at AS "updatedAt", heartbeat_at AS "heartbeatAt"`;

/**
 * The `jobs` table, shared by every Vigil process on the database. A claim is one UPDATE of the
 * oldest claimable row locked with FOR UPDATE SKIP LOCKED, so two processes never take the same
 * job; within this process claims run one at a time, in call order.
 */
export class PostgresJobs {
  private claims: Promise<unknown> = Promise.resolve();

  constructor(private readonly pool: pg.Pool) {}

  async create(job: JobRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO jobs (id, tenant, kind, state, spec, progress, result, error, owner, attempts, created_at, updated_at, heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [job.id, job.tenant, job.kind, job.state, job.spec, job.progress, job.result, job.error, job.owner, job.attempts,
        job.createdAt, job.updatedAt, job.heartbeatAt],
    );
  }

  async get(id: string): Promise<JobRecord | null> {
    const { rows } = await this.pool.query<JobRecord>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async list(tenant: string, options: { kind?: JobKind; states?: JobState[]; limit: number }): Promise<JobRecord[]> {
    const { rows } = await this.pool.query<JobRecord>(
      `SELECT ${JOB_COLUMNS} FROM jobs
        WHERE tenant = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::text[] IS NULL OR state = ANY($3))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [tenant, options.kind ?? null, options.states?.length ? options.states : null, options.limit],
    );
    return rows;
  }

  claim(owner: string, staleBefore: string, at: string): Promise<JobRecord | null> {
    const claimed = this.claims.then(async () => {
      const { rows } = await this.pool.query<JobRecord>(
        `UPDATE jobs SET state = 'running', owner = $1, attempts = attempts + 1, heartbeat_at = $3, updated_at = $3
          WHERE id = (SELECT id FROM jobs
                       WHERE state = 'pending' OR (state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $2))
                       ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING ${JOB_COLUMNS}`,
        [owner, staleBefore, at],
      );
      return rows[0] ?? null;
    });
    this.claims = claimed.catch(() => undefined);
    return claimed;
  }

  /** Writes only while `owner` holds the job and it is running: a finished job never changes again. */
  async update(id: string, owner: string, update: JobUpdate): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE jobs SET state = coalesce($1, state), progress = coalesce($2, progress), result = coalesce($3, result),
              error = coalesce($4, error), updated_at = $5, heartbeat_at = $5
        WHERE id = $6 AND owner = $7 AND state = 'running'`,
      [update.state ?? null, update.progress ?? null, update.result ?? null, update.error ?? null, update.at, id, owner],
    );
    return result.rowCount === 1;
  }
}
