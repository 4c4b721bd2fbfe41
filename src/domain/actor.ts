import type { Actor } from './event.js';

/**
 * How an actor is shown and searched (DESIGN.md §2): its email, else `api-key:<name>` or
 * `agent:<name>`, else its name or id.
 */
export function actorDisplay(actor: Actor): string {
  if (actor.type === 'api_key') return `api-key:${actor.name ?? actor.id}`;
  if (actor.type === 'agent') return `agent:${actor.name ?? actor.id}`;
  return actor.email ?? actor.name ?? actor.id;
}

/** Every string the `actor` filter matches for this actor (case-insensitively). */
export function actorAliases(actor: Actor): string[] {
  const aliases = [actorDisplay(actor), actor.email, actor.name];
  return [...new Set(aliases.filter((a): a is string => typeof a === 'string' && a.length > 0))];
}
