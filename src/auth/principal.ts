import { allows, PLATFORM_TENANT, TENANT_PATTERN, type Permission, type Role } from '../domain/access.js';
import { invalid, VigilError } from '../domain/errors.js';
import type { ActorType } from '../domain/event.js';

/** Who is calling: the API key (or viewer token) that authenticated the request. */
export interface Principal {
  /** The key's id; for a viewer token, the token's random id (never the token). */
  keyId: string;
  name: string;
  role: Role;
  /** The key's tenant; `null` for a platform key, which names a tenant on every call. */
  tenant: string | null;
  /** Set only for a viewer token, which nothing in the store describes (auth/viewer-token.ts). */
  viewer?: ViewerGrant;
}

/** What a viewer token grants beyond its tenant and the viewer role. */
export interface ViewerGrant {
  /** RFC 3339; the token is refused from then on. */
  expiresAt: string;
  /** Reads see only the events this matches (auth/narrowing.ts); empty: the whole tenant. */
  narrowing: Narrowing;
}

/** One actor, one resource, or both (ANDed): the events a viewer token may see within its tenant. */
export interface Narrowing {
  actor?: { type: ActorType; id: string };
  resource?: { type: string; id: string };
}

/** Throws VIGIL_ERR_FORBIDDEN unless the principal's role grants `permission`. */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (!allows(principal.role, permission)) {
    throw new VigilError('VIGIL_ERR_FORBIDDEN', `a key with role ${principal.role} may not ${permission}`);
  }
}

/**
 * The tenant a read acts on. A tenant key reads its own tenant (naming it again is allowed,
 * naming another is refused); a platform key must name one with `tenant=`.
 */
export function readTenant(principal: Principal, requested: string | undefined): string {
  return resolveTenant(principal, requested, 'tenant', 'read');
}

/** The tenant an event is written to, by the same rules; `path` names the event's field. */
export function writeTenant(principal: Principal, requested: string | undefined, path: string): string {
  return resolveTenant(principal, requested, path, 'write to');
}

function resolveTenant(principal: Principal, requested: string | undefined, path: string, verb: 'read' | 'write to'): string {
  if (principal.tenant !== null) {
    if (requested === undefined || requested === principal.tenant) return principal.tenant;
    throw new VigilError(
      'VIGIL_ERR_FORBIDDEN',
      `${path}: this key belongs to tenant "${principal.tenant}" and may not ${verb} tenant "${requested}"`,
    );
  }
  if (requested === undefined) throw invalid([{ path, message: 'is required with a platform key' }]);
  // Platform keys may read Vigil's own log of platform changes, but nobody writes to it directly.
  const reserved = requested === PLATFORM_TENANT && verb === 'read';
  if (!reserved && !TENANT_PATTERN.test(requested)) {
    throw invalid([{ path, message: `"${requested}" is not a tenant name (lowercase letters, digits, . _ -; at most 63)` }]);
  }
  return requested;
}
