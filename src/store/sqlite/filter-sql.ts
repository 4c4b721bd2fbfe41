import type Database from 'better-sqlite3';
import type { EventFilter, EventQuery } from '../../domain/filter.js';
import { BODY_SQL } from './body-codec.js';
import { CRUD_CODE, LOG_CODE } from './codes.js';
import { ipRangeWhere } from './ip-keys.js';
import { RESOURCE_ALIAS, TERM, type Dictionary, type TermKind } from './dictionary.js';

/** A WHERE clause with its parameters, or `null` when the filter can match nothing. */
export interface Where {
  sql: string;
  params: unknown[];
}

/** The day-first indexes (migration 7) and the id column each leads with after the day. */
const DAY_INDEXES = { actor_id: 'events_actor', resource_id: 'events_resource', action_id: 'events_action' } as const;
type IdColumn = keyof typeof DAY_INDEXES;
export type DayIndex = (typeof DAY_INDEXES)[IdColumn];

/**
 * A compiled filter. `dayIndex` when it names actors, resources or actions by id: the index that
 * finds them leads with the day (migration 7), so its reads give the day (`day = ?` per day of a
 * page, `day IN (…)` for a scan) and get a seek per day and id. With several, the actor's first,
 * then the resource's: the narrower, as a rule.
 */
export interface CompiledFilter extends Where {
  dayIndex: DayIndex | null;
}

/** A condition on a column of ids that a day-first index serves (see CompiledFilter). */
interface IdList extends Where {
  column: IdColumn;
}

/** Escapes LIKE wildcards so user text matches literally (with ESCAPE '\'). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ');
}

/** `column = ?` for one value (so the index stays ordered), `IN (…)` for several. */
export function inList(column: string, values: readonly unknown[]): Where {
  return values.length === 1
    ? { sql: `${column} = ?`, params: [values[0]] }
    : { sql: `${column} IN (${placeholders(values.length)})`, params: [...values] };
}

function idList(column: IdColumn, ids: readonly number[]): IdList {
  return { ...inList(column, ids), column };
}

/**
 * Translates a filter into SQL over the events table of one tenant. Dictionary filters (actors,
 * resources, terms) are resolved to integer ids first, in JS: an unknown value short-circuits to
 * "no match", and a single id becomes an equality that keeps the index scan ordered by time.
 */
export class FilterCompiler {
  private readonly aliasActors;
  private readonly actorsByExtId;
  private readonly actorsByType;
  private readonly resourcesOfType;
  private readonly resourcesByExtId;
  private readonly resourcesByAlias;
  private readonly resourcesByAliasLike;
  private readonly resourcesByPathPrefix;
  private readonly termsByPrefix;
  private readonly termsLike;
  private readonly actorsLike;

  constructor(
    db: Database.Database,
    private readonly dict: Dictionary,
  ) {
    const ids = <P extends unknown[]>(sql: string) => db.prepare<P, { id: number }>(sql);
    this.aliasActors = ids<[number, string]>('SELECT actor_id AS id FROM actor_aliases WHERE tenant_id = ? AND alias = ?');
    this.actorsByExtId = ids<[number, string]>('SELECT id FROM actors WHERE tenant_id = ? AND ext_id = ?');
    this.actorsByType = ids<[number, string]>('SELECT id FROM actors WHERE tenant_id = ? AND type = ?');
    this.resourcesOfType = ids<[number, string, string]>(
      'SELECT id FROM resources WHERE tenant_id = ? AND type = ? AND id IN (SELECT value FROM json_each(?))',
    );
    this.resourcesByExtId = ids<[number, string]>('SELECT id FROM resources WHERE tenant_id = ? AND ext_id = ?');
    this.resourcesByAlias = ids<[number, string]>(
      `SELECT resource_id AS id FROM resource_aliases WHERE tenant_id = ? AND kind IN (${RESOURCE_ALIAS.name}, ${RESOURCE_ALIAS.path}) AND alias = ?`,
    );
    this.resourcesByAliasLike = ids<[number, string]>(
      "SELECT DISTINCT resource_id AS id FROM resource_aliases WHERE tenant_id = ? AND alias LIKE ? ESCAPE '\\'",
    );
    this.resourcesByPathPrefix = ids<[number, string, string]>(
      `SELECT DISTINCT resource_id AS id FROM resource_aliases WHERE tenant_id = ? AND kind = ${RESOURCE_ALIAS.path} AND alias >= ? AND alias < ?`,
    );
    this.termsByPrefix = ids<[number, string, string]>('SELECT id FROM terms WHERE kind = ? AND value >= ? AND value < ?');
    this.termsLike = ids<[number, string]>("SELECT id FROM terms WHERE kind = ? AND value LIKE ? ESCAPE '\\'");
    this.actorsLike = ids<[number, string]>(
      "SELECT DISTINCT actor_id AS id FROM actor_aliases WHERE tenant_id = ? AND alias LIKE ? ESCAPE '\\'",
    );
  }

  /** The WHERE clause (without keyset and order) for `query`, or null when nothing can match. */
  compile(tenantId: number, query: Pick<EventQuery, 'filter'>): CompiledFilter | null {
    const parts: Where[] = [{ sql: 'tenant_id = ?', params: [tenantId] }];
    const add = (part: Where | null): boolean => {
      if (part === null) return false;
      parts.push(part);
      return true;
    };
    const f = query.filter;
    const ok = [
      this.timeRange(f),
      this.codes('log', f.log?.map((l) => LOG_CODE[l])),
      this.codes('crud', f.crud?.map((c) => CRUD_CODE[c])),
      this.terms('category_id', TERM.category, f.category),
      this.actions(f),
      this.terms('source_id', TERM.source, f.source),
      this.terms('service_id', TERM.service, f.service),
      this.terms('environment_id', TERM.environment, f.environment),
      this.terms('method_id', TERM.method, f.method),
      this.actors(tenantId, f),
      this.resources(tenantId, f),
      this.outcome(f),
      this.ips(f),
      f.requestId ? inList('request_id', f.requestId) : undefined,
      f.sessionId ? inList('session_id', f.sessionId) : undefined,
      this.freeText(tenantId, f.q),
    ].every((part) => part === undefined || add(part));
    if (!ok) return null;
    return {
      sql: parts.map((p) => p.sql).join(' AND '),
      params: parts.flatMap((p) => p.params),
      dayIndex: dayIndex(parts),
    };
  }

  private timeRange(f: EventFilter): Where | undefined {
    const sql: string[] = [];
    const params: number[] = [];
    if (f.fromUs !== undefined) sql.push('ts >= ?') && params.push(f.fromUs);
    if (f.toUs !== undefined) sql.push('ts < ?') && params.push(f.toUs);
    return sql.length ? { sql: sql.join(' AND '), params } : undefined;
  }

  private codes(column: string, values: number[] | undefined): Where | undefined {
    return values?.length ? inList(column, values) : undefined;
  }

  /** Terms filter; null (no match) when none of the values was ever stored. */
  private terms(column: string, kind: TermKind, values: string[] | undefined): Where | null | undefined {
    if (!values?.length) return undefined;
    const ids = values.map((v) => this.dict.findTerm(kind, v)).filter((id): id is number => id !== undefined);
    return ids.length ? inList(column, ids) : null;
  }

  private actions(f: EventFilter): Where | null | undefined {
    if (!f.action?.length && !f.actionPrefix?.length) return undefined;
    const ids = new Set<number>();
    for (const action of f.action ?? []) {
      const id = this.dict.findTerm(TERM.action, action);
      if (id !== undefined) ids.add(id);
    }
    for (const prefix of f.actionPrefix ?? []) {
      for (const row of this.termsByPrefix.all(TERM.action, prefix, `${prefix}\u{10FFFF}`)) ids.add(row.id);
    }
    return ids.size ? idList('action_id', [...ids]) : null;
  }

  private actors(tenantId: number, f: EventFilter): Where | null | undefined {
    const sets: Set<number>[] = [];
    const collect = idCollector(sets);
    collect(f.actor, (v) => this.aliasActors.all(tenantId, v));
    collect(f.actorId, (v) => this.actorsByExtId.all(tenantId, v));
    collect(f.actorType, (v) => this.actorsByType.all(tenantId, v));
    collect(f.actorIdOrAlias, (v) => [...this.actorsByExtId.all(tenantId, v), ...this.aliasActors.all(tenantId, v)]);
    return intersect('actor_id', sets);
  }

  /**
   * Resource filters. A `resource_type` narrows the ids the other filters found; standing alone
   * it is a lookup per row, never a list of every resource of the type (thousands in a large tenant).
   */
  private resources(tenantId: number, f: EventFilter): Where | null | undefined {
    const sets: Set<number>[] = [];
    const collect = idCollector(sets);
    collect(f.resourceId, (v) => this.resourcesByExtId.all(tenantId, v));
    collect(f.resourcePath, (v) => this.resourcesByAlias.all(tenantId, v));
    collect(f.resource === undefined ? undefined : [f.resource], (v) =>
      this.resourcesByAliasLike.all(tenantId, `%${likeLiteral(v)}%`),
    );
    collect(f.pathPrefix === undefined ? undefined : [f.pathPrefix], (v) =>
      this.resourcesByPathPrefix.all(tenantId, v, `${v}\u{10FFFF}`),
    );
    const types = f.resourceType;
    if (!types?.length) return intersect('resource_id', sets);
    if (sets.length === 0) {
      // Checked per row by primary key (`resource_id` is the outer row's: events, or rollups in a
      // summary): an IN (SELECT …) list would be built again by every statement, and a page runs
      // one per day (sqlite-store.ts).
      return {
        sql: `EXISTS (SELECT 1 FROM resources r WHERE r.id = resource_id AND r.type IN (${placeholders(types.length)}))`,
        params: [...types],
      };
    }
    const found = JSON.stringify(intersectIds(sets));
    collect(types, (type) => this.resourcesOfType.all(tenantId, type, found));
    return intersect('resource_id', sets);
  }

  private outcome(f: EventFilter): Where | undefined {
    const parts: Where[] = [];
    if (f.success !== undefined) parts.push({ sql: 'success = ?', params: [f.success ? 1 : 0] });
    const statuses: Where[] = [];
    if (f.status?.length) statuses.push(inList('status', f.status));
    for (const cls of f.statusClass ?? []) statuses.push({ sql: 'status BETWEEN ? AND ?', params: [cls * 100, cls * 100 + 99] });
    if (statuses.length) parts.push(anyOf(statuses));
    return parts.length ? { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) } : undefined;
  }

  private ips(f: EventFilter): Where | undefined {
    const parts: Where[] = [];
    if (f.ip?.length) parts.push(anyOf(f.ip.map(ipRangeWhere)));
    if (f.notIp?.length) {
      const inside = anyOf(f.notIp.map(ipRangeWhere));
      parts.push({ sql: `ip IS NOT NULL AND NOT ${inside.sql}`, params: inside.params });
    }
    return parts.length ? { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) } : undefined;
  }

  /** Free text over action, actor aliases, resource aliases and the outcome's reason. */
  private freeText(tenantId: number, q: string | undefined): Where | undefined {
    if (q === undefined || q === '') return undefined;
    const like = `%${likeLiteral(q)}%`;
    const parts: Where[] = [];
    const actionIds = this.termsLike.all(TERM.action, like).map((r) => r.id);
    const actorIds = this.actorsLike.all(tenantId, like).map((r) => r.id);
    const resourceIds = this.resourcesByAliasLike.all(tenantId, like).map((r) => r.id);
    if (actionIds.length) parts.push(inList('action_id', actionIds));
    if (actorIds.length) parts.push(inList('actor_id', actorIds));
    if (resourceIds.length) parts.push(inList('resource_id', resourceIds));
    parts.push({ sql: `json_extract(${BODY_SQL}, '$.outcome.reason') LIKE ? ESCAPE '\\'`, params: [like] });
    return anyOf(parts);
  }
}

function dayIndex(parts: readonly Where[]): DayIndex | null {
  const columns = new Set(parts.flatMap((p) => ('column' in p ? [(p as IdList).column] : [])));
  const column = (Object.keys(DAY_INDEXES) as IdColumn[]).find((c) => columns.has(c));
  return column ? DAY_INDEXES[column] : null;
}

/** Adds to `sets` the ids that each filter's values resolve to (one set per filter present). */
function idCollector(sets: Set<number>[]) {
  return (values: string[] | undefined, lookup: (value: string) => { id: number }[]): void => {
    if (values?.length) sets.push(new Set(values.flatMap((v) => lookup(v).map((r) => r.id))));
  };
}

function anyOf(parts: Where[]): Where {
  if (parts.length === 1) return parts[0]!;
  return { sql: `(${parts.map((p) => p.sql).join(' OR ')})`, params: parts.flatMap((p) => p.params) };
}

/** The ids in every one of `sets`. */
function intersectIds(sets: Set<number>[]): number[] {
  const [first, ...rest] = sets;
  return [...first!].filter((id) => rest.every((s) => s.has(id)));
}

/** AND of several id sets on one column, resolved to one list; null when it is empty. */
function intersect(column: IdColumn, sets: Set<number>[]): IdList | null | undefined {
  if (sets.length === 0) return undefined;
  const ids = intersectIds(sets);
  return ids.length ? idList(column, ids) : null;
}
