import type pg from 'pg';
import type { ApiKeyRecord } from '../../domain/access.js';
import type { EventQuery } from '../../domain/filter.js';
import { nowMicros } from '../../domain/time.js';
import { EMPTY_ROOT } from '../../integrity/hash.js';
import type { TileKey } from '../../integrity/tiles.js';
import type {
  AppendRequest,
  AppendResult,
  CheckpointRecord,
  EventRow,
  JobKind,
  JobRecord,
  JobState,
  JobUpdate,
  PurgeRange,
  RetentionSettings,
  SessionRecord,
  Store,
  SummaryCounts,
  SummaryQuery,
  TreeHead,
} from '../store.js';
import { Appender } from './append.js';
import { Dictionary } from './dictionary.js';
import { guard } from './errors.js';
import { PostgresJobs } from './jobs.js';
import { bySeqStatement, byIdStatement, PAGE_SETTINGS, QueryCompiler, type Statement } from './filter-sql.js';
import { migrate } from './migrations.js';
import { Partitions } from './partitions.js';
import { createPool, transaction, withClient } from './pool.js';
import { PostgresRetention } from './retention.js';
import { PostgresRollups } from './rollups.js';
import { PostgresSummaries } from './summary.js';
import { readTiles, TreeCache } from './tree-cache.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (VIGIL_DATABASE_URL). */
  url: string;
  /** Connections this process keeps open at most (default 10). */
  poolSize?: number;
}

/** pg_advisory_xact_lock key held while a process bootstraps its admin key ('VIGL' then 3). */
const BOOTSTRAP_LOCK = 0x5649474c_03;

/** api_keys columns under the names of ApiKeyRecord. */
const KEY_COLUMNS = `id, tenant, role, name, secret_hash AS "secretHash", created_at AS "createdAt",
  created_by AS "createdBy", revoked_at AS "revokedAt", expires_at AS "expiresAt"`;

/**
 * The server store: any number of stateless Vigil processes share one PostgreSQL database (or a
 * Citus cluster, distributed by tenant). Nothing is authoritative in memory: every cache (tenant
 * and dictionary ids, tree edges, partitions) is checked against, or only filled from, committed
 * database state. Database outages surface as VIGIL_ERR_UNAVAILABLE and the pool reconnects by
 * itself when the server is back.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly dict: Dictionary;
  private readonly partitions: Partitions;
  private readonly appender: Appender;
  private readonly compiler: QueryCompiler;
  private readonly jobs: PostgresJobs;
  private readonly retention: PostgresRetention;
  private readonly summaries: PostgresSummaries;
  private readonly rollups: PostgresRollups;

  constructor(private readonly options: PostgresStoreOptions) {
    this.pool = createPool({ url: options.url, size: options.poolSize ?? 10 });
    this.dict = new Dictionary(this.pool);
    this.partitions = new Partitions(this.pool);
    this.appender = new Appender(this.pool, this.dict, new TreeCache(), this.partitions);
    this.compiler = new QueryCompiler(this.pool, this.dict);
    this.jobs = new PostgresJobs(this.pool);
    this.retention = new PostgresRetention(this.pool, this.dict);
    this.summaries = new PostgresSummaries(this.pool, this.dict, this.compiler);
    this.rollups = new PostgresRollups(this.pool);
  }

  async open(): Promise<void> {
    await guard(async () => {
      await withClient(this.pool, migrate);
      await this.partitions.load();
      await this.partitions.ensure([], nowMicros());
    });
    this.rollups.start();
  }

  async close(): Promise<void> {
    await this.rollups.stop();
    if (!this.pool.ended) await this.pool.end();
  }

  async ping(): Promise<void> {
    await guard(() => this.pool.query('SELECT 1'));
  }

  async append(requests: AppendRequest[]): Promise<AppendResult[]> {
    return guard(() => this.appender.append(requests));
  }

  /**
   * The statement `query` runs, or null when its filter can match nothing (an unknown tenant,
   * actor, action…). For EXPLAIN by operators and tests, under `PAGE_SETTINGS`.
   */
  async plan(query: EventQuery): Promise<Statement | null> {
    return guard(async () => {
      const tenantId = await this.dict.findTenant(query.tenant);
      return tenantId === undefined ? null : this.compiler.compile(tenantId, query);
    });
  }

  async query(query: EventQuery): Promise<EventRow[]> {
    return guard(async () => {
      const statement = await this.plan(query);
      if (statement === null) return [];
      // Planned under PAGE_SETTINGS, in a read-only transaction of its own.
      return withClient(this.pool, async (client) => {
        await client.query(`BEGIN READ ONLY; ${PAGE_SETTINGS}`);
        const { rows } = await client.query<EventRow>(statement);
        await client.query('COMMIT');
        return rows;
      });
    });
  }

  /** Bulk reads go through the pool like any query: the server's shared buffers serve both. */
  async scan(query: EventQuery): Promise<EventRow[]> {
    return this.query(query);
  }

  async getEvent(tenant: string, id: string): Promise<EventRow | null> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
    return guard(async () => {
      const tenantId = await this.dict.findTenant(tenant);
      if (tenantId === undefined) return null;
      return (await this.pool.query<EventRow>(byIdStatement(tenantId, id))).rows[0] ?? null;
    });
  }

  async readBySeq(tenant: string, fromSeq: number, toSeq: number, limit: number): Promise<EventRow[]> {
    return guard(async () => {
      const tenantId = await this.dict.findTenant(tenant);
      if (tenantId === undefined) return [];
      return (await this.pool.query<EventRow>(bySeqStatement(tenantId, fromSeq, toSeq, limit))).rows;
    });
  }

  async treeHead(tenant: string): Promise<TreeHead> {
    return guard(async () => {
      const tenantId = await this.dict.findTenant(tenant);
      if (tenantId === undefined) return { size: 0, root: EMPTY_ROOT };
      const { rows } = await this.pool.query<{ size: number; root: Buffer }>(
        'SELECT size, root FROM tree_heads WHERE tenant_id = $1',
        [tenantId],
      );
      const head = rows[0];
      return head ? { size: head.size, root: new Uint8Array(head.root) } : { size: 0, root: EMPTY_ROOT };
    });
  }

  async readTiles(tenant: string, keys: TileKey[]): Promise<Map<string, Uint8Array>> {
    return guard(async () => {
      const tenantId = await this.dict.findTenant(tenant);
      if (tenantId === undefined) return new Map();
      const tiles = await readTiles(this.pool, keys.map((key) => ({ tenantId, key })));
      return tiles.get(tenantId) ?? new Map<string, Uint8Array>();
    });
  }

  async saveCheckpoints(checkpoints: readonly CheckpointRecord[]): Promise<void> {
    if (checkpoints.length === 0) return;
    await guard(async () => {
      const ids = await this.dict.tenants(checkpoints.map((c) => c.tenant));
      await this.pool.query(
        `INSERT INTO checkpoints (tenant_id, size, note, created_at)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
        [checkpoints.map((c) => ids.get(c.tenant)), checkpoints.map((c) => c.size), checkpoints.map((c) => c.note), checkpoints.map((c) => c.createdAt)],
      );
    });
  }

  async latestCheckpoint(tenant: string): Promise<CheckpointRecord | null> {
    return guard(async () => {
      const tenantId = await this.dict.findTenant(tenant);
      if (tenantId === undefined) return null;
      const { rows } = await this.pool.query<{ size: number; note: string; created_at: string }>(
        'SELECT size, note, created_at FROM checkpoints WHERE tenant_id = $1 ORDER BY size DESC LIMIT 1',
        [tenantId],
      );
      const row = rows[0];
      return row ? { tenant, size: row.size, note: row.note, createdAt: row.created_at } : null;
    });
  }

  async tenants(): Promise<string[]> {
    return [...(await this.treeSizes()).keys()];
  }

  async treeSizes(): Promise<Map<string, number>> {
    return guard(async () => {
      const { rows } = await this.pool.query<{ name: string; size: number }>(
        'SELECT t.name, h.size FROM tenants t JOIN tree_heads h ON h.tenant_id = t.id WHERE h.size > 0 ORDER BY t.name',
      );
      return new Map(rows.map((r) => [r.name, r.size]));
    });
  }

  async insertKey(key: ApiKeyRecord): Promise<void> {
    await guard(() =>
      this.pool.query(
        `INSERT INTO api_keys (id, tenant, role, name, secret_hash, created_at, created_by, revoked_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [key.id, key.tenant, key.role, key.name, key.secretHash, key.createdAt, key.createdBy, key.revokedAt, key.expiresAt],
      ),
    );
  }

  async findKey(id: string): Promise<ApiKeyRecord | null> {
    return guard(async () => {
      const { rows } = await this.pool.query<ApiKeyRecord>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
      return rows[0] ?? null;
    });
  }

  async listKeys(tenant?: string): Promise<ApiKeyRecord[]> {
    return guard(async () => {
      const { rows } =
        tenant === undefined
          ? await this.pool.query<ApiKeyRecord>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`)
          : await this.pool.query<ApiKeyRecord>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant = $1 ORDER BY created_at, id`, [tenant]);
      return rows;
    });
  }

  async revokeKey(id: string, revokedAt: string): Promise<boolean> {
    return guard(async () => {
      const result = await this.pool.query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [revokedAt, id]);
      return result.rowCount === 1;
    });
  }

  async hasKeys(): Promise<boolean> {
    return guard(async () => (await this.pool.query('SELECT 1 FROM api_keys LIMIT 1')).rowCount === 1);
  }

  async saveSession(session: SessionRecord, now: number, max: number): Promise<void> {
    await guard(() =>
      transaction(this.pool, async (client) => {
        await client.query('DELETE FROM dashboard_sessions WHERE expires_at <= $1', [now]);
        await client.query(
          `DELETE FROM dashboard_sessions WHERE id_hash IN (SELECT id_hash FROM dashboard_sessions ORDER BY expires_at
             LIMIT greatest(0, (SELECT count(*) FROM dashboard_sessions) - $1 + 1))`,
          [max],
        );
        await client.query('INSERT INTO dashboard_sessions (id_hash, principal, expires_at) VALUES ($1, $2, $3)', [session.idHash, session.principal, session.expiresAt]);
      }),
    );
  }

  async findSession(idHash: string): Promise<SessionRecord | null> {
    return guard(async () => {
      const { rows } = await this.pool.query<SessionRecord>(
        'SELECT id_hash AS "idHash", principal, expires_at::float8 AS "expiresAt" FROM dashboard_sessions WHERE id_hash = $1',
        [idHash],
      );
      return rows[0] ?? null;
    });
  }

  async deleteSession(idHash: string): Promise<void> {
    await guard(() => this.pool.query('DELETE FROM dashboard_sessions WHERE id_hash = $1', [idHash]));
  }

  async bootstrapExclusively<T>(fn: () => Promise<T>): Promise<T> {
    // The lock's transaction on a connection of its own, outside the pool: `fn` appends an event
    // and inserts a key through the pool, which may have a single connection.
    const lockPool = createPool({ url: this.options.url, size: 1 });
    try {
      return await guard(() =>
        transaction(lockPool, async (client) => {
          await client.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
          return fn();
        }),
      );
    } finally {
      await lockPool.end();
    }
  }

  async secret(name: string, create: () => string): Promise<string> {
    return guard(async () => {
      // The first writer wins; everyone reads back what was stored.
      await this.pool.query('INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING', [`secret:${name}`, create()]);
      const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM meta WHERE name = $1', [`secret:${name}`]);
      return rows[0]!.value;
    });
  }

  async createJob(job: JobRecord): Promise<void> {
    await guard(() => this.jobs.create(job));
  }

  async getJob(id: string): Promise<JobRecord | null> {
    return guard(() => this.jobs.get(id));
  }

  async listJobs(tenant: string, options: { kind?: JobKind; states?: JobState[]; limit: number }): Promise<JobRecord[]> {
    return guard(() => this.jobs.list(tenant, options));
  }

  async claimJob(owner: string, staleBefore: string, at: string): Promise<JobRecord | null> {
    return guard(() => this.jobs.claim(owner, staleBefore, at));
  }

  async updateJob(id: string, owner: string, update: JobUpdate): Promise<boolean> {
    return guard(() => this.jobs.update(id, owner, update));
  }

  async getRetention(tenant: string): Promise<RetentionSettings | null> {
    return guard(() => this.retention.get(tenant));
  }

  async putRetention(settings: RetentionSettings): Promise<void> {
    await guard(() => this.retention.put(settings));
  }

  async purgeEvents(tenant: string, range: PurgeRange, limit: number): Promise<number> {
    return guard(async () => {
      // The rollups keep counting purged events: they must have counted them first.
      await this.rollups.fold();
      return this.retention.purge(tenant, range, limit);
    });
  }

  async summarize(query: SummaryQuery): Promise<SummaryCounts> {
    return guard(async () => {
      await this.rollups.fold();
      return this.summaries.summarize(query);
    });
  }
}
