import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ACTOR_TYPES, type ActorType } from '../domain/event.js';
import { VigilError } from '../domain/errors.js';
import type { Narrowing, Principal } from './principal.js';

/**
 * Viewer tokens: `vt_<base64url(payload)>.<base64url(HMAC-SHA256(key, payload))>`.
 *
 * Stateless and tamper-proof: the payload (tenant, expiry, narrowing, a random id) is signed with
 * the server-wide `viewer-token-key` (`config/server-secrets.ts`), so every process on one
 * database accepts a token any of them minted, and changing one byte of it voids the signature.
 * Nothing is stored: a token ends only when it expires.
 */
export const VIEWER_TOKEN_PREFIX = 'vt_';

const TOKEN_PATTERN = /^vt_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

/** What a viewer token carries. */
export interface ViewerClaims {
  /** Random, 16 hex characters: names the token in the log without revealing it. */
  id: string;
  tenant: string;
  /** Unix time in milliseconds. */
  expiresAt: number;
  narrowing: Narrowing;
}

/** The payload as signed: short keys, `a`/`r` as [type, id]. */
interface Payload {
  v: 1;
  i: string;
  t: string;
  e: number;
  a?: [string, string];
  r?: [string, string];
}

/** A fresh random token id. */
export function viewerTokenId(): string {
  return randomBytes(8).toString('hex');
}

/** Signs `claims` into a token. */
export function mintViewerToken(key: Uint8Array, claims: ViewerClaims): string {
  const { actor, resource } = claims.narrowing;
  const payload: Payload = {
    v: 1,
    i: claims.id,
    t: claims.tenant,
    e: claims.expiresAt,
    ...(actor ? { a: [actor.type, actor.id] } : {}),
    ...(resource ? { r: [resource.type, resource.id] } : {}),
  };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${VIEWER_TOKEN_PREFIX}${body}.${mac(key, body).toString('base64url')}`;
}

/**
 * The claims of a token this server signed and that has not expired at `now`; anything else
 * (malformed, altered, signed with another key, expired) is VIGIL_ERR_UNAUTHENTICATED.
 */
export function verifyViewerToken(key: Uint8Array, token: string, now: Date): ViewerClaims {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) throw unauthenticated('the viewer token is malformed (expected vt_<payload>.<signature>)');
  const body = m[1]!;
  const given = Buffer.from(m[2]!, 'base64url');
  const wanted = mac(key, body);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw unauthenticated('the viewer token is not valid (altered, or not issued by this server)');
  }
  const claims = claimsOf(Buffer.from(body, 'base64url').toString('utf8'));
  if (claims.expiresAt <= now.getTime()) {
    throw unauthenticated(`viewer token expired at ${new Date(claims.expiresAt).toISOString()}; mint a new one`);
  }
  return claims;
}

/** The principal a viewer token authenticates: role viewer, its tenant, its narrowing. */
export function viewerPrincipal(claims: ViewerClaims): Principal {
  return {
    keyId: claims.id,
    name: `viewer token ${claims.id}`,
    role: 'viewer',
    tenant: claims.tenant,
    viewer: { expiresAt: new Date(claims.expiresAt).toISOString(), narrowing: claims.narrowing },
  };
}

/** Reads a signed payload. Only this server signs them, so a bad shape is a bug or an old format. */
function claimsOf(json: string): ViewerClaims {
  const p = JSON.parse(json) as Payload;
  const pair = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string');
  const wellFormed =
    p.v === 1 &&
    typeof p.i === 'string' &&
    typeof p.t === 'string' &&
    Number.isSafeInteger(p.e) &&
    (p.a === undefined || (pair(p.a) && (ACTOR_TYPES as readonly string[]).includes(p.a[0]))) &&
    (p.r === undefined || pair(p.r));
  if (!wellFormed) throw unauthenticated('the viewer token is malformed (unknown payload format)');
  const narrowing: Narrowing = {
    ...(p.a ? { actor: { type: p.a[0] as ActorType, id: p.a[1] } } : {}),
    ...(p.r ? { resource: { type: p.r[0], id: p.r[1] } } : {}),
  };
  return { id: p.i, tenant: p.t, expiresAt: p.e, narrowing };
}

function mac(key: Uint8Array, body: string): Buffer {
  return createHmac('sha256', key).update(`${VIEWER_TOKEN_PREFIX}${body}`, 'utf8').digest();
}

function unauthenticated(message: string): VigilError {
  return new VigilError('VIGIL_ERR_UNAUTHENTICATED', message);
}
