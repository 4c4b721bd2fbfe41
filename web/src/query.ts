/**
 * The view lives in the query string of `/`: the tenant, the log tab and every filter, named as
 * the API names them (DESIGN.md §4), so a view is a link and the API reads the same parameters.
 * Lists are comma-separated (`category=secrets,auth`), as the API accepts.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { actorDisplay } from '../../src/domain/actor.js';
import type { Actor, Resource } from '../../src/domain/event.js';

/** Parameters that select where to look rather than what: kept by Reset and by "View activity". */
const SCOPE_PARAMS = ['tenant', 'log'] as const;
/** The time window: a preset (`range`) or a custom `from`/`to`. */
const TIME_PARAMS = ['range', 'from', 'to'] as const;

/** The values of a list parameter, repeated or comma-separated. */
export function valuesOf(query: URLSearchParams, name: string): string[] {
  return query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** A copy of `query` with `name` set to `values` (removed when empty). */
export function withParam(query: URLSearchParams, name: string, values: string | readonly string[] | undefined): URLSearchParams {
  const next = new URLSearchParams(query);
  const list = (typeof values === 'string' ? [values] : values ?? []).map((v) => v.trim()).filter((v) => v !== '');
  if (list.length === 0) next.delete(name);
  else next.set(name, list.join(','));
  return next;
}

/** Only the parameters in `names` of `query`. */
function pick(query: URLSearchParams, names: readonly string[]): URLSearchParams {
  const next = new URLSearchParams();
  for (const [k, v] of query) if (names.includes(k)) next.append(k, v);
  return next;
}

/** What Reset leaves: the tenant and the log tab. */
export function resetFilters(query: URLSearchParams): URLSearchParams {
  return pick(query, SCOPE_PARAMS);
}

/** The tenant and time window of `query` with one more filter: the "View activity" views. */
export function activityOf(query: URLSearchParams, name: string, value: string): URLSearchParams {
  const next = pick(query, ['tenant', ...TIME_PARAMS]);
  next.set(name, value);
  return next;
}

/** The filter that finds everything an actor did: its display name (email, api-key:<name>, agent:<name>). */
export function actorActivity(query: URLSearchParams, actor: Actor): URLSearchParams {
  return activityOf(query, 'actor', actorDisplay(actor));
}

/** Everything that touched a resource: by type and id when it has an id, else by its path or name. */
export function resourceActivity(query: URLSearchParams, resource: Resource): URLSearchParams {
  if (resource.id !== undefined) {
    const next = activityOf(query, 'resource_type', resource.type);
    next.set('resource_id', resource.id);
    return next;
  }
  return activityOf(query, 'resource', resource.path ?? resource.name ?? resource.type);
}

/** The current query string as state; `navigate` pushes a new view into the history. */
export function useLocationQuery(): [URLSearchParams, (next: URLSearchParams) => void] {
  const [search, setSearch] = useState(window.location.search);
  useEffect(() => {
    const onPop = () => setSearch(window.location.search);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((next: URLSearchParams) => {
    window.history.pushState(null, '', hrefOf(next));
    setSearch(window.location.search);
  }, []);
  const query = useMemo(() => new URLSearchParams(search), [search]);
  return [query, navigate];
}

/** The link to a view. */
export function hrefOf(query: URLSearchParams): string {
  const text = query.toString();
  return text ? `/?${text}` : '/';
}
