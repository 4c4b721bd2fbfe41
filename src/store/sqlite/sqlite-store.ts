import Database from 'better-sqlite3';
import type { ApiKeyRecord, Role } from '../../domain/access.js';
import { VigilError } from '../../domain/errors.js';
import type { EventQuery } from '../../domain/filter.js';
import { EMPTY_ROOT } from '../../integrity/hash.js';
import type { TileKey } from '../../integrity/tiles.js';
import type {
  AppendRequest,
  AppendResult,
  BodyDictionary,
  CheckpointRecord,
  EventRow,
  JobKind,
  JobRecord,
  JobState,
  JobUpdate,
  PurgeRange,
  RetentionSettings,
  ScanQuery,
  SessionRecord,
  Store,
  Summaries,
  SummaryCounts,
  SummaryQuery,
  TreeHead,
} from '../store.js';
import { Appender } from './append.js';
import { BODY_SQL, BodyCodec } from './body-codec.js';
import { BulkConnection } from './bulk-connection.js';
import { BackgroundCheckpoints } from './wal-checkpoints.js';
import { DayRowsCache } from './day-rows-cache.js';
import { Dictionary } from './dictionary.js';
import { FilterCompiler } from './filter-sql.js';
import { SqliteJobs } from './jobs.js';
import { migrate } from './migrations.js';
import { readPage, scanPage, type CompiledScan, type PageRead } from './page-reader.js';
import { SqliteRetention } from './retention.js';
import { SEQ_RANGE } from './row-ids.js';
import { prepared } from './statements.js';
import { SqliteSummaries } from './summary.js';
import type { SqliteThreadScan } from './thread-scan.js';
import { TreeCache } from './tree-cache.js';
import { uuidBytes } from './uuids.js';

export interface SqliteStoreOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  /**
   * FULL (default) syncs the WAL at every commit: a 2xx survives a power cut. NORMAL survives a
   * crash of the process but may lose the last commits on power loss; faster on slow disks.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * Benchmark-only switch (bench/integrity-overhead.ts): false skips leaf hashing and Merkle tile
   * writes, so no proof or checkpoint of the events is possible. Default true; never turn it off
   * for a real log.
   */
  integrity?: boolean;
  /**
   * Events the store takes, as JSON text, before it builds the dictionary its later bodies are
   * compressed against from their vocabulary (body-codec.ts). Default 2,000.
   */
  bodyDictionaryAfter?: number;
}

interface KeyRow {
  id: string;
  tenant: string | null;
  role: Role;
  name: string;
  secret_hash: string;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

const ROW_COLUMNS = `seq, ts AS occurredUs, ${BODY_SQL} AS body`;

/** Openings of SQLite stores in this process, to tell them apart. */
let openings = 0;

/** Events stored as text before the body dictionary is built: enough to see a deployment's vocabulary. */
const BODY_DICTIONARY_AFTER = 2_000;

/** Day rows the summaries keep in memory (day-rows-cache.ts): 24 bytes each, so about 10 MB. */
const DAY_ROWS_CACHED = 400_000;

/** SQLite errors that mean "the storage cannot take writes now", not "this request is wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;

/**
 * The embedded store (better-sqlite3, WAL). One process owns the file: it is the only writer,
 * which lets the write path keep tree heads and dictionary ids in memory. Calls are synchronous
 * underneath; the async interface is what the PostgreSQL store needs too.
 */
export class SqliteStore implements Store, Summaries {
  readonly kind = 'sqlite' as const;
  private db!: Database.Database;
  private dict!: Dictionary;
  private bodies!: BodyCodec;
  private trees!: TreeCache;
  private appender!: Appender;
  private filters!: FilterCompiler;
  private jobs!: SqliteJobs;
  private retention!: SqliteRetention;
  private bulk!: BulkConnection;
  private summaries!: SqliteSummaries;
  /** Absent for an in-memory database, which has no write-ahead log. */
  private checkpoints: BackgroundCheckpoints | undefined;
  /** Which opening of the file this is: threads that read it keep a connection per opening (thread-scan.ts). */
  private opened = 0;

  constructor(private readonly options: SqliteStoreOptions) {}

  async open(): Promise<void> {
    this.opened = ++openings;
    this.db = new Database(this.options.path);
    this.db.pragma('journal_mode = WAL');
    const synchronous = this.options.synchronous ?? 'FULL';
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.pragma('busy_timeout = 5000');
    // 16 MB: the OS page cache holds the rest of a large file; RSS stays bounded (docs/operations.md).
    this.db.pragma('cache_size = -16384');
    this.db.pragma('temp_store = MEMORY');
    migrate(this.db);
    this.bodies = new BodyCodec(this.options.bodyDictionaryAfter ?? BODY_DICTIONARY_AFTER);
    this.bodies.open(this.db);
    this.dict = new Dictionary(this.db);
    this.trees = new TreeCache(this.db);
    const dayRows = new DayRowsCache(DAY_ROWS_CACHED);
    this.appender = new Appender(this.db, this.dict, this.trees, this.bodies, dayRows, this.options.integrity ?? true);
    this.appender.recoverRollups();
    this.filters = new FilterCompiler(this.db, this.dict);
    this.jobs = new SqliteJobs(this.db);
    this.retention = new SqliteRetention(this.db, this.dict);
    this.bulk = new BulkConnection(this.options.path, this.db, this.bodies);
    this.summaries = new SqliteSummaries(this.db, this.dict, this.filters, dayRows);
    if (this.db.pragma('journal_mode', { simple: true }) === 'wal') this.checkpoints = BackgroundCheckpoints.start(this.db, this.options.path, synchronous);
  }

  async close(): Promise<void> {
    await this.checkpoints?.stop();
    this.bulk?.close();
    if (!this.db?.open) return;
    try {
      guard(() => this.appender?.flushRollups());
    } finally {
      this.db.close();
    }
  }

  async ping(): Promise<void> {
    guard(() => prepared(this.db, 'SELECT 1').get());
  }

  async append(requests: AppendRequest[]): Promise<AppendResult[]> {
    return guard(() => this.appender.append(requests));
  }

  threadDictionary(): BodyDictionary | undefined {
    return this.bodies.threadDictionary();
  }

  async query(query: EventQuery): Promise<EventRow[]> {
    const read = this.pageRead(query);
    return read ? guard(() => readPage<EventRow>(this.db, read, ROW_COLUMNS)) : [];
  }

  async scan(query: EventQuery): Promise<EventRow[]> {
    const read = this.pageRead(query);
    return read ? guard(() => scanPage(this.bulk.get(), read, this.bodies)) : [];
  }

  threadScan(query: ScanQuery): SqliteThreadScan | undefined {
    if (this.options.path === ':memory:') return undefined;
    const read = this.compile(query);
    return read ? { path: this.options.path, opened: this.opened, read } : undefined;
  }

  /** One page of `query`, or null when it can match nothing. */
  private pageRead(query: EventQuery): PageRead | null {
    const scan = this.compile(query);
    return scan && { ...scan, limit: query.limit, ...(query.after ? { after: query.after } : {}) };
  }

  /** `query` with its filter compiled, or null when it can match nothing (no such tenant, say). */
  private compile(query: ScanQuery): CompiledScan | null {
    const tenantId = this.dict.findTenant(query.tenant);
    if (tenantId === undefined) return null;
    const where = this.filters.compile(tenantId, query);
    if (where === null) return null;
    const { fromUs, toUs } = query.filter;
    const range = { ...(fromUs === undefined ? {} : { fromUs }), ...(toUs === undefined ? {} : { toUs }) };
    return { tenantId, where, range, order: query.order };
  }

  async getEvent(tenant: string, id: string): Promise<EventRow | null> {
    const tenantId = this.dict.findTenant(tenant);
    if (tenantId === undefined || !/^[0-9a-f-]{36}$/i.test(id)) return null;
    const row = prepared(this.db, `SELECT ${ROW_COLUMNS} FROM events WHERE tenant_id = ? AND uid = ?`).get(tenantId, uuidBytes(id));
    return (row as EventRow | undefined) ?? null;
  }

  async readBySeq(tenant: string, fromSeq: number, toSeq: number, limit: number): Promise<EventRow[]> {
    const tenantId = this.dict.findTenant(tenant);
    if (tenantId === undefined) return [];
    const sql = `SELECT ${ROW_COLUMNS} FROM events WHERE ${SEQ_RANGE} ORDER BY rid LIMIT ?`;
    return prepared(this.db, sql).all(tenantId, fromSeq, tenantId, toSeq, limit) as EventRow[];
  }

  async treeHead(tenant: string): Promise<TreeHead> {
    const tenantId = this.dict.findTenant(tenant);
    if (tenantId === undefined) return { size: 0, root: EMPTY_ROOT };
    const tree = this.trees.get(tenantId);
    return { size: tree.size, root: tree.root };
  }

  async readTiles(tenant: string, keys: TileKey[]): Promise<Map<string, Uint8Array>> {
    const tenantId = this.dict.findTenant(tenant);
    return tenantId === undefined ? new Map() : this.trees.readTiles(tenantId, keys);
  }

  async saveCheckpoints(checkpoints: readonly CheckpointRecord[]): Promise<void> {
    const insert = prepared(this.db, 'INSERT OR IGNORE INTO checkpoints (tenant_id, size, note, created_at) VALUES (?, ?, ?, ?)');
    // Tenant ids first, outside the transaction: a rollback must not leave ids in the dictionary's cache.
    const rows = checkpoints.map((c) => [this.dict.tenant(c.tenant), c.size, c.note, c.createdAt] as const);
    guard(() =>
      this.db.transaction(() => {
        for (const row of rows) insert.run(...row);
      })(),
    );
  }

  async latestCheckpoint(tenant: string): Promise<CheckpointRecord | null> {
    const tenantId = this.dict.findTenant(tenant);
    if (tenantId === undefined) return null;
    const row = prepared<[number], { size: number; note: string; created_at: string }>(
      this.db,
      'SELECT size, note, created_at FROM checkpoints WHERE tenant_id = ? ORDER BY size DESC LIMIT 1',
    ).get(tenantId);
    return row ? { tenant, size: row.size, note: row.note, createdAt: row.created_at } : null;
  }

  async tenants(): Promise<string[]> {
    return [...(await this.treeSizes()).keys()];
  }

  async treeSizes(): Promise<Map<string, number>> {
    const sql = 'SELECT t.name, h.size FROM tenants t JOIN tree_heads h ON h.tenant_id = t.id WHERE h.size > 0 ORDER BY t.name';
    return new Map(prepared<[], { name: string; size: number }>(this.db, sql).all().map((r) => [r.name, r.size]));
  }

  async insertKey(key: ApiKeyRecord): Promise<void> {
    guard(() =>
      prepared(
        this.db,
        `INSERT INTO api_keys (id, tenant, role, name, secret_hash, created_at, created_by, revoked_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(key.id, key.tenant, key.role, key.name, key.secretHash, key.createdAt, key.createdBy, key.revokedAt, key.expiresAt),
    );
  }

  async findKey(id: string): Promise<ApiKeyRecord | null> {
    const row = prepared<[string], KeyRow>(this.db, 'SELECT * FROM api_keys WHERE id = ?').get(id);
    return row ? keyRecord(row) : null;
  }

  async listKeys(tenant?: string): Promise<ApiKeyRecord[]> {
    const rows =
      tenant === undefined
        ? prepared<[], KeyRow>(this.db, 'SELECT * FROM api_keys ORDER BY created_at, id').all()
        : prepared<[string], KeyRow>(this.db, 'SELECT * FROM api_keys WHERE tenant = ? ORDER BY created_at, id').all(tenant);
    return rows.map(keyRecord);
  }

  async revokeKey(id: string, revokedAt: string): Promise<boolean> {
    const result = guard(() =>
      prepared(this.db, 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(revokedAt, id),
    );
    return result.changes === 1;
  }

  async hasKeys(): Promise<boolean> {
    return prepared(this.db, 'SELECT 1 FROM api_keys LIMIT 1').get() !== undefined;
  }

  async saveSession(session: SessionRecord, now: number, max: number): Promise<void> {
    guard(() =>
      this.db.transaction(() => {
        prepared(this.db, 'DELETE FROM dashboard_sessions WHERE expires_at <= ?').run(now);
        prepared(
          this.db,
          `DELETE FROM dashboard_sessions WHERE id_hash IN (SELECT id_hash FROM dashboard_sessions ORDER BY expires_at
             LIMIT max(0, (SELECT count(*) FROM dashboard_sessions) - ? + 1))`,
        ).run(max);
        prepared(this.db, 'INSERT INTO dashboard_sessions (id_hash, principal, expires_at) VALUES (?, ?, ?)').run(session.idHash, session.principal, session.expiresAt);
      }).immediate(),
    );
  }

  async findSession(idHash: string): Promise<SessionRecord | null> {
    const sql = 'SELECT id_hash AS idHash, principal, expires_at AS expiresAt FROM dashboard_sessions WHERE id_hash = ?';
    return prepared<[string], SessionRecord>(this.db, sql).get(idHash) ?? null;
  }

  async deleteSession(idHash: string): Promise<void> {
    guard(() => prepared(this.db, 'DELETE FROM dashboard_sessions WHERE id_hash = ?').run(idHash));
  }

  /** One process writes a SQLite store (docs/operations.md): nothing to keep in line. */
  async bootstrapExclusively<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async secret(name: string, create: () => string): Promise<string> {
    return guard(() => {
      prepared(this.db, 'INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)').run(`secret:${name}`, create());
      return (prepared<[string], { value: string }>(this.db, 'SELECT value FROM meta WHERE name = ?').get(`secret:${name}`))!.value;
    });
  }

  async createJob(job: JobRecord): Promise<void> {
    guard(() => this.jobs.create(job));
  }

  async getJob(id: string): Promise<JobRecord | null> {
    return this.jobs.get(id);
  }

  async listJobs(tenant: string, options: { kind?: JobKind; states?: JobState[]; limit: number }): Promise<JobRecord[]> {
    return this.jobs.list(tenant, options);
  }

  async claimJob(owner: string, staleBefore: string, at: string): Promise<JobRecord | null> {
    return guard(() => this.jobs.claim(owner, staleBefore, at));
  }

  async updateJob(id: string, owner: string, update: JobUpdate): Promise<boolean> {
    return guard(() => this.jobs.update(id, owner, update));
  }

  async getRetention(tenant: string): Promise<RetentionSettings | null> {
    return this.retention.get(tenant);
  }

  async putRetention(settings: RetentionSettings): Promise<void> {
    guard(() => this.retention.put(settings));
  }

  async purgeEvents(tenant: string, range: PurgeRange, limit: number): Promise<number> {
    return guard(() => {
      this.appender.flushRollups();
      return this.retention.purge(tenant, range, limit);
    });
  }

  async summarize(query: SummaryQuery): Promise<SummaryCounts> {
    guard(() => this.appender.flushRollups());
    return this.summaries.summarize(query);
  }
}

function keyRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    role: row.role,
    name: row.name,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    createdBy: row.created_by,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
  };
}

/** Runs a database call, turning "storage cannot answer now" errors into VIGIL_ERR_UNAVAILABLE. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE.test(code)) {
      throw new VigilError('VIGIL_ERR_UNAVAILABLE', `storage unavailable (${code}); nothing was stored, retry`);
    }
    throw err;
  }
}
