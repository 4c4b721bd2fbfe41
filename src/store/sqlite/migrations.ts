import type Database from 'better-sqlite3';
import { DAY_US } from '../rollups.js';
import { rowIdSql, SEQS_PER_TENANT } from './row-ids.js';

/**
 * Versioned schema of the embedded store. A migration is never edited once released: a change is
 * a new entry. Each runs in its own transaction with its version recorded in schema_migrations.
 *
 * Layout choices (DESIGN.md §3): events live in a rowid table keyed by tenant and seq (migration
 * 8), so each tenant's rows are appended at the end of its own run; strings that repeat (tenants, actions, actors, resources, …) are interned into small
 * integer keys, which keeps the secondary indexes narrow; `body` is the event's canonical JSON,
 * byte for byte as hashed into the Merkle log, and the columns beside it only serve filtering.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'events, dictionaries, merkle tiles, keys',
    sql: `
      CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

      CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);

      -- Interned strings: kind 1 action, 2 category, 3 source, 4 service, 5 environment,
      -- 6 method, 7 resource type (see dictionary.ts).
      CREATE TABLE terms (
        id INTEGER PRIMARY KEY,
        kind INTEGER NOT NULL,
        value TEXT NOT NULL,
        UNIQUE (kind, value)
      );

      CREATE TABLE actors (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL,
        type TEXT NOT NULL,
        ext_id TEXT NOT NULL,
        UNIQUE (tenant_id, type, ext_id)
      );
      -- Every email, name and display form (api-key:<name>) an actor was seen with.
      CREATE TABLE actor_aliases (
        tenant_id INTEGER NOT NULL,
        alias TEXT NOT NULL COLLATE NOCASE,
        actor_id INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, alias, actor_id)
      ) WITHOUT ROWID;

      CREATE TABLE resources (
        id INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL,
        type TEXT NOT NULL,
        -- The resource's id, else its path, else its name: what makes two events' resources one.
        ext_key TEXT NOT NULL,
        ext_id TEXT,
        UNIQUE (tenant_id, type, ext_key)
      );
      -- Every name and path a resource was seen with (kind 1 name, 2 path).
      CREATE TABLE resource_aliases (
        tenant_id INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        alias TEXT NOT NULL,
        resource_id INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, kind, alias, resource_id)
      ) WITHOUT ROWID;

      CREATE TABLE events (
        rid INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        uid BLOB NOT NULL,
        log INTEGER NOT NULL,
        action_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,
        crud INTEGER NOT NULL,
        actor_id INTEGER NOT NULL,
        resource_id INTEGER,
        source_id INTEGER,
        service_id INTEGER,
        environment_id INTEGER,
        success INTEGER NOT NULL,
        status INTEGER,
        method_id INTEGER,
        ip BLOB,
        request_id TEXT,
        session_id TEXT,
        body TEXT NOT NULL
      );
      CREATE UNIQUE INDEX events_seq ON events (tenant_id, seq);
      CREATE UNIQUE INDEX events_uid ON events (tenant_id, uid);
      CREATE INDEX events_time ON events (tenant_id, ts, seq);
      CREATE INDEX events_actor ON events (tenant_id, actor_id, ts, seq);
      CREATE INDEX events_resource ON events (tenant_id, resource_id, ts, seq) WHERE resource_id IS NOT NULL;
      CREATE INDEX events_action ON events (tenant_id, action_id, ts, seq);

      -- Append-only: nothing updates an event; only the retention purge deletes, and only while
      -- it holds a row in purge_session inside its own transaction.
      CREATE TABLE purge_session (id INTEGER PRIMARY KEY CHECK (id = 1));
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        WHEN NOT EXISTS (SELECT 1 FROM purge_session)
        BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;

      -- Merkle tree per tenant as C2SP tlog-tiles (integrity/tiles.ts). A tile only ever grows.
      CREATE TABLE merkle_tiles (
        tenant_id INTEGER NOT NULL,
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hashes BLOB NOT NULL,
        PRIMARY KEY (tenant_id, level, idx)
      ) WITHOUT ROWID;
      CREATE TRIGGER merkle_tiles_grow_only BEFORE UPDATE ON merkle_tiles
        WHEN length(NEW.hashes) < length(OLD.hashes)
          OR substr(NEW.hashes, 1, length(OLD.hashes)) <> OLD.hashes
        BEGIN SELECT RAISE(ABORT, 'merkle tiles only grow'); END;
      CREATE TRIGGER merkle_tiles_no_delete BEFORE DELETE ON merkle_tiles
        BEGIN SELECT RAISE(ABORT, 'merkle tiles are append-only'); END;

      CREATE TABLE tree_heads (
        tenant_id INTEGER PRIMARY KEY,
        size INTEGER NOT NULL,
        root BLOB NOT NULL
      );

      CREATE TABLE checkpoints (
        tenant_id INTEGER NOT NULL,
        size INTEGER NOT NULL,
        note TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, size)
      ) WITHOUT ROWID;

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        tenant TEXT,
        role TEXT NOT NULL,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT,
        revoked_at TEXT,
        expires_at TEXT
      );
      CREATE INDEX api_keys_tenant ON api_keys (tenant);
    `,
  },
  {
    version: 2,
    name: 'background jobs, retention settings',
    sql: `
      -- Export and retention jobs (src/export, src/retention). spec/progress/result are JSON
      -- documents read only by the job's handler; they never hold credentials.
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'failed')),
        spec TEXT NOT NULL,
        progress TEXT,
        result TEXT,
        error TEXT,
        owner TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        heartbeat_at TEXT
      );
      CREATE INDEX jobs_tenant ON jobs (tenant, created_at);
      -- Only unfinished jobs are looked for by state, so a partial index stays small.
      CREATE INDEX jobs_open ON jobs (state, created_at) WHERE state IN ('pending', 'running');

      CREATE TABLE retention_settings (
        tenant TEXT PRIMARY KEY,
        days INTEGER CHECK (days IS NULL OR days >= 1),
        archive_destination TEXT,
        legal_hold INTEGER NOT NULL DEFAULT 0,
        legal_hold_reason TEXT,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'summary rollups',
    sql: `
      -- Summary rollups (store/rollups.ts, docs/architecture.md "Summaries"): events and
      -- failures per tenant, dimension (0 total, 1 action, 2 category, 3 actor, 4 resource,
      -- 5 source, 6 service, 7 environment), span (1 hour, 2 day), bucket start in hours since
      -- the epoch, log and value id (0 for total). The append transaction keeps them; the
      -- retention purge leaves them. Primary key order serves "one dimension over a time range".
      CREATE TABLE rollups (
        tenant_id INTEGER NOT NULL,
        dim INTEGER NOT NULL,
        span INTEGER NOT NULL,
        start_hour INTEGER NOT NULL,
        log INTEGER NOT NULL,
        value_id INTEGER NOT NULL,
        count INTEGER NOT NULL,
        failures INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, dim, span, start_hour, log, value_id)
      ) WITHOUT ROWID;

      -- Backfill from the events stored before this migration (ts is never negative).
      INSERT INTO rollups (tenant_id, dim, span, start_hour, log, value_id, count, failures)
      SELECT tenant_id, dim, 1, hour, log, value_id, count(*), count(*) - sum(success)
      FROM (
        SELECT tenant_id, ts / 3600000000 AS hour, log, success, 0 AS dim, 0 AS value_id FROM events
        UNION ALL SELECT tenant_id, ts / 3600000000, log, success, 1, action_id FROM events
        UNION ALL SELECT tenant_id, ts / 3600000000, log, success, 2, category_id FROM events
        UNION ALL SELECT tenant_id, ts / 3600000000, log, success, 3, actor_id FROM events
        UNION ALL SELECT tenant_id, ts / 3600000000, log, success, 4, resource_id FROM events
        UNION ALL SELECT tenant_id, ts / 3600000000, log, success, 5, source_id FROM events
        UNION ALL SELECT tenant_id, ts / 3600000000, log, success, 6, service_id FROM events
        UNION ALL SELECT tenant_id, ts / 3600000000, log, success, 7, environment_id FROM events
      )
      WHERE value_id IS NOT NULL
      GROUP BY tenant_id, dim, hour, log, value_id;
      INSERT INTO rollups (tenant_id, dim, span, start_hour, log, value_id, count, failures)
      SELECT tenant_id, dim, 2, start_hour - start_hour % 24, log, value_id, sum(count), sum(failures)
      FROM rollups WHERE span = 1
      GROUP BY tenant_id, dim, start_hour - start_hour % 24, log, value_id;
    `,
  },
  {
    version: 4,
    name: 'summary rollups keyed by bucket then value; resources per day only',
    sql: `
      -- Measured (bench/summary.ts): hour rows of resources cost about one upsert per event and
      -- save little on reads, so they go (store/rollups.ts HOURLY); and with value_id before
      -- log, "per value per day" sums read the key in order.
      CREATE TABLE rollups_v4 (
        tenant_id INTEGER NOT NULL,
        dim INTEGER NOT NULL,
        span INTEGER NOT NULL,
        start_hour INTEGER NOT NULL,
        value_id INTEGER NOT NULL,
        log INTEGER NOT NULL,
        count INTEGER NOT NULL,
        failures INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, dim, span, start_hour, value_id, log)
      ) WITHOUT ROWID;
      INSERT INTO rollups_v4 (tenant_id, dim, span, start_hour, value_id, log, count, failures)
      SELECT tenant_id, dim, span, start_hour, value_id, log, count, failures FROM rollups
      WHERE NOT (span = 1 AND dim = 4);
      DROP TABLE rollups;
      ALTER TABLE rollups_v4 RENAME TO rollups;
    `,
  },
  {
    version: 5,
    name: 'rollup marks: rollups written every second, not in every append',
    sql: `
      -- Rollups count every event of a tenant with seq < its mark (sqlite/rollups.ts). Events
      -- above the mark are counted in memory and written within a second; after a crash the
      -- store counts them again from the events when it opens. Until now rollups were written in
      -- every append, so they are complete up to each tree's size.
      CREATE TABLE rollup_marks (tenant_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
      INSERT INTO rollup_marks (tenant_id, seq) SELECT tenant_id, size FROM tree_heads;
    `,
  },
  {
    version: 6,
    name: 'day rollups of actors, every log added up',
    sql: `
      -- Day rows of actors with every log added up (span 3, log 0; store/rollups.ts
      -- ALL_LOGS_DAYS): the per-actor sums over many days behind the top actors and the
      -- baselines read fewer rows, already one per day and actor. Built from the day rows,
      -- which count the same events (those below the mark).
      INSERT INTO rollups (tenant_id, dim, span, start_hour, value_id, log, count, failures)
      SELECT tenant_id, dim, 3, start_hour, value_id, 0, SUM(count), SUM(failures) FROM rollups WHERE span = 2 AND dim = 3
      GROUP BY tenant_id, dim, start_hour, value_id;
    `,
  },
  {
    version: 7,
    name: 'day-first action, actor and resource indexes',
    sql: `
      -- Keyed value first, these indexes took each insert at a random place of an index as large
      -- as the whole log, so every commit rewrote about one page per event per index, more as the
      -- log grew (BENCHMARKS.md, bench/index-layout.ts). With the event's UTC day first, inserts
      -- touch only the current day's part, whose size is set by the daily volume. Reads give the
      -- day: pages walk the days of their range (sqlite-store.ts), scans list them (summary.ts).
      ALTER TABLE events ADD COLUMN day INTEGER GENERATED ALWAYS AS (ts / ${DAY_US}) VIRTUAL;
      DROP INDEX events_actor;
      DROP INDEX events_resource;
      DROP INDEX events_action;
      CREATE INDEX events_actor ON events (tenant_id, day, actor_id, ts, seq);
      CREATE INDEX events_resource ON events (tenant_id, day, resource_id, ts, seq) WHERE resource_id IS NOT NULL;
      CREATE INDEX events_action ON events (tenant_id, day, action_id, ts, seq);
    `,
  },
  {
    version: 8,
    name: 'events keyed by tenant and seq',
    sql: `
      -- The row id was the arrival order, so a tenant's events lay among every other tenant's:
      -- once the store outgrew memory, reading one tenant's rows in order (an export, a trail)
      -- cost a random page read per few rows. Keyed by tenant then seq (row-ids.ts), a tenant's
      -- events are one run of the table, and the row id is the unique (tenant, seq) key, so
      -- events_seq goes. The table is copied in its stored order (a sequential read) and its
      -- indexes built again; this needs free disk for a second copy of the events while it runs.
      CREATE TABLE events_by_tenant (
        rid INTEGER PRIMARY KEY,
        tenant_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        uid BLOB NOT NULL,
        log INTEGER NOT NULL,
        action_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL,
        crud INTEGER NOT NULL,
        actor_id INTEGER NOT NULL,
        resource_id INTEGER,
        source_id INTEGER,
        service_id INTEGER,
        environment_id INTEGER,
        success INTEGER NOT NULL,
        status INTEGER,
        method_id INTEGER,
        ip BLOB,
        request_id TEXT,
        session_id TEXT,
        body TEXT NOT NULL,
        day INTEGER GENERATED ALWAYS AS (ts / ${DAY_US}) VIRTUAL,
        CHECK (seq >= 0 AND seq < ${SEQS_PER_TENANT} AND rid = ${rowIdSql('tenant_id', 'seq')})
      );
      INSERT INTO events_by_tenant (rid, tenant_id, seq, ts, uid, log, action_id, category_id, crud, actor_id, resource_id,
          source_id, service_id, environment_id, success, status, method_id, ip, request_id, session_id, body)
        SELECT ${rowIdSql('tenant_id', 'seq')}, tenant_id, seq, ts, uid, log, action_id, category_id, crud, actor_id, resource_id,
          source_id, service_id, environment_id, success, status, method_id, ip, request_id, session_id, body
        FROM events ORDER BY rid;
      DROP TABLE events;
      ALTER TABLE events_by_tenant RENAME TO events;
      CREATE UNIQUE INDEX events_uid ON events (tenant_id, uid);
      CREATE INDEX events_time ON events (tenant_id, ts, seq);
      CREATE INDEX events_actor ON events (tenant_id, day, actor_id, ts, seq);
      CREATE INDEX events_resource ON events (tenant_id, day, resource_id, ts, seq) WHERE resource_id IS NOT NULL;
      CREATE INDEX events_action ON events (tenant_id, day, action_id, ts, seq);
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        WHEN NOT EXISTS (SELECT 1 FROM purge_session)
        BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;
    `,
  },
  {
    version: 9,
    name: 'compressed event bodies',
    sql: `
      -- Bodies written from now on are zstd frames against a dictionary of the store's vocabulary
      -- (body-codec.ts): a BLOB whose first byte is the dictionary's id. Bodies already stored
      -- stay JSON text; both read back as the same canonical JSON through event_body (body-codec.ts).
      -- A dictionary is never changed or deleted while a body may use it.
      CREATE TABLE body_dictionaries (
        id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 255),
        bytes BLOB NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'indexes end in the row id, not seq',
    sql: `
      -- Every index entry ends in the row id, which is the tenant then the seq (row-ids.ts): a
      -- tenant's entries of equal keys are already in seq order, and seq repeated before the
      -- row id cost ~4 bytes an entry in four indexes. Pages order by (ts, rid).
      DROP INDEX events_time;
      DROP INDEX events_actor;
      DROP INDEX events_resource;
      DROP INDEX events_action;
      CREATE INDEX events_time ON events (tenant_id, ts);
      CREATE INDEX events_actor ON events (tenant_id, day, actor_id, ts);
      CREATE INDEX events_resource ON events (tenant_id, day, resource_id, ts) WHERE resource_id IS NOT NULL;
      CREATE INDEX events_action ON events (tenant_id, day, action_id, ts);
    `,
  },
  {
    version: 11,
    name: 'event bodies without what their columns hold',
    sql: `
      -- Format 2 (body-decoder.ts) leaves out of the compressed body the values its columns hold
      -- (received_at as its lag behind occurred_at, a new column) and zstd's magic number. Bodies
      -- keep the format of their dictionary, so the store's latest dictionary is taken again as
      -- format 2 for the bodies written from now on.
      ALTER TABLE events ADD COLUMN received_lag_us INTEGER;
      ALTER TABLE body_dictionaries ADD COLUMN format INTEGER NOT NULL DEFAULT 1 CHECK (format IN (1, 2));
      INSERT INTO body_dictionaries (id, bytes, created_at, format)
        SELECT id + 1, bytes, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 2 FROM body_dictionaries WHERE id < 255 ORDER BY id DESC LIMIT 1;
    `,
  },
  {
    version: 12,
    name: 'dashboard sessions',
    sql: `
      -- Dashboard sessions (src/http/routes/session.ts), kept here rather than in one process's
      -- memory: a restart no longer signs everyone out. Under the SHA-256 of the session id (the
      -- cookie), never the id; the principal as JSON (a key's id, name, role and tenant, or a
      -- viewer token's claims: no secret); expiry in Unix milliseconds.
      CREATE TABLE dashboard_sessions (
        id_hash TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
    `,
  },
  {
    version: 13,
    name: 'partial merkle tiles in strips',
    sql: `
      -- A tenant's right-edge tiles grow with each append, and each append rewrote them whole:
      -- 8 KB at level 0, which SQLite keeps on overflow pages, so even one event wrote about four
      -- pages for its tenant's tile. They are kept in strips of 16 hashes (512 bytes, within one
      -- page) instead, an append writes only the strips it grows (tree-cache.ts), and a tile
      -- moves to merkle_tiles once full, which now holds full tiles only.
      CREATE TABLE merkle_edge (
        tenant_id INTEGER NOT NULL,
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        strip INTEGER NOT NULL,
        hashes BLOB NOT NULL,
        PRIMARY KEY (tenant_id, level, idx, strip)
      ) WITHOUT ROWID;
      WITH RECURSIVE strips(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM strips WHERE n < 15)
      INSERT INTO merkle_edge (tenant_id, level, idx, strip, hashes)
        SELECT t.tenant_id, t.level, t.idx, strips.n, substr(t.hashes, 1 + strips.n * 512, 512)
        FROM merkle_tiles t JOIN strips ON length(t.hashes) > strips.n * 512
        WHERE length(t.hashes) < 8192;
      DROP TRIGGER merkle_tiles_no_delete;
      DELETE FROM merkle_tiles WHERE length(hashes) < 8192;
      CREATE TRIGGER merkle_tiles_no_delete BEFORE DELETE ON merkle_tiles
        BEGIN SELECT RAISE(ABORT, 'merkle tiles are append-only'); END;
      CREATE TRIGGER merkle_edge_grow_only BEFORE UPDATE ON merkle_edge
        WHEN length(NEW.hashes) < length(OLD.hashes)
          OR substr(NEW.hashes, 1, length(OLD.hashes)) <> OLD.hashes
        BEGIN SELECT RAISE(ABORT, 'merkle tiles only grow'); END;
      CREATE TRIGGER merkle_edge_moved_only BEFORE DELETE ON merkle_edge
        WHEN NOT EXISTS (SELECT 1 FROM merkle_tiles WHERE tenant_id = OLD.tenant_id AND level = OLD.level AND idx = OLD.idx)
        BEGIN SELECT RAISE(ABORT, 'a partial merkle tile is deleted only once stored full'); END;
    `,
  },
];

/** Applies every migration newer than the database's version, each in its own transaction. */
export function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    }).immediate();
  }
}
