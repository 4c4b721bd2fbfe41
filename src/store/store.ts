import type { ApiKeyRecord } from '../domain/access.js';
import type { PreparedEvent } from '../domain/event.js';
import type { EventFilter, EventQuery } from '../domain/filter.js';
import type { VigilError } from '../domain/errors.js';
import type { TileKey } from '../integrity/tiles.js';
import type { SqliteThreadScan } from './sqlite/thread-scan.js';

/** The events of one ingest request: committed all together or not at all. */
export interface AppendRequest {
  events: PreparedEvent[];
  /**
   * Indexes of events whose `occurred_at` the producer left out (Vigil filled in the time of
   * receipt): an idempotent retry of such an event matches the stored one whatever its time.
   */
  defaultedTimes?: ReadonlySet<number>;
  /**
   * Indexes of events whose id Vigil minted for this request (a fresh UUIDv7, 74 of its bits
   * random: the producer sent no id and no idempotency key). No stored event can have such an id,
   * so the store does not look it up.
   */
  mintedIds?: ReadonlySet<number>;
  /**
   * Each event's canonical JSON without its seq and received_at (`presealEvent`), made where its
   * checks ran (the ingest thread), so that sealing it here costs only the two values.
   */
  presealed?: readonly string[];
  /** Each event's body in the form the store keeps it, made there too when the store asked (`Store.threadDictionary`). */
  stored?: readonly StoredForm[];
}

/** A dictionary the SQLite store compresses bodies against: its id (a stored body's first byte) and its bytes. */
export interface BodyDictionary {
  id: number;
  bytes: Uint8Array;
}

/** A body as the SQLite store keeps it, compressed against its dictionary `dictionaryId` (body-compressor.ts). */
export interface StoredForm {
  dictionaryId: number;
  body: Uint8Array;
}

export interface AppendedEvent {
  id: string;
  seq: number;
  /** True when an event with this id and the same content was already stored (idempotent retry). */
  duplicate: boolean;
}

export type AppendResult = { ok: true; events: AppendedEvent[] } | { ok: false; error: VigilError };

/** A stored event as the store returns it: `body` is its RFC 8785 canonical JSON, byte for byte as hashed. */
export interface EventRow {
  seq: number;
  occurredUs: number;
  body: string;
}

/** A query of a whole log, walked page by page: everything a page read needs but its size and position. */
export type ScanQuery = Omit<EventQuery, 'limit' | 'after'>;

/** A scan a thread reads for itself (`Store.threadScan`); only the SQLite store offers them. */
export type ThreadScan = SqliteThreadScan;

export interface TreeHead {
  size: number;
  /** Root hash of the tree of `size` leaves (32 bytes; the empty-tree hash when size is 0). */
  root: Uint8Array;
}

export interface CheckpointRecord {
  tenant: string;
  size: number;
  /** The signed note, exactly as served. */
  note: string;
  createdAt: string;
}

/** Kinds of background jobs: an export to a destination, or a retention run (archive, then purge). */
export type JobKind = 'export' | 'retention';
export type JobState = 'pending' | 'running' | 'completed' | 'failed';

/**
 * A background job as stored. `spec` (what to do), `progress` (how far it got, enough to resume)
 * and `result` are JSON documents that only the job's handler reads; the store keeps them as they
 * are. They never hold credentials: a destination is named, never described.
 */
export interface JobRecord {
  id: string;
  tenant: string;
  kind: JobKind;
  state: JobState;
  spec: string;
  progress: string | null;
  result: string | null;
  /** Why a failed job failed, for people. */
  error: string | null;
  /** The runner that holds the job while it is running (a random id per process). */
  owner: string | null;
  /** How many times a runner has taken the job; a job that keeps being interrupted fails. */
  attempts: number;
  createdAt: string;
  updatedAt: string;
  /** Last sign of life from the owner while running. */
  heartbeatAt: string | null;
}

/** What `updateJob` changes; absent fields stay as they are. `updatedAt`/`heartbeatAt` move to `at`. */
export interface JobUpdate {
  state?: JobState;
  progress?: string;
  result?: string;
  error?: string;
  at: string;
}

/** A tenant's retention settings (DESIGN.md §7). A tenant without a row follows the platform default. */
export interface RetentionSettings {
  tenant: string;
  /** Days events are kept; null follows the platform default. */
  days: number | null;
  /** A configured destination name that expired events are archived to before the purge. */
  archiveDestination: string | null;
  legalHold: boolean;
  /** Why the hold was set (free text for people), null when there is none. */
  legalHoldReason: string | null;
  updatedAt: string;
}

/** The events a retention purge may delete: older than `beforeUs` and sequenced below `belowSeq`. */
export interface PurgeRange {
  beforeUs: number;
  belowSeq: number;
}

/** Dimensions a summary groups by (`group_by`). */
export const SUMMARY_DIMENSIONS = [
  'action',
  'category',
  'actor',
  'resource',
  'outcome',
  'source',
  'service',
  'environment',
  'log',
] as const;
export type SummaryDimension = (typeof SUMMARY_DIMENSIONS)[number];

/** Time buckets of a summary (`bucket`), in UTC. */
export const BUCKET_UNITS = ['minute', 'hour', 'day'] as const;
export type BucketUnit = (typeof BUCKET_UNITS)[number];

/** A validated summary request (built by query/summary.ts). */
export interface SummaryQuery {
  tenant: string;
  /** Which events count. A summary is always bounded in time: [fromUs, toUs) is required. */
  filter: EventFilter & { fromUs: number; toUs: number };
  groupBy: readonly SummaryDimension[];
  bucket?: BucketUnit;
  /** Entries per group and baselines kept, largest first. */
  top: number;
  /** Per-actor baselines, anchored at `filter.toUs` (see store/summary-tally.ts BASELINE). */
  baseline: boolean;
  /**
   * Most event rows a summary may read where rollups cannot answer. A summary that would read
   * more is refused with VIGIL_ERR_VALIDATION before anything is read.
   */
  maxScanRows: number;
  /** `scan` reads the events even where rollups could answer: to check one path against the other. */
  plan?: 'auto' | 'scan';
}

export interface SummaryCount {
  count: number;
  failures: number;
}

export interface SummaryBucket extends SummaryCount {
  startUs: number;
}

/** One entry of a group: `key` identifies the value (filterable), `label` is how people see it. */
export interface SummaryGroup extends SummaryCount {
  key: string;
  label: string;
}

/** An actor's events in the last 24 hours against its daily counts before. */
export interface ActorBaseline {
  actorId: string;
  label: string;
  today: number;
  mean: number;
  stddev: number;
  z: number;
  flagged: boolean;
}

/** How a summary was read: from rollups (and the events at the range's ragged edges), or by a scan. */
export type SummaryPlan = 'rollup' | 'scan';

export interface SummaryCounts extends SummaryCount {
  /** Every bucket of the range, zeros included, oldest first; present when a bucket was asked. */
  buckets?: SummaryBucket[];
  /** The top entries of each `groupBy` dimension, largest count first (ties by key). */
  groups: Partial<Record<SummaryDimension, SummaryGroup[]>>;
  /** Present when baselines were asked: highest z first. */
  baselines?: ActorBaseline[];
  plan: { counts: SummaryPlan; baselines?: SummaryPlan };
}

/** The summary read path alone, for code that needs nothing else of a store. */
export type Summaries = Pick<Store, 'summarize'>;

/** A dashboard session as stored (src/http/routes/session.ts): its id only as a SHA-256. */
export interface SessionRecord {
  idHash: string;
  /** The Principal it signs in, as JSON: no secret (a key's id, name, role and tenant, or a viewer token's claims). */
  principal: string;
  /** Unix time in milliseconds. */
  expiresAt: number;
}

/**
 * Where Vigil keeps everything. Two implementations (sqlite/, postgres/) pass one contract suite
 * (test/store-contract.ts). The contract:
 *
 * - Durable: when a write method's promise resolves, the data survives a crash of the process.
 * - `append` is the only way events enter. For each tenant it assigns `seq` densely from 0 in
 *   commit order, with no gaps and no duplicates even with several processes writing at once, and
 *   extends the tenant's Merkle tree in the same transaction, so events and tree never disagree.
 * - Events are immutable: the database itself refuses UPDATE and DELETE of event rows (only the
 *   retention purge may delete).
 * - Read-after-write: anything a resolved `append` stored is visible to every later read.
 * - Tenant isolation: every read takes a tenant and never returns another tenant's rows.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  /** Opens the database and runs pending migrations. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when the database answers; rejects (with VIGIL_ERR_UNAVAILABLE) when it does not. */
  ping(): Promise<void>;

  /**
   * Sequences and stores the events of several requests in one transaction (group commit).
   * Results are in request order. A request whose event reuses a stored id with other content
   * gets `{ok: false}` with VIGIL_ERR_CONFLICT and none of its events is stored; the other
   * requests are not affected. A storage failure rejects the whole call and stores nothing.
   */
  append(requests: AppendRequest[]): Promise<AppendResult[]>;
  /**
   * Optional: the dictionary the store compresses new bodies against, for the ingest thread to
   * compress a large request's bodies with before they reach `append` (`AppendRequest.stored`).
   */
  threadDictionary?(): BodyDictionary | undefined;

  /** One page of events in `order` by (occurred_at, seq), at most `limit` rows. */
  query(query: EventQuery): Promise<EventRow[]>;
  /**
   * The same answer as `query`, for bulk reads (exports, archives) that walk a whole log page by
   * page: the store may serve them so that they do not disturb the caches of the interactive path.
   */
  scan(query: EventQuery): Promise<EventRow[]>;
  /**
   * Optional: `query` as a thread can read it on a connection of its own, page after page (the
   * export's threads, src/export/encoder-pool.ts), so that a long export reads on other cores
   * than the event loop's. Plain data. Undefined where reads go through `scan` (PostgreSQL, whose
   * pool lives on the event loop; an in-memory database; a filter nothing can match).
   */
  threadScan?(query: ScanQuery): ThreadScan | undefined;
  getEvent(tenant: string, id: string): Promise<EventRow | null>;
  /** Events with `fromSeq <= seq < toSeq`, ascending, at most `limit`. Purged events are absent. */
  readBySeq(tenant: string, fromSeq: number, toSeq: number, limit: number): Promise<EventRow[]>;

  /** The tenant's Merkle tree now (size 0 for a tenant without events). */
  treeHead(tenant: string): Promise<TreeHead>;
  /** Stored hash tiles (C2SP tlog-tiles layout); missing keys are absent from the map. */
  readTiles(tenant: string, keys: TileKey[]): Promise<Map<string, Uint8Array>>;
  /** Stores signed checkpoints in one transaction (one commit however many tenants); one already stored at (tenant, size) is kept. */
  saveCheckpoints(checkpoints: readonly CheckpointRecord[]): Promise<void>;
  latestCheckpoint(tenant: string): Promise<CheckpointRecord | null>;
  /** Tenants that have at least one event, by name (the keys of `treeSizes`), for background jobs (retention). */
  tenants(): Promise<string[]>;
  /**
   * The tree size of every tenant that has at least one event, by name, in one read: the
   * checkpointer's sweep, every second, asks it rather than each tenant's head (a query per tenant
   * on PostgreSQL).
   */
  treeSizes(): Promise<Map<string, number>>;

  insertKey(key: ApiKeyRecord): Promise<void>;
  findKey(id: string): Promise<ApiKeyRecord | null>;
  /** Keys of one tenant, or every key when `tenant` is undefined. */
  listKeys(tenant?: string): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when no such unrevoked key exists. */
  revokeKey(id: string, revokedAt: string): Promise<boolean>;
  /** True when no key has ever been created (first start). */
  hasKeys(): Promise<boolean>;
  /**
   * Stores a dashboard session, having dropped the expired ones (at `now`) and, to keep at most
   * `max`, the ones that expire first.
   */
  saveSession(session: SessionRecord, now: number, max: number): Promise<void>;
  /** The session stored under `idHash`, expired or not; null when there is none. */
  findSession(idHash: string): Promise<SessionRecord | null>;
  deleteSession(idHash: string): Promise<void>;
  /**
   * Runs `fn` (the first start's admin key) while no other process sharing this database runs
   * its own: two processes starting at once on an empty database would otherwise each create an
   * admin key, and two given the same `VIGIL_ADMIN_KEY` would both try to insert it.
   */
  bootstrapExclusively<T>(fn: () => Promise<T>): Promise<T>;

  /**
   * A server-wide secret shared by every process on this database (cursor signing, redaction
   * HMAC): returns the stored value, or stores `create()` on first use. Safe under races.
   */
  secret(name: string, create: () => string): Promise<string>;

  /**
   * Background jobs (exports, retention runs). Several processes may share one database:
   * `claimJob` hands a job to exactly one runner at a time, and `updateJob` only writes while the
   * caller still owns the job, so a runner that lost its job (taken over after its heartbeat went
   * stale) can never overwrite the new owner's state.
   */
  createJob(job: JobRecord): Promise<void>;
  getJob(id: string): Promise<JobRecord | null>;
  /** The tenant's jobs, newest first, optionally of one kind and in some states; at most `limit`. */
  listJobs(tenant: string, options: { kind?: JobKind; states?: JobState[]; limit: number }): Promise<JobRecord[]>;
  /**
   * Atomically takes the oldest job that is `pending`, or `running` with a heartbeat older than
   * `staleBefore` (its runner is gone): sets it `running`, owned by `owner`, heartbeat `at`, and
   * one more attempt. Null when there is none.
   */
  claimJob(owner: string, staleBefore: string, at: string): Promise<JobRecord | null>;
  /**
   * Applies `update` if the job is still `running` and owned by `owner`; false (and nothing
   * written) otherwise. A completed or failed job never changes again.
   */
  updateJob(id: string, owner: string, update: JobUpdate): Promise<boolean>;

  /** The tenant's retention settings, or null when it has none (platform default, no hold). */
  getRetention(tenant: string): Promise<RetentionSettings | null>;
  /** Stores the tenant's settings whole (insert or replace). */
  putRetention(settings: RetentionSettings): Promise<void>;
  /**
   * The retention purge, the only deletion of events: deletes, in one transaction, at most
   * `limit` of the tenant's events in `range`, oldest first, and returns how many it deleted
   * (0 when none is left). Merkle tiles, tree heads and checkpoints are never touched, so the
   * tree head and every proof stay valid.
   */
  purgeEvents(tenant: string, range: PurgeRange, limit: number): Promise<number>;

  /**
   * Counts the tenant's events matching `query.filter`: total and failures, time buckets, the
   * top values of each dimension asked, per-actor baselines. Never reads another tenant's rows.
   * Reads rollups, which `append` maintains in its own transaction (so they are as durable as
   * the events), wherever they can answer: a filter on time, log, success and at most one rollup
   * dimension, grouped by that dimension, log or outcome (any dimension when the filter names
   * none); the ragged edges of the range come from the events. Otherwise it scans the events
   * through the narrowest index, refusing (VIGIL_ERR_VALIDATION) when that would read more than
   * `maxScanRows` rows. Both ways give the same answer. The retention purge leaves rollups as
   * they are, so counts over purged time remain.
   */
  summarize(query: SummaryQuery): Promise<SummaryCounts>;
}
