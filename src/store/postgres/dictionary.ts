import { createHash } from 'node:crypto';
import type pg from 'pg';
import { actorAliases } from '../../domain/actor.js';
import type { Actor, PreparedEvent, Resource } from '../../domain/event.js';
import { EMPTY_ROOT } from '../../integrity/hash.js';
import { RESOURCE_ALIAS, TERM, resourceKey, type TermKind } from '../sqlite/dictionary.js';
import { KeyedMap } from './keyed-map.js';

/**
 * A btree entry holds at most ~2.7 kB; longer names and paths (possible in multi-byte scripts)
 * are stored in the event but not indexed as aliases, so they are not found by exact alias.
 */
const MAX_ALIAS_BYTES = 2000;

/**
 * Past this many cached ids the cache starts again empty (it refills from the database, a
 * missed string costing a row in the group's one lookup per kind). 15–20 MB when full: it
 * held 28 MB after 1,000,000 events, and the million it allowed would have taken 60–80 MB of the
 * server's 128 MB heap cap at 10,000,000.
 */
const MAX_CACHED = 250_000;

/** Cache spaces: one per term kind, per actor type and per resource type; two for alias markers. */
const TERM_SPACE = Object.fromEntries(Object.values(TERM).map((kind) => [kind, `term:${kind}`])) as Record<TermKind, string>;
const actorSpace = (type: string) => `actor:${type}`;
const resourceSpace = (type: string) => `resource:${type}`;
const ACTOR_ALIASES = 'aliases:actor';
const RESOURCE_ALIASES = 'aliases:resource';

/** What makes two events' resources one, as stored: 16 bytes of SHA-256 of `resourceKey`. */
function resourceHash(resource: Resource): Buffer {
  return createHash('sha256').update(resourceKey(resource)).digest().subarray(0, 16);
}

/**
 * Interns repeated strings into integer ids, per tenant, shared by every Vigil process on the
 * database. The process-local cache only ever holds ids that are committed: tenants are created
 * in their own statement, and the ids that an append transaction creates are staged in its
 * `Interning` and published only after COMMIT, so a rolled-back transaction cannot leave an id in
 * the cache that the database does not have.
 */
export class Dictionary {
  private readonly tenantIds = new Map<string, number>();
  private readonly committed = new KeyedMap<number>(MAX_CACHED);

  constructor(private readonly pool: pg.Pool) {}

  /** The tenant's id, or undefined when it was never created. */
  async findTenant(name: string): Promise<number | undefined> {
    const cached = this.tenantIds.get(name);
    if (cached !== undefined) return cached;
    const { rows } = await this.pool.query<{ id: number }>('SELECT id FROM tenants WHERE name = $1', [name]);
    if (rows[0]) this.tenantIds.set(name, rows[0].id);
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
      const id = this.tenantIds.get(name);
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
      this.tenantIds.set(row.name, row.id);
      out.set(row.name, row.id);
    }
    return out;
  }

  /** A term's id for filtering; undefined when the tenant never stored it. */
  async findTerm(tenantId: number, kind: TermKind, value: string): Promise<number | undefined> {
    const cached = this.committed.get(tenantId, TERM_SPACE[kind], value);
    if (cached !== undefined) return cached;
    const { rows } = await this.pool.query<{ id: number }>(
      'SELECT id FROM terms WHERE tenant_id = $1 AND kind = $2 AND value = $3',
      [tenantId, kind, value],
    );
    if (rows[0]) this.committed.set(tenantId, TERM_SPACE[kind], value, rows[0].id);
    return rows[0]?.id;
  }

  /** A fresh staging area for one append transaction. */
  interning(): Interning {
    return new Interning(this.committed);
  }
}

/** One event whose strings must have ids before its row is written. */
export interface InternRequest {
  tenantId: number;
  event: PreparedEvent;
}

/** The interned ids of one event's columns. */
export interface EventIds {
  action: number;
  category: number;
  actor: number;
  resource: number | null;
  source: number | null;
  service: number | null;
  environment: number | null;
  method: number | null;
}

/** An id of the group: known from the cache, or filled in once its row is inserted. */
interface Slot {
  id: number | undefined;
}

/** A string the database does not know yet: where it goes in the cache, and its slot. */
interface Missing {
  tenantId: number;
  space: string;
  value: string;
  slot: Slot;
}

interface AliasRow {
  tenantId: number;
  kind: number;
  alias: string;
  owner: Slot;
}

/**
 * The ids one append transaction needs. `intern` looks each distinct string of the group up
 * once (process cache, else it is inserted: INSERT … ON CONFLICT DO NOTHING RETURNING, then a
 * re-select for rows that another writer committed meanwhile) and returns every event's ids;
 * `publish`, after COMMIT, puts what the transaction created into the process cache.
 */
export class Interning {
  private readonly staged: [tenantId: number, space: string, value: string, id: number][] = [];
  private readonly slots = new KeyedMap<Slot>();
  private readonly missing = { terms: [] as Missing[], actors: [] as Missing[], resources: [] as (Missing & { resource: Resource })[] };
  /** Distinct variants of each actor (by email, then name) and resource (by name, then path), for aliases. */
  private readonly variants = new Map<Slot, Variants>();

  constructor(private readonly committed: KeyedMap<number>) {}

  async intern(client: pg.ClientBase, requests: readonly InternRequest[]): Promise<EventIds[]> {
    const slots = requests.map(({ tenantId, event }) => {
      const term = (kind: TermKind, value: string | undefined) =>
        value === undefined ? null : this.slot(tenantId, TERM_SPACE[kind], value, this.missing.terms);
      const actor = this.slot(tenantId, actorSpace(event.actor.type), event.actor.id, this.missing.actors);
      addVariant(this.variant(tenantId, actorSpace(event.actor.type), event.actor.id, actor).actors, event.actor.email, event.actor.name, event.actor);
      let resource: Slot | null = null;
      if (event.resource) {
        const space = resourceSpace(event.resource.type);
        const key = resourceKey(event.resource);
        resource = this.slot(tenantId, space, key, this.missing.resources, { resource: event.resource });
        addVariant(this.variant(tenantId, space, key, resource).resources, event.resource.name, event.resource.path, event.resource);
      }
      return [
        term(TERM.action, event.action)!,
        term(TERM.category, event.category)!,
        actor,
        resource,
        term(TERM.source, event.source),
        term(TERM.service, event.service),
        term(TERM.environment, event.environment),
        term(TERM.method, event.request?.method),
      ] as const;
    });
    await this.insertTerms(client);
    await this.insertActors(client);
    await this.insertResources(client);
    await this.insertAliases(client);
    const id = (slot: Slot | null) => (slot === null ? null : slot.id!);
    return slots.map(([action, category, actor, resource, source, service, environment, method]) => ({
      action: action.id!,
      category: category.id!,
      actor: actor.id!,
      resource: id(resource),
      source: id(source),
      service: id(service),
      environment: id(environment),
      method: id(method),
    }));
  }

  /** Makes the ids this transaction created visible to later ones of this process; call after COMMIT. */
  publish(): void {
    for (const [tenantId, space, value, id] of this.staged) this.committed.set(tenantId, space, value, id);
  }

  /** The group's slot for a string, created on first sight (from the cache, else listed in `missing`). */
  private slot<M extends Missing>(tenantId: number, space: string, value: string, missing: M[], extra?: Omit<M, keyof Missing>): Slot {
    let slot = this.slots.get(tenantId, space, value);
    if (!slot) {
      slot = { id: this.committed.get(tenantId, space, value) };
      this.slots.set(tenantId, space, value, slot);
      if (slot.id === undefined) missing.push({ tenantId, space, value, slot, ...extra } as M);
    }
    return slot;
  }

  private variant(tenantId: number, space: string, value: string, slot: Slot): Variants {
    let variant = this.variants.get(slot);
    if (!variant) this.variants.set(slot, (variant = { tenantId, space, value, actors: new Map(), resources: new Map() }));
    return variant;
  }

  private fill(entry: Missing, id: number): void {
    entry.slot.id = id;
    this.staged.push([entry.tenantId, entry.space, entry.value, id]);
  }

  private async insertTerms(client: pg.ClientBase): Promise<void> {
    const kindOf = new Map(Object.entries(TERM_SPACE).map(([kind, space]) => [space, Number(kind)]));
    await this.insertMissing(client, this.missing.terms, {
      columns: (m) => [m.tenantId, kindOf.get(m.space)!, m.value],
      insert: `WITH w AS (SELECT * FROM unnest($1::int[], $2::smallint[], $3::text[]) AS w(tenant_id, kind, value)),
        added AS (INSERT INTO terms (tenant_id, kind, value) SELECT * FROM w ORDER BY 1, 2, 3
          ON CONFLICT DO NOTHING RETURNING tenant_id, kind, value, id)
        SELECT tenant_id, kind, value, id FROM added`,
      select: `SELECT t.tenant_id, t.kind, t.value, t.id FROM terms t
        JOIN unnest($1::int[], $2::smallint[], $3::text[]) AS w(tenant_id, kind, value)
          ON t.tenant_id = w.tenant_id AND t.kind = w.kind AND t.value = w.value COLLATE "C"`,
      keyOf: (r: { tenant_id: number; kind: TermKind; value: string }) => `${r.tenant_id}\0${TERM_SPACE[r.kind]}\0${r.value}`,
    });
  }

  private async insertActors(client: pg.ClientBase): Promise<void> {
    await this.insertMissing(client, this.missing.actors, {
      columns: (m) => [m.tenantId, m.space.slice(actorSpace('').length), m.value],
      insert: `WITH w AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[]) AS w(tenant_id, type, ext_id)),
        added AS (INSERT INTO actors (tenant_id, type, ext_id) SELECT * FROM w ORDER BY 1, 2, 3
          ON CONFLICT DO NOTHING RETURNING tenant_id, type, ext_id, id)
        SELECT tenant_id, type, ext_id, id FROM added`,
      select: `SELECT a.tenant_id, a.type, a.ext_id, a.id FROM actors a
        JOIN unnest($1::int[], $2::text[], $3::text[]) AS w(tenant_id, type, ext_id)
          ON a.tenant_id = w.tenant_id AND a.type = w.type AND a.ext_id = w.ext_id`,
      keyOf: (r: { tenant_id: number; type: string; ext_id: string }) => `${r.tenant_id}\0${actorSpace(r.type)}\0${r.ext_id}`,
    });
  }

  private async insertResources(client: pg.ClientBase): Promise<void> {
    // The database knows a resource by its key's hash, which the lookup key carries too.
    const hashes = new Map(this.missing.resources.map((m) => [m, resourceHash(m.resource).toString('hex')]));
    await this.insertMissing(client, this.missing.resources, {
      columns: (m) => [m.tenantId, m.resource.type, Buffer.from(hashes.get(m)!, 'hex'), m.resource.id ?? null],
      key: (m) => `${m.tenantId}\0${m.resource.type}\0${hashes.get(m)}`,
      insert: `WITH w AS (SELECT * FROM unnest($1::int[], $2::text[], $3::bytea[], $4::text[]) AS w(tenant_id, type, key_hash, ext_id)),
        added AS (INSERT INTO resources (tenant_id, type, key_hash, ext_id) SELECT * FROM w ORDER BY 1, 2, 3
          ON CONFLICT DO NOTHING RETURNING tenant_id, type, key_hash, id)
        SELECT tenant_id, type, key_hash, id FROM added`,
      select: `SELECT r.tenant_id, r.type, r.key_hash, r.id FROM resources r
        JOIN unnest($1::int[], $2::text[], $3::bytea[], $4::text[]) AS w(tenant_id, type, key_hash, ext_id)
          ON r.tenant_id = w.tenant_id AND r.type = w.type AND r.key_hash = w.key_hash`,
      keyOf: (r: { tenant_id: number; type: string; key_hash: Buffer }) => `${r.tenant_id}\0${r.type}\0${r.key_hash.toString('hex')}`,
    });
  }

  /**
   * Inserts the missing rows (passed as one array per column to both statements), then
   * re-selects any that another writer inserted first (ON CONFLICT DO NOTHING returns nothing for
   * those), and fills every slot. `key` and `keyOf` name an entry and a returned row alike.
   */
  private async insertMissing<M extends Missing, R>(
    client: pg.ClientBase,
    missing: M[],
    sql: { columns: (m: M) => unknown[]; key?: (m: M) => string; insert: string; select: string; keyOf: (row: R) => string },
  ): Promise<void> {
    if (missing.length === 0) return;
    const key = sql.key ?? ((m: M) => `${m.tenantId}\0${m.space}\0${m.value}`);
    const open = new Map(missing.map((m) => [key(m), m]));
    const columns = (entries: M[]) => {
      const rows = entries.map(sql.columns);
      return rows[0]!.map((_, i) => rows.map((r) => r[i]));
    };
    const fill = (rows: (R & { id: number })[]) => {
      for (const row of rows) {
        const entry = open.get(sql.keyOf(row));
        if (entry && open.delete(sql.keyOf(row))) this.fill(entry, row.id);
      }
    };
    fill((await client.query<R & { id: number }>(sql.insert, columns([...open.values()]))).rows);
    if (open.size === 0) return;
    fill((await client.query<R & { id: number }>(sql.select, columns([...open.values()]))).rows);
    if (open.size > 0) throw new Error(`could not intern ${open.size} dictionary entries`);
  }

  /**
   * Aliases the filters search by: actors' emails, names and display forms (lower-cased);
   * resources' names, paths and ids. Each distinct variant of an actor or resource is inserted
   * once (ON CONFLICT DO NOTHING) and then remembered as stored.
   */
  private async insertAliases(client: pg.ClientBase): Promise<void> {
    const actorRows: AliasRow[] = [];
    const resourceRows: AliasRow[] = [];
    const markers: Missing[] = [];
    /** False the first time a variant is met: its aliases are then inserted, and it is remembered. */
    const stored = (tenantId: number, space: string, variant: string): boolean => {
      if (this.committed.get(tenantId, space, variant) !== undefined) return true;
      markers.push({ tenantId, space, value: variant, slot: { id: 1 } });
      return false;
    };
    for (const [owner, { tenantId, space, value, actors, resources }] of this.variants) {
      for (const [variant, actor] of distinct(actors)) {
        if (stored(tenantId, ACTOR_ALIASES, `${space}\0${value}\0${variant}`)) continue;
        for (const alias of actorAliases(actor)) actorRows.push({ tenantId, kind: 0, alias: alias.toLowerCase(), owner });
      }
      for (const [variant, r] of distinct(resources)) {
        if (stored(tenantId, RESOURCE_ALIASES, `${space}\0${value}\0${variant}`)) continue;
        const aliases: [number, string | undefined][] = [
          [RESOURCE_ALIAS.name, r.name],
          [RESOURCE_ALIAS.path, r.path],
          [RESOURCE_ALIAS.id, r.id],
        ];
        for (const [kind, alias] of aliases) if (alias) resourceRows.push({ tenantId, kind, alias, owner });
      }
    }
    await insertAliasRows(client, actorRows, `INSERT INTO actor_aliases (tenant_id, alias, actor_id)
      SELECT t, a, o FROM unnest($1::int[], $2::smallint[], $3::text[], $4::int[]) AS u(t, k, a, o) ON CONFLICT DO NOTHING`);
    await insertAliasRows(client, resourceRows, `INSERT INTO resource_aliases (tenant_id, kind, alias, resource_id)
      SELECT * FROM unnest($1::int[], $2::smallint[], $3::text[], $4::int[]) ON CONFLICT DO NOTHING`);
    for (const marker of markers) this.fill(marker, 1);
  }
}

/** Variants by two of their fields (email and name, or name and path), without building keys per event. */
type ByTwo<T> = Map<string, Map<string, T>>;

interface Variants {
  tenantId: number;
  space: string;
  value: string;
  actors: ByTwo<Actor>;
  resources: ByTwo<Resource>;
}

function addVariant<T>(variants: ByTwo<T>, first: string | undefined, second: string | undefined, item: T): void {
  let inner = variants.get(first ?? '');
  if (!inner) variants.set(first ?? '', (inner = new Map()));
  if (!inner.has(second ?? '')) inner.set(second ?? '', item);
}

/** Each variant once, with a key naming it. */
function* distinct<T>(variants: ByTwo<T>): Generator<[string, T]> {
  for (const [first, inner] of variants) for (const [second, item] of inner) yield [`${first}\0${second}`, item];
}

/** Inserts alias rows in key order — the same in every process, so concurrent inserts never deadlock. */
async function insertAliasRows(client: pg.ClientBase, rows: AliasRow[], sql: string): Promise<void> {
  const indexable = rows.filter((r) => Buffer.byteLength(r.alias) <= MAX_ALIAS_BYTES);
  if (indexable.length === 0) return;
  const sorted = indexable
    .map((r) => ({ ...r, ownerId: r.owner.id! }))
    .sort((a, b) => a.tenantId - b.tenantId || a.kind - b.kind || (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : a.ownerId - b.ownerId));
  await client.query(sql, [sorted.map((r) => r.tenantId), sorted.map((r) => r.kind), sorted.map((r) => r.alias), sorted.map((r) => r.ownerId)]);
}
