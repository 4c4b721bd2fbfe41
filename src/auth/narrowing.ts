import type { EventFilter } from '../domain/filter.js';
import type { Principal } from './principal.js';

/**
 * A viewer token's narrowing, applied to reads. Every read path of events (pages, trails,
 * summaries, single events, inclusion proofs) goes through these two functions, so a narrowed
 * token sees the same events whichever route it asks.
 */

/**
 * Matches no stored event: every stored actor and resource has a non-empty type and id, and the
 * stores match those lists exactly.
 */
const NO_MATCH = '';

type NarrowedField = 'actorType' | 'actorId' | 'resourceType' | 'resourceId';

/**
 * `filter` ANDed with the principal's narrowing. Within a field the values are ORed, so the AND
 * of the caller's list with the narrowing's one value is that value when the caller listed it
 * (or listed nothing) and otherwise nothing at all: a caller's filter can only narrow further.
 */
export function narrowFilter<F extends EventFilter>(principal: Principal, filter: F): F {
  const narrowing = principal.viewer?.narrowing;
  if (!narrowing) return filter;
  const fixed: Partial<Record<NarrowedField, string>> = {
    ...(narrowing.actor ? { actorType: narrowing.actor.type, actorId: narrowing.actor.id } : {}),
    ...(narrowing.resource ? { resourceType: narrowing.resource.type, resourceId: narrowing.resource.id } : {}),
  };
  const narrowed: F = { ...filter };
  for (const [field, value] of Object.entries(fixed) as [NarrowedField, string][]) {
    const asked = filter[field];
    narrowed[field] = [asked === undefined || asked.includes(value) ? value : NO_MATCH];
  }
  return narrowed;
}

/** Whether the principal may see one stored event (its canonical JSON), by the same narrowing. */
export function canSee(principal: Principal, body: string): boolean {
  const narrowing = principal.viewer?.narrowing;
  if (!narrowing || (!narrowing.actor && !narrowing.resource)) return true;
  const event = JSON.parse(body) as { actor: { type: string; id: string }; resource?: { type: string; id?: string } };
  const { actor, resource } = narrowing;
  if (actor && (event.actor.type !== actor.type || event.actor.id !== actor.id)) return false;
  return !resource || (event.resource?.type === resource.type && event.resource.id === resource.id);
}
