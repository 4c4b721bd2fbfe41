/**
 * Dashboard sign-in. `POST /v1/session {key}` checks an API key (or viewer token) once and answers
 * with an opaque session id in an httpOnly, SameSite=Strict cookie; `GET /v1/session` says who is
 * signed in; `DELETE /v1/session` signs out. The key is neither kept nor readable by the page's
 * script: the server keeps the session (in its store, with an expiry) and re-reads the key's record
 * on every request, so revoking or expiring the key ends its sessions at once. A viewer token has
 * no record: its session ends when the token expires.
 *
 * The auth hook accepts the cookie in place of `Authorization` for reads and exports only (GET
 * and HEAD): the session cannot ingest or manage keys. Sign-in and sign-out require the
 * `X-Vigil-CSRF` header, which no cross-site form can send (it forces a CORS preflight).
 */
import { createHash, randomBytes } from 'node:crypto';
import cookie from '@fastify/cookie';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from '../../auth/authenticate.js';
import type { Principal } from '../../auth/principal.js';
import { VigilError } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';
import { Refs } from '../schemas.js';
import type { TypedApp } from '../typed.js';

export const SESSION_COOKIE = 'vigil_session';
/** The header the dashboard sends on sign-in and sign-out; any value but empty. */
export const CSRF_HEADER = 'x-vigil-csrf';
/** A session lasts this long from sign-in, or less when the key expires sooner. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** Sessions kept at most; those that expire first are dropped beyond it, so sign-ins cannot fill the store. */
const MAX_SESSIONS = 10_000;

interface Session {
  principal: Principal;
  expiresAt: number;
}

/** What the dashboard learns about its session: never the key. */
export interface SessionView {
  name: string;
  role: Principal['role'];
  /** `null`: a platform key, which names a tenant on every read. */
  tenant: string | null;
  expires_at: string;
}

type SessionStorage = Pick<Store, 'saveSession' | 'findSession' | 'deleteSession'>;

/**
 * Sessions, kept in the store under the SHA-256 of their id: every process on one database knows
 * them, and a restart signs nobody out. Ids are 256-bit random, base64url.
 */
export class SessionStore {
  constructor(
    /** Where keys are read, on every request (a cache that sees revocations). */
    private readonly keys: Pick<Store, 'findKey'>,
    private readonly storage: SessionStorage,
    private readonly now: () => number = Date.now,
    private readonly viewerTokenKey?: Uint8Array,
  ) {}

  /** Checks `key` (or viewer token) as the API does and opens a session; throws VIGIL_ERR_UNAUTHENTICATED. */
  async open(key: string): Promise<{ id: string; view: SessionView }> {
    const principal = await authenticate(this.keys, `Bearer ${key}`, new Date(this.now()), this.viewerTokenKey);
    const keyExpiry = await this.expiryOf(principal);
    const session = { principal, expiresAt: Math.min(this.now() + SESSION_TTL_MS, keyExpiry) };
    const id = randomBytes(32).toString('base64url');
    await this.storage.saveSession({ idHash: idHash(id), principal: JSON.stringify(principal), expiresAt: session.expiresAt }, this.now(), MAX_SESSIONS);
    return { id, view: viewOf(session) };
  }

  /** The principal of a live session whose key is still valid; throws VIGIL_ERR_UNAUTHENTICATED. */
  async principal(id: string): Promise<Principal> {
    return (await this.live(id)).principal;
  }

  async view(id: string): Promise<SessionView> {
    return viewOf(await this.live(id));
  }

  async close(id: string): Promise<void> {
    await this.storage.deleteSession(idHash(id));
  }

  private async live(id: string): Promise<Session> {
    const stored = await this.storage.findSession(idHash(id));
    if (!stored || stored.expiresAt <= this.now()) {
      if (stored) await this.close(id);
      throw unauthenticated('the dashboard session has expired or was signed out; sign in again');
    }
    const session: Session = { principal: JSON.parse(stored.principal) as Principal, expiresAt: stored.expiresAt };
    // A viewer token cannot be revoked; its expiry already bounds the session.
    if (session.principal.viewer) return session;
    const record = await this.keys.findKey(session.principal.keyId);
    if (!record || record.revokedAt !== null) {
      await this.close(id);
      throw unauthenticated('the key of this session was revoked; sign in again');
    }
    return session;
  }

  private async expiryOf(principal: Principal): Promise<number> {
    if (principal.viewer) return Date.parse(principal.viewer.expiresAt);
    const record = await this.keys.findKey(principal.keyId);
    return record?.expiresAt ? Date.parse(record.expiresAt) : Infinity;
  }
}

/** How a session id is stored: whoever reads the store cannot sign in with what is there. */
function idHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/**
 * The principal of the request's session cookie, for the auth hook: `null` when the request
 * carries an `Authorization` header or no session cookie, or is not a read (GET, HEAD).
 */
export async function sessionPrincipal(sessions: SessionStore, request: FastifyRequest): Promise<Principal | null> {
  if (request.headers.authorization !== undefined) return null;
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  const id = request.cookies[SESSION_COOKIE];
  return id ? sessions.principal(id) : null;
}

const SessionBody = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 1024, description: 'An API key (vk_<id>_<secret>) or a viewer token.' }) },
  { additionalProperties: false },
);
const SessionInfo = Type.Object({
  name: Type.String(),
  role: Type.String(),
  tenant: Type.Union([Type.String(), Type.Null()], { description: 'null: a platform key; reads name a tenant with tenant=.' }),
  expires_at: Type.String({ format: 'date-time' }),
});
const errors = { '4xx': Refs.Error };
const CsrfHeaders = Type.Object({ [CSRF_HEADER]: Type.String({ minLength: 1, description: 'Any value; proves the request is not a cross-site form.' }) });

/** Registers cookie parsing (for every route, so the auth hook can read the session) and the session routes. */
export async function sessionRoutes(app: FastifyInstance, sessions: SessionStore): Promise<void> {
  await app.register(cookie);
  const typed = app as TypedApp;

  typed.post(
    '/v1/session',
    { schema: { tags: ['session'], summary: 'Sign the dashboard in: sets the session cookie', security: [], headers: CsrfHeaders, body: SessionBody, response: { 201: SessionInfo, ...errors } } },
    async function signIn(request, reply) {
      const { id, view } = await sessions.open(request.body.key);
      setSessionCookie(request, reply, id, Date.parse(view.expires_at));
      return reply.status(201).header('cache-control', 'no-store').send(view);
    },
  );

  typed.get(
    '/v1/session',
    { schema: { tags: ['session'], summary: 'Who the session cookie signs in', security: [], response: { 200: SessionInfo, ...errors } } },
    async function whoAmI(request, reply) {
      const id = request.cookies[SESSION_COOKIE];
      if (!id) throw unauthenticated('not signed in');
      return reply.header('cache-control', 'no-store').send(await sessions.view(id));
    },
  );

  typed.delete(
    '/v1/session',
    { schema: { tags: ['session'], summary: 'Sign out: ends the session and clears the cookie', security: [], headers: CsrfHeaders, response: { 204: Type.Null(), ...errors } } },
    async function signOut(request, reply) {
      const id = request.cookies[SESSION_COOKIE];
      if (id) await sessions.close(id);
      return reply.clearCookie(SESSION_COOKIE, cookieOptions(request)).status(204).send(null);
    },
  );
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string, expiresAt: number): void {
  reply.setCookie(SESSION_COOKIE, id, { ...cookieOptions(request), expires: new Date(expiresAt) });
}

function cookieOptions(request: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' };
}

function viewOf(session: Session): SessionView {
  const { name, role, tenant } = session.principal;
  return { name, role, tenant, expires_at: new Date(session.expiresAt).toISOString() };
}

function unauthenticated(message: string): VigilError {
  return new VigilError('VIGIL_ERR_UNAUTHENTICATED', message);
}
