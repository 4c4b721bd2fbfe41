import type { FastifyRequest } from 'fastify';
import { authenticate } from '../auth/authenticate.js';
import type { Principal } from '../auth/principal.js';
import { VigilError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { sessionPrincipal, type SessionStore } from './routes/session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every /v1 route. */
    principal: Principal;
  }
}

/**
 * An onRequest hook: authenticates before the body is read, so strangers cannot make us parse it.
 * With `sessions`, a dashboard session cookie stands in for the key on reads (GET, HEAD); with
 * `viewerTokenKey`, viewer tokens are accepted as well as keys.
 */
export function authHook(store: Pick<Store, 'findKey'>, sessions?: SessionStore, viewerTokenKey?: Uint8Array): (request: FastifyRequest) => Promise<void> {
  return async function authenticateRequest(request) {
    try {
      const session = sessions ? await sessionPrincipal(sessions, request) : null;
      request.principal = session ?? (await authenticate(store, request.headers.authorization, new Date(), viewerTokenKey));
    } catch (err) {
      // The key store not answering is an outage (retry), not a bad key.
      if (err instanceof VigilError) throw err;
      throw new VigilError('VIGIL_ERR_UNAVAILABLE', 'cannot check the API key: the store does not answer; retry');
    }
  };
}
