import { VigilError } from '../domain/errors.js';
import type { EventInput } from '../domain/event.js';
import { principalActor, type EventSink } from './key-service.js';
import { writeTenant, type Narrowing, type Principal } from './principal.js';
import { mintViewerToken, viewerTokenId } from './viewer-token.js';

export const DEFAULT_VIEWER_TTL_SECONDS = 900;
export const MAX_VIEWER_TTL_SECONDS = 86_400;

/** What a platform admin asks for (`POST /v1/viewer-tokens`), validated by the route's schema. */
export interface MintViewerTokenInput extends Narrowing {
  tenant: string;
  ttl_seconds?: number;
}

/** The answer: the token (shown once, never stored or logged) and what it grants. */
export interface MintedViewerToken extends Narrowing {
  token: string;
  expires_at: string;
  tenant: string;
}

/**
 * Mints viewer tokens: short-lived, read-only access to one tenant, optionally narrowed to one
 * actor or resource, for a host product embedding the log viewer (DESIGN.md §8). Only platform
 * admin keys mint them. Each minting is recorded in the tenant's log before the token is
 * returned; the event names the token by its id, never the token itself.
 */
export class ViewerTokenService {
  constructor(
    private readonly key: Uint8Array,
    private readonly sink: EventSink,
    private readonly now: () => number = Date.now,
  ) {}

  async mint(principal: Principal, input: MintViewerTokenInput): Promise<MintedViewerToken> {
    if (principal.role !== 'admin' || principal.tenant !== null) {
      const which = principal.tenant === null ? `a platform ${principal.role} key` : `a ${principal.role} key of tenant "${principal.tenant}"`;
      throw new VigilError('VIGIL_ERR_FORBIDDEN', `viewer tokens are minted by platform admin keys only; this is ${which}`);
    }
    const tenant = writeTenant(principal, input.tenant, 'tenant');
    const ttl = input.ttl_seconds ?? DEFAULT_VIEWER_TTL_SECONDS;
    const narrowing: Narrowing = {
      ...(input.actor ? { actor: input.actor } : {}),
      ...(input.resource ? { resource: input.resource } : {}),
    };
    const claims = { id: viewerTokenId(), tenant, expiresAt: this.now() + ttl * 1000, narrowing };
    const expiresAt = new Date(claims.expiresAt).toISOString();
    await this.sink.record(tenant, mintedEvent(principal, claims.id, expiresAt, narrowing));
    return { token: mintViewerToken(this.key, claims), expires_at: expiresAt, tenant, ...narrowing };
  }
}

/** `vigil.viewer_token.created`: who minted a token for how long and what it sees; not the token. */
function mintedEvent(principal: Principal, id: string, expiresAt: string, narrowing: Narrowing): EventInput {
  const context: Record<string, string> = { expires_at: expiresAt };
  if (narrowing.actor) context.actor = `${narrowing.actor.type}:${narrowing.actor.id}`;
  if (narrowing.resource) context.resource = `${narrowing.resource.type}:${narrowing.resource.id}`;
  return {
    log: 'audit',
    action: 'vigil.viewer_token.created',
    category: 'vigil',
    actor: principalActor(principal),
    resource: { type: 'viewer_token', id },
    source: 'api',
    outcome: { success: true },
    context,
  };
}
