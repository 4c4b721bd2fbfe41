import { invalid } from '../domain/errors.js';
import { ACTOR_TYPES } from '../domain/event.js';
import type { EventFilter } from '../domain/filter.js';
import type { ParsedQuery } from './parse-filters.js';

/** The trail of one secret, one resource, or one identity (DESIGN.md §4). */
export type Trail =
  | { kind: 'secret'; path: string }
  | { kind: 'resource'; type: string; id: string }
  | { kind: 'identity'; identity: string };

/** Query parameters a trail fixes itself, by the filter field they would set. */
const FIXED_PARAMS: Partial<Record<keyof EventFilter, string>> = {
  resourceType: 'resource_type',
  resourceId: 'resource_id',
  actorType: 'actor_type',
  actorId: 'actor_id',
};

/** The filter a trail adds to its query string's filters. */
export function trailFilter(trail: Trail): EventFilter {
  switch (trail.kind) {
    case 'secret':
      return { resourceType: ['secret'], resourcePath: [nonEmpty(trail.path, 'path')] };
    case 'resource':
      return { resourceType: [nonEmpty(trail.type, 'type')], resourceId: [nonEmpty(trail.id, 'id')] };
    case 'identity':
      return identityFilter(trail.identity);
  }
}

/**
 * `user:u_123` matches actor type and exact id. An id with an `@` (`user:person@acme.example`)
 * may be the actor's id or its email, so it matches either.
 */
function identityFilter(identity: string): EventFilter {
  const colon = identity.indexOf(':');
  const type = identity.slice(0, colon);
  const id = identity.slice(colon + 1);
  if (colon < 0 || id === '') {
    throw invalid([{ path: 'identity', message: `"${identity}" is not <type>:<id>, such as user:u_123 or user:alice@acme.example` }]);
  }
  if (!(ACTOR_TYPES as readonly string[]).includes(type)) {
    throw invalid([{ path: 'identity', message: `"${type}" is not an actor type (${ACTOR_TYPES.join(', ')})` }]);
  }
  return id.includes('@') ? { actorType: [type], actorIdOrAlias: [id] } : { actorType: [type], actorId: [id] };
}

/** The query narrowed to the trail; a parameter that the trail already fixes is refused. */
export function applyTrail(query: ParsedQuery, trail: Trail): ParsedQuery {
  const fixed = trailFilter(trail);
  const clashes = Object.keys(fixed)
    .filter((key) => query.filter[key as keyof EventFilter] !== undefined)
    .map((key) => FIXED_PARAMS[key as keyof EventFilter] ?? key);
  if (clashes.length > 0) {
    throw invalid(clashes.map((param) => ({ path: param, message: 'is already fixed by the trail in the path' })));
  }
  return { ...query, filter: { ...query.filter, ...fixed } };
}

function nonEmpty(value: string, path: string): string {
  if (value === '') throw invalid([{ path, message: 'must not be empty' }]);
  return value;
}
