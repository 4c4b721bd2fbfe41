import type pg from 'pg';

/**
 * Versioned schema of the PostgreSQL store. A migration is never edited once released: a change
 * is a new entry. Pending migrations run in one transaction, each recorded in schema_migrations.
 *
 * Layout choices (DESIGN.md §3, docs/architecture.md "Storage: PostgreSQL"):
 * - Every table but the small global ones (tenants, api_keys, meta) has `tenant_id` first in its
 *   primary key and in every index, and nothing references or joins across tenants, so the
 *   tables distribute by `tenant_id` on Citus.
 * - `events` is range-partitioned by month on `occurred_us` (partitions.ts creates them). A
 *   partitioned table's unique constraints must contain the partition key, so what must be
 *   unique across months — (tenant, seq) and (tenant, id) — lives in the unpartitioned
 *   `event_keys`, which also points each id and seq at its partition.
 * - Repeated strings are interned per tenant into integer ids (dictionary.ts), which keeps the
 *   event indexes narrow; `body` is the canonical JSON exactly as hashed into the Merkle log.
 * - Append-only: triggers refuse UPDATE, DELETE and TRUNCATE of events and event_keys unless the
 *   transaction set `vigil.purge = 'on'` (the retention purge); Merkle tiles only grow.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'events partitioned by month, event keys, dictionaries, merkle tiles, keys',
    sql: `
      CREATE TABLE meta (name text PRIMARY KEY, value text NOT NULL);

      CREATE SEQUENCE tenant_ids AS integer;
      CREATE TABLE tenants (
        id integer PRIMARY KEY DEFAULT nextval('tenant_ids'),
        name text NOT NULL UNIQUE
      );

      -- Interned strings per tenant: kind 1 action, 2 category, 3 source, 4 service,
      -- 5 environment, 6 method, 7 resource type (sqlite/dictionary.ts TERM). "C" collation
      -- makes prefix searches (action=secret.*) index range scans.
      CREATE SEQUENCE term_ids AS integer;
      CREATE TABLE terms (
        tenant_id integer NOT NULL,
        id integer NOT NULL DEFAULT nextval('term_ids'),
        kind smallint NOT NULL,
        value text COLLATE "C" NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, kind, value)
      );

      CREATE SEQUENCE actor_ids AS integer;
      CREATE TABLE actors (
        tenant_id integer NOT NULL,
        id integer NOT NULL DEFAULT nextval('actor_ids'),
        type text NOT NULL,
        ext_id text NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, type, ext_id)
      );
      CREATE INDEX actors_ext_id ON actors (tenant_id, ext_id);
      -- Every email, name and display form (api-key:<name>) an actor was seen with, lower-cased.
      CREATE TABLE actor_aliases (
        tenant_id integer NOT NULL,
        alias text COLLATE "C" NOT NULL,
        actor_id integer NOT NULL,
        PRIMARY KEY (tenant_id, alias, actor_id)
      );

      CREATE SEQUENCE resource_ids AS integer;
      CREATE TABLE resources (
        tenant_id integer NOT NULL,
        id integer NOT NULL DEFAULT nextval('resource_ids'),
        type text NOT NULL,
        -- 16 bytes of SHA-256 of the resource's id, else path, else name (sqlite/dictionary.ts
        -- resourceKey): paths may be longer than a btree entry can hold.
        key_hash bytea NOT NULL,
        ext_id text,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, type, key_hash)
      );
      CREATE INDEX resources_ext_id ON resources (tenant_id, ext_id) WHERE ext_id IS NOT NULL;
      CREATE INDEX resources_type ON resources (tenant_id, type);
      -- Every name, path and id a resource was seen with (kind 1 name, 2 path, 3 id).
      CREATE TABLE resource_aliases (
        tenant_id integer NOT NULL,
        kind smallint NOT NULL,
        alias text COLLATE "C" NOT NULL,
        resource_id integer NOT NULL,
        PRIMARY KEY (tenant_id, kind, alias, resource_id)
      );

      -- Columns ordered wide to narrow so rows pack without alignment padding.
      CREATE TABLE events (
        seq bigint NOT NULL,
        occurred_us bigint NOT NULL,
        tenant_id integer NOT NULL,
        action_id integer NOT NULL,
        category_id integer NOT NULL,
        actor_id integer NOT NULL,
        resource_id integer,
        source_id integer,
        service_id integer,
        environment_id integer,
        method_id integer,
        uid uuid NOT NULL,
        status smallint,
        log smallint NOT NULL,
        crud smallint NOT NULL,
        success boolean NOT NULL,
        ip bytea,
        request_id text,
        session_id text,
        reason text,
        body text NOT NULL,
        PRIMARY KEY (tenant_id, occurred_us, seq)
      ) PARTITION BY RANGE (occurred_us);
      CREATE INDEX events_actor ON events (tenant_id, actor_id, occurred_us, seq);
      CREATE INDEX events_resource ON events (tenant_id, resource_id, occurred_us, seq) WHERE resource_id IS NOT NULL;
      CREATE INDEX events_action ON events (tenant_id, action_id, occurred_us, seq);

      CREATE TABLE event_keys (
        tenant_id integer NOT NULL,
        seq bigint NOT NULL,
        occurred_us bigint NOT NULL,
        uid uuid NOT NULL,
        PRIMARY KEY (tenant_id, seq),
        UNIQUE (tenant_id, uid)
      );

      CREATE FUNCTION vigil_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('vigil.purge', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION '% are append-only: % refused', TG_ARGV[0], TG_OP
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'only the retention purge deletes, with SET LOCAL vigil.purge = ''on''';
      END
      $fn$;
      -- Row triggers on a partitioned table are cloned onto every partition, present and future.
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION vigil_append_only('events');
      CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION vigil_append_only('events');
      CREATE TRIGGER event_keys_append_only BEFORE UPDATE OR DELETE ON event_keys
        FOR EACH ROW EXECUTE FUNCTION vigil_append_only('event keys');
      CREATE TRIGGER event_keys_no_truncate BEFORE TRUNCATE ON event_keys
        FOR EACH STATEMENT EXECUTE FUNCTION vigil_append_only('event keys');

      -- Merkle tree per tenant as C2SP tlog-tiles (integrity/tiles.ts). A tile only ever grows.
      CREATE TABLE merkle_tiles (
        tenant_id integer NOT NULL,
        level smallint NOT NULL,
        idx bigint NOT NULL,
        hashes bytea NOT NULL,
        PRIMARY KEY (tenant_id, level, idx)
      );
      CREATE FUNCTION vigil_tiles_grow_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP = 'UPDATE' AND length(NEW.hashes) >= length(OLD.hashes)
           AND substr(NEW.hashes, 1, length(OLD.hashes)) = OLD.hashes THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'merkle tiles only grow: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $fn$;
      CREATE TRIGGER merkle_tiles_grow_only BEFORE UPDATE OR DELETE ON merkle_tiles
        FOR EACH ROW EXECUTE FUNCTION vigil_tiles_grow_only();
      CREATE TRIGGER merkle_tiles_no_truncate BEFORE TRUNCATE ON merkle_tiles
        FOR EACH STATEMENT EXECUTE FUNCTION vigil_tiles_grow_only();

      -- One row per tenant: the tree's size and root. Its row lock serialises every writer of
      -- the tenant, in this process and in every other (append.ts).
      CREATE TABLE tree_heads (
        tenant_id integer PRIMARY KEY,
        size bigint NOT NULL,
        root bytea NOT NULL
      );

      CREATE TABLE checkpoints (
        tenant_id integer NOT NULL,
        size bigint NOT NULL,
        note text NOT NULL,
        created_at text NOT NULL,
        PRIMARY KEY (tenant_id, size)
      );

      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        tenant text,
        role text NOT NULL,
        name text NOT NULL,
        secret_hash text NOT NULL,
        created_at text NOT NULL,
        created_by text,
        revoked_at text,
        expires_at text
      );
      CREATE INDEX api_keys_tenant ON api_keys (tenant);
    `,
  },
  {
    version: 2,
    name: 'background jobs, retention settings',
    sql: `
      -- Export and retention jobs (src/export, src/retention); few rows, claimed by any process.
      CREATE TABLE jobs (
        id text PRIMARY KEY,
        tenant text NOT NULL,
        kind text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'failed')),
        spec text NOT NULL,
        progress text,
        result text,
        error text,
        owner text,
        attempts integer NOT NULL DEFAULT 0,
        created_at text NOT NULL,
        updated_at text NOT NULL,
        heartbeat_at text
      );
      CREATE INDEX jobs_tenant ON jobs (tenant, created_at);
      CREATE INDEX jobs_open ON jobs (state, created_at) WHERE state IN ('pending', 'running');

      CREATE TABLE retention_settings (
        tenant text PRIMARY KEY,
        days integer CHECK (days IS NULL OR days >= 1),
        archive_destination text,
        legal_hold boolean NOT NULL DEFAULT false,
        legal_hold_reason text,
        updated_at text NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'summary rollups',
    sql: `
      -- Summary rollups (store/rollups.ts, docs/architecture.md "Summaries"): events and
      -- failures per tenant, dimension (0 total, 1 action, 2 category, 3 actor, 4 resource,
      -- 5 source, 6 service, 7 environment), span (1 hour, 2 day; resources per day only),
      -- bucket start in hours since the epoch, value id (0 for total) and log. The append
      -- transaction keeps them (since migration 6, a fold after it); the retention purge leaves
      -- them.
      CREATE TABLE rollups (
        tenant_id integer NOT NULL,
        dim smallint NOT NULL,
        span smallint NOT NULL,
        start_hour integer NOT NULL,
        value_id integer NOT NULL,
        log smallint NOT NULL,
        count bigint NOT NULL,
        failures bigint NOT NULL,
        PRIMARY KEY (tenant_id, dim, span, start_hour, value_id, log)
      );

      -- Backfill from the events stored before this migration.
      CREATE TEMPORARY TABLE rollup_facts ON COMMIT DROP AS
      SELECT e.tenant_id, (e.occurred_us / 3600000000)::integer AS hour, e.log, e.success, d.dim, d.value_id
        FROM events e
        CROSS JOIN LATERAL (VALUES (0, 0), (1, e.action_id), (2, e.category_id), (3, e.actor_id), (4, e.resource_id),
                                   (5, e.source_id), (6, e.service_id), (7, e.environment_id)) AS d(dim, value_id)
       WHERE d.value_id IS NOT NULL;
      INSERT INTO rollups (tenant_id, dim, span, start_hour, value_id, log, count, failures)
      SELECT tenant_id, dim, 1, hour, value_id, log, count(*), count(*) FILTER (WHERE NOT success)
        FROM rollup_facts WHERE dim <> 4
       GROUP BY tenant_id, dim, hour, value_id, log;
      INSERT INTO rollups (tenant_id, dim, span, start_hour, value_id, log, count, failures)
      SELECT tenant_id, dim, 2, hour - hour % 24, value_id, log, count(*), count(*) FILTER (WHERE NOT success)
        FROM rollup_facts
       GROUP BY tenant_id, dim, hour - hour % 24, value_id, log;
    `,
  },
  {
    version: 4,
    name: 'day rollups of actors, every log added up',
    sql: `
      -- Day rows of actors with every log added up (span 3, log 0; store/rollups.ts
      -- ALL_LOGS_DAYS): the per-actor sums over many days behind the top actors and the
      -- baselines read fewer rows, already one per day and actor. Built from the day rows,
      -- which count the same events.
      INSERT INTO rollups (tenant_id, dim, span, start_hour, value_id, log, count, failures)
      SELECT tenant_id, dim, 3, start_hour, value_id, 0, SUM(count), SUM(failures) FROM rollups WHERE span = 2 AND dim = 3
       GROUP BY tenant_id, dim, start_hour, value_id;
    `,
  },
  {
    version: 5,
    name: 'dashboard sessions',
    sql: `
      -- Dashboard sessions (src/http/routes/session.ts), shared by every process on the
      -- database: a dashboard behind a load balancer stays signed in whichever process answers.
      -- Under the SHA-256 of the session id (the cookie), never the id; the principal as JSON (a
      -- key's id, name, role and tenant, or a viewer token's claims: no secret); expiry in Unix
      -- milliseconds.
      CREATE TABLE dashboard_sessions (
        id_hash text PRIMARY KEY,
        principal text NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
    `,
  },
  {
    version: 6,
    name: 'rollups counted after the append',
    sql: `
      -- Rollups are counted from the committed events by the fold (store/postgres/rollups.ts),
      -- no longer in the append transaction: each tenant's mark says which events they count
      -- (seq < mark). Until now the appends counted every event they stored.
      CREATE TABLE rollup_marks (
        tenant_id integer PRIMARY KEY,
        seq bigint NOT NULL
      );
      INSERT INTO rollup_marks (tenant_id, seq) SELECT tenant_id, size FROM tree_heads;
    `,
  },
  {
    version: 7,
    name: 'room for heap-only updates of tiles and heads',
    sql: `
      -- Every append rewrites each tenant's head and its partial edge tiles. With room left in
      -- their pages an update can stay in the page (a heap-only tuple: no new index entry). Both
      -- tables' rows are small (a tile's hashes live in TOAST), so the space costs next to nothing.
      -- Applies to pages written from now on.
      ALTER TABLE merkle_tiles SET (fillfactor = 50);
      ALTER TABLE tree_heads SET (fillfactor = 50);
    `,
  },
];

/** pg_advisory_xact_lock key held while migrating ('VIGL' then 1). */
const MIGRATION_LOCK = 0x5649474c_01;

/**
 * Applies every migration newer than the database's version, in one transaction that first takes
 * a transaction-level advisory lock: a second process starting at the same moment waits, then
 * finds nothing left to do. (A transaction lock, unlike a session one, also holds through
 * PgBouncer in transaction pooling mode.)
 */
export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    await client.query('COMMIT');
  } catch (err) {
    // The migration's error is what matters; a connection that died has rolled back already.
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
