import { createHash } from 'node:crypto';
import type pg from 'pg';
import { actorAliases } from '../../domain/actor.js';
import type { Actor, PreparedEvent, Resource } from '../../domain/event.js';
import { EMPTY_ROOT } from '../../integrity/hash.js';
import { RESOURCE_ALIAS, TERM, resourceKey, type TermKind } from '../sqlite/dictionary.js';

/**
 * A btree entry holds at most ~2.7 kB; longer names and paths (possible in multi-byte scripts)
 * are stored in the event but not indexed as aliases, so they are not found by exact alias.
 */
const MAX_ALIAS_BYTES = 2000;

/** Past this many cached ids the cache starts again empty (it refills from the database). */
const MAX_CACHED = 1_000_000;

const termKey = (tenantId: number, kind: TermKind, value: string) => `t\0${tenantId}\0${kind}\0${value}`;
const actorKey = (tenantId: number, type: string, extId: string) => `a\0${tenantId}\0${type}\0${extId}`;
const resourceCacheKey = (tenantId: number, resource: Resource) => `r\0${tenantId}\0${resource.type}\0${resourceKey(resource)}`;

/** What makes two events' resources one, as stored: 16 bytes of SHA-256 of `resourceKey`. */
function resourceHash(resource: Resource): Buffer {
  return createHash('sha256').update(resourceKey(resource)).digest().subarray(0, 16);
}

/** The event's strings that are interned as terms. */
function eventTerms(event: PreparedEvent): [TermKind, string | undefined][] {
  return [
    [TERM.action, event.action],
    [TERM.category, event.category],
    [TERM.source, event.source],
    [TERM.service, event.service],
    [TERM.environment, event.environment],
    [TERM.method, event.request?.method],
    [TERM.resourceType, event.resource?.type],
  ];
}

/**
 * Interns repeated strings into integer ids, per tenant, shared by every Vigil process on the
 * database. The process-local cache only ever holds ids that are committed: tenants are created
 * in their own statement, and the ids that an append transaction creates are staged in its
 * `Interning` and published only after COMMIT, so a rolled-back transaction cannot leave an id in
 * the cache that the database does not have.
 */
export class Dictionary {
  private readonly committed = new Map<string, number>();

  constructor(private readonly pool: pg.Pool) {}

  /** The tenant's id, or undefined when it was never created. */
  async findTenant(name: string): Promise<number | undefined> {
    const cached = this.committed.get(`n\0${name}`);
    if (cached !== undefined) return cached;
    const { rows } = await this.pool.query<{ id: number }>('SELECT id FROM tenants WHERE name = $1', [name]);
    if (rows[0]) this.remember(`n\0${name}`, rows[0].id);
    return rows[0]?.id;
  }

  /**
   * Ids of these tenants, creating those that do not exist yet together with their empty tree
   * head, in statements of their own (committed at once, before any append transaction locks
   * the heads).
   */
  async tenants(names: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const missing: string[] = [];
    for (const name of names) {
      const id = this.committed.get(`n\0${name}`);
      if (id === undefined) missing.push(name);
      else out.set(name, id);
    }
    if (missing.length === 0) return out;
    const { rows } = await this.pool.query<{ id: number; name: string }>(
      `WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS name),
       added AS (INSERT INTO tenants (name) SELECT name FROM wanted ORDER BY name ON CONFLICT DO NOTHING RETURNING id, name)
       SELECT id, name FROM added UNION ALL SELECT t.id, t.name FROM tenants t JOIN wanted USING (name)`,
      [missing],
    );
    if (rows.length < missing.length) {
      // Created by another process after this statement's snapshot: visible to a new statement.
      const found = new Set(rows.map((r) => r.name));
      const late = missing.filter((name) => !found.has(name));
      rows.push(...(await this.pool.query<{ id: number; name: string }>('SELECT id, name FROM tenants WHERE name = ANY($1::text[])', [late])).rows);
    }
    await this.pool.query(
      `INSERT INTO tree_heads (tenant_id, size, root) SELECT id, 0, $2 FROM unnest($1::int[]) AS id ORDER BY id
       ON CONFLICT DO NOTHING`,
      [rows.map((r) => r.id), Buffer.from(EMPTY_ROOT)],
    );
    for (const row of rows) {
      this.remember(`n\0${row.name}`, row.id);
      out.set(row.name, row.id);
    }
    return out;
  }

  /** A term's id for filtering; undefined when the tenant never stored it. */
  async findTerm(tenantId: number, kind: TermKind, value: string): Promise<number | undefined> {
    const key = termKey(tenantId, kind, value);
    const cached = this.committed.get(key);
    if (cached !== undefined) return cached;
    const { rows } = await this.pool.query<{ id: number }>(
      'SELECT id FROM terms WHERE tenant_id = $1 AND kind = $2 AND value = $3',
      [tenantId, kind, value],
    );
    if (rows[0]) this.remember(key, rows[0].id);
    return rows[0]?.id;
  }

  /** A fresh staging area for one append transaction. */
  interning(): Interning {
    return new Interning(this);
  }

  cached(key: string): number | undefined {
    return this.committed.get(key);
  }

  /** Called with ids (and alias markers) whose transaction has committed. */
  remember(key: string, id: number): void {
    if (this.committed.size >= MAX_CACHED) this.committed.clear();
    this.committed.set(key, id);
  }
}

/** One event whose strings must have ids before its row is written. */
export interface InternRequest {
  tenantId: number;
  event: PreparedEvent;
}

interface AliasRow {
  tenantId: number;
  kind: number;
  alias: string;
  ownerId: number;
  marker: string;
}

/**
 * The ids one append transaction needs. `intern` inserts what is missing (INSERT … ON CONFLICT DO
 * NOTHING RETURNING, then a re-select for rows another writer committed meanwhile); the ids are
 * readable at once within the transaction and become cached for the process on `publish`.
 */
export class Interning {
  private readonly staged = new Map<string, number>();

  constructor(private readonly dict: Dictionary) {}

  private id(key: string): number | undefined {
    return this.staged.get(key) ?? this.dict.cached(key);
  }

  private must(key: string): number {
    const id = this.id(key);
    if (id === undefined) throw new Error(`dictionary id missing for ${JSON.stringify(key)}`);
    return id;
  }

  term(tenantId: number, kind: TermKind, value: string | undefined): number | null {
    return value === undefined ? null : this.must(termKey(tenantId, kind, value));
  }

  actor(tenantId: number, actor: Actor): number {
    return this.must(actorKey(tenantId, actor.type, actor.id));
  }

  resource(tenantId: number, resource: Resource | undefined): number | null {
    return resource === undefined ? null : this.must(resourceCacheKey(tenantId, resource));
  }

  /** Makes sure every string of these events has an id. */
  async intern(client: pg.ClientBase, requests: readonly InternRequest[]): Promise<void> {
    await this.internTerms(client, requests);
    await this.internActors(client, requests);
    await this.internResources(client, requests);
    await this.internAliases(client, requests);
  }

  /** Makes the staged ids visible to later transactions of this process; call after COMMIT. */
  publish(): void {
    for (const [key, id] of this.staged) this.dict.remember(key, id);
  }

  private async internTerms(client: pg.ClientBase, requests: readonly InternRequest[]): Promise<void> {
    const wanted = new Map<string, [number, number, string]>();
    for (const { tenantId, event } of requests) {
      for (const [kind, value] of eventTerms(event)) {
        if (value === undefined) continue;
        const key = termKey(tenantId, kind, value);
        if (this.id(key) === undefined) wanted.set(key, [tenantId, kind, value]);
      }
    }
    await this.insertMissing(client, wanted, {
      insert: `WITH w AS (SELECT * FROM unnest($1::int[], $2::smallint[], $3::text[]) AS w(tenant_id, kind, value)),
        added AS (INSERT INTO terms (tenant_id, kind, value) SELECT * FROM w ORDER BY 1, 2, 3
          ON CONFLICT DO NOTHING RETURNING tenant_id, kind, value, id)
        SELECT tenant_id, kind, value, id FROM added`,
      select: `SELECT t.tenant_id, t.kind, t.value, t.id FROM terms t
        JOIN unnest($1::int[], $2::smallint[], $3::text[]) AS w(tenant_id, kind, value)
          ON t.tenant_id = w.tenant_id AND t.kind = w.kind AND t.value = w.value COLLATE "C"`,
      keyOf: (r: { tenant_id: number; kind: TermKind; value: string }) => termKey(r.tenant_id, r.kind, r.value),
    });
  }

  private async internActors(client: pg.ClientBase, requests: readonly InternRequest[]): Promise<void> {
    const wanted = new Map<string, [number, string, string]>();
    for (const { tenantId, event } of requests) {
      const key = actorKey(tenantId, event.actor.type, event.actor.id);
      if (this.id(key) === undefined) wanted.set(key, [tenantId, event.actor.type, event.actor.id]);
    }
    await this.insertMissing(client, wanted, {
      insert: `WITH w AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[]) AS w(tenant_id, type, ext_id)),
        added AS (INSERT INTO actors (tenant_id, type, ext_id) SELECT * FROM w ORDER BY 1, 2, 3
          ON CONFLICT DO NOTHING RETURNING tenant_id, type, ext_id, id)
        SELECT tenant_id, type, ext_id, id FROM added`,
      select: `SELECT a.tenant_id, a.type, a.ext_id, a.id FROM actors a
        JOIN unnest($1::int[], $2::text[], $3::text[]) AS w(tenant_id, type, ext_id)
          ON a.tenant_id = w.tenant_id AND a.type = w.type AND a.ext_id = w.ext_id`,
      keyOf: (r: { tenant_id: number; type: string; ext_id: string }) => actorKey(r.tenant_id, r.type, r.ext_id),
    });
  }

  private async internResources(client: pg.ClientBase, requests: readonly InternRequest[]): Promise<void> {
    const wanted = new Map<string, [number, string, Buffer, string | null]>();
    // The database knows a resource by its key's hash: map each hash back to the cache key.
    const byHash = new Map<string, string>();
    for (const { tenantId, event } of requests) {
      if (!event.resource) continue;
      const key = resourceCacheKey(tenantId, event.resource);
      if (this.id(key) !== undefined || wanted.has(key)) continue;
      const hash = resourceHash(event.resource);
      wanted.set(key, [tenantId, event.resource.type, hash, event.resource.id ?? null]);
      byHash.set(`${tenantId}\0${event.resource.type}\0${hash.toString('hex')}`, key);
    }
    await this.insertMissing(client, wanted, {
      insert: `WITH w AS (SELECT * FROM unnest($1::int[], $2::text[], $3::bytea[], $4::text[]) AS w(tenant_id, type, key_hash, ext_id)),
        added AS (INSERT INTO resources (tenant_id, type, key_hash, ext_id) SELECT * FROM w ORDER BY 1, 2, 3
          ON CONFLICT DO NOTHING RETURNING tenant_id, type, key_hash, id)
        SELECT tenant_id, type, key_hash, id FROM added`,
      select: `SELECT r.tenant_id, r.type, r.key_hash, r.id FROM resources r
        JOIN unnest($1::int[], $2::text[], $3::bytea[], $4::text[]) AS w(tenant_id, type, key_hash, ext_id)
          ON r.tenant_id = w.tenant_id AND r.type = w.type AND r.key_hash = w.key_hash`,
      keyOf: (r: { tenant_id: number; type: string; key_hash: Buffer }) =>
        byHash.get(`${r.tenant_id}\0${r.type}\0${r.key_hash.toString('hex')}`) ?? '',
    });
  }

  /**
   * Inserts the wanted rows (passed as one array per column to both statements), then re-selects any that another writer
   * inserted first (ON CONFLICT DO NOTHING returns nothing for those), and stages every id.
   */
  private async insertMissing<W extends unknown[], R>(
    client: pg.ClientBase,
    wanted: Map<string, W>,
    sql: { insert: string; select: string; keyOf: (row: R) => string },
  ): Promise<void> {
    if (wanted.size === 0) return;
    const columns = (rows: W[]) => rows[0]!.map((_, i) => rows.map((r) => r[i]));
    const stage = (found: (R & { id: number })[]) => {
      for (const row of found) {
        const key = sql.keyOf(row);
        if (wanted.delete(key)) this.staged.set(key, row.id);
      }
    };
    stage((await client.query<R & { id: number }>(sql.insert, columns([...wanted.values()]))).rows);
    if (wanted.size === 0) return;
    stage((await client.query<R & { id: number }>(sql.select, columns([...wanted.values()]))).rows);
    if (wanted.size > 0) throw new Error(`could not intern ${wanted.size} dictionary entries`);
  }

  /** Aliases the filters search by: actors' emails, names and display forms; resources' names, paths and ids. */
  private async internAliases(client: pg.ClientBase, requests: readonly InternRequest[]): Promise<void> {
    const actorRows = new Map<string, AliasRow>();
    const resourceRows = new Map<string, AliasRow>();
    const seen = new Set<string>();
    for (const { tenantId, event } of requests) {
      const actorId = this.actor(tenantId, event.actor);
      // Aliases of an actor or resource already handled in this group are skipped whole.
      const actorSeen = `${actorId}\0${event.actor.email ?? ''}\0${event.actor.name ?? ''}`;
      for (const alias of seen.has(actorSeen) ? [] : actorAliases(event.actor)) {
        const lower = alias.toLowerCase();
        const marker = `aa\0${actorId}\0${lower}`;
        if (this.id(marker) === undefined && indexable(lower)) {
          actorRows.set(marker, { tenantId, kind: 0, alias: lower, ownerId: actorId, marker });
        }
      }
      seen.add(actorSeen);
      const resource = event.resource;
      if (!resource) continue;
      const resourceId = this.resource(tenantId, resource)!;
      const resourceSeen = `r\0${resourceId}\0${resource.name ?? ''}\0${resource.path ?? ''}`;
      if (seen.has(resourceSeen)) continue;
      seen.add(resourceSeen);
      const aliases: [number, string | undefined][] = [
        [RESOURCE_ALIAS.name, resource.name],
        [RESOURCE_ALIAS.path, resource.path],
        [RESOURCE_ALIAS.id, resource.id],
      ];
      for (const [kind, alias] of aliases) {
        if (alias === undefined || alias === '' || !indexable(alias)) continue;
        const marker = `ra\0${resourceId}\0${kind}\0${alias}`;
        if (this.id(marker) === undefined) resourceRows.set(marker, { tenantId, kind, alias, ownerId: resourceId, marker });
      }
    }
    if (actorRows.size > 0) {
      const rows = [...actorRows.values()].sort(byKey);
      await client.query(
        `INSERT INTO actor_aliases (tenant_id, alias, actor_id)
         SELECT * FROM unnest($1::int[], $2::text[], $3::int[]) ON CONFLICT DO NOTHING`,
        [rows.map((r) => r.tenantId), rows.map((r) => r.alias), rows.map((r) => r.ownerId)],
      );
      for (const row of rows) this.staged.set(row.marker, 1);
    }
    if (resourceRows.size > 0) {
      const rows = [...resourceRows.values()].sort(byKey);
      await client.query(
        `INSERT INTO resource_aliases (tenant_id, kind, alias, resource_id)
         SELECT * FROM unnest($1::int[], $2::smallint[], $3::text[], $4::int[]) ON CONFLICT DO NOTHING`,
        [rows.map((r) => r.tenantId), rows.map((r) => r.kind), rows.map((r) => r.alias), rows.map((r) => r.ownerId)],
      );
      for (const row of rows) this.staged.set(row.marker, 1);
    }
  }
}

function indexable(alias: string): boolean {
  return Buffer.byteLength(alias) <= MAX_ALIAS_BYTES;
}

/** Insert order of alias rows: by their key, the same in every process (no lock-order deadlocks). */
function byKey(a: AliasRow, b: AliasRow): number {
  return a.tenantId - b.tenantId || a.kind - b.kind || (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : a.ownerId - b.ownerId);
}
