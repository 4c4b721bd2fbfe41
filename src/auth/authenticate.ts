import { VigilError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { parseApiKey, secretMatches } from './api-key.js';
import type { Principal } from './principal.js';
import { VIEWER_TOKEN_PREFIX, verifyViewerToken, viewerPrincipal } from './viewer-token.js';

/**
 * Checks an `Authorization` header against the stored keys, or a viewer token (`vt_…`) against
 * `viewerTokenKey`. Refuses a missing or malformed header, an unknown key, a wrong secret,
 * revoked or expired keys, and forged or expired viewer tokens, all with VIGIL_ERR_UNAUTHENTICATED.
 */
export async function authenticate(
  store: Pick<Store, 'findKey'>,
  header: string | undefined,
  now: Date = new Date(),
  viewerTokenKey?: Uint8Array,
): Promise<Principal> {
  const token = bearerToken(header);
  if (token.startsWith(VIEWER_TOKEN_PREFIX)) {
    if (!viewerTokenKey) throw unauthenticated('viewer tokens are not accepted here; use an API key');
    return viewerPrincipal(verifyViewerToken(viewerTokenKey, token, now));
  }
  const parsed = parseApiKey(token);
  if (!parsed) throw unauthenticated('the API key is malformed (expected vk_<id>_<secret>)');
  const record = await store.findKey(parsed.id);
  // Unknown id and wrong secret get the same answer, so ids cannot be probed.
  if (!record || !secretMatches(parsed.secret, record.secretHash)) throw unauthenticated('the API key is not valid');
  if (record.revokedAt !== null) throw unauthenticated('the API key was revoked');
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) {
    throw unauthenticated('the API key has expired');
  }
  return { keyId: record.id, name: record.name, role: record.role, tenant: record.tenant };
}

function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') throw unauthenticated('send an API key as "Authorization: Bearer <key>"');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthenticated('the Authorization header must be "Bearer <key>"');
  return m[1]!;
}

function unauthenticated(message: string): VigilError {
  return new VigilError('VIGIL_ERR_UNAUTHENTICATED', message);
}
