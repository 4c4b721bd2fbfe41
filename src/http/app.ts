/**
 * The HTTP face of Vigil: a Fastify app whose handlers are thin (schema → one service call →
 * response). Routes:
 *
 *   POST   /v1/events                         ingest (writer, admin)
 *   GET    /v1/audit/logs[/{id}]              read (viewer, auditor, admin)
 *   GET    /v1/audit/secrets/{path}           trail of one secret
 *   GET    /v1/audit/resources/{type}/{id}    trail of one resource
 *   GET    /v1/audit/identities/{type}:{id}   trail of one identity
 *   GET    /v1/audit/summary                  counts, buckets, top values, baselines (routes/summary.ts)
 *   POST   /v1/keys, GET /v1/keys, DELETE /v1/keys/{id}   key management (admin)
 *   POST   /v1/viewer-tokens                  mint a viewer token (platform admin)
 *   GET    /v1/audit/checkpoint[/key], /v1/audit/proofs/{inclusion,consistency},
 *          /v1/audit/leaves, /v1/audit/leaf-hashes   integrity (routes/integrity.ts)
 *   GET    /v1/audit/export, POST/GET /v1/audit/exports[/{id}]   exports (routes/exports.ts)
 *   GET/PUT /v1/tenants/{tenant}/retention, /legal-hold, /v1/retention/runs   retention
 *   POST   /v1/session, GET, DELETE           dashboard sign-in (a session cookie for reads)
 *   GET    /healthz, /readyz, /openapi.json   unauthenticated
 *   GET    /                                  the dashboard (web/dist)
 */
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { KeyCache } from '../auth/key-cache.js';
import { KeyService } from '../auth/key-service.js';
import { ViewerTokenService } from '../auth/viewer-token-service.js';
import { buildBackground, type Background, type BackgroundOptions } from '../export/jobs/background.js';
import { loadServerSecrets } from '../config/server-secrets.js';
import { MAX_REQUEST_BYTES } from '../domain/limits.js';
import type { Ingestor } from '../ingest/ingestor.js';
import { Checkpointer, type CheckpointerOptions } from '../integrity/checkpointer.js';
import { generateSigner } from '../integrity/note.js';
import { ProofService } from '../integrity/proof-service.js';
import { TileTrees } from '../integrity/tile-trees.js';
import { QueryService } from '../query/query-service.js';
import { SummaryService } from '../query/summary.js';
import type { Store } from '../store/store.js';
import { authHook } from './auth.js';
import { handleError, handleNotFound } from './errors.js';
import { IngestService } from './ingest-service.js';
import { auditRoutes } from './routes/audit.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eventRoutes } from './routes/events.js';
import { exportRoutes } from './routes/exports.js';
import { healthRoutes } from './routes/health.js';
import { integrityRoutes } from './routes/integrity.js';
import { keyRoutes } from './routes/keys.js';
import { retentionRoutes } from './routes/retention.js';
import { SessionStore, sessionRoutes } from './routes/session.js';
import { summaryRoutes } from './routes/summary.js';
import { viewerTokenRoutes } from './routes/viewer-tokens.js';
import { SHARED_SCHEMAS } from './schemas.js';

export interface AppDeps {
  store: Store;
  ingestor: Ingestor;
  /** Request logs; absent: silent. Build it with `createLogger` so secrets are redacted. */
  logger?: FastifyBaseLogger;
  /** Export destinations and retention settings; absent: none configured, events kept forever. */
  jobs?: BackgroundOptions;
  /**
   * Checkpoint signing (`loadIntegrityOptions`). Absent: a key made for this app only, which is
   * enough for tests; `vigil serve` always passes the persistent one.
   */
  integrity?: Partial<Pick<CheckpointerOptions, 'signer' | 'originPrefix' | 'intervalMs'>>;
}

/** The services behind the routes, exposed for the CLI's bootstrap. */
export interface AppServices {
  keys: KeyService;
  ingest: IngestService;
  query: QueryService;
  /** Exports, retention, and their job runner (started by `vigil serve`, not here). */
  background: Background;
  /** Signs checkpoints as trees grow (its timer is started by `vigil serve`, not here). */
  checkpointer: Checkpointer;
}

/** Builds the app (not listening). The store must be open. */
export async function buildApp(deps: AppDeps): Promise<{ app: FastifyInstance; services: AppServices }> {
  const secrets = await loadServerSecrets(deps.store);
  const ingest = new IngestService(deps.ingestor, secrets);
  const keyCache = new KeyCache(deps.store);
  const tileTrees = new TileTrees();
  const checkpointer = new Checkpointer({
    store: deps.store,
    tileTrees,
    signer: deps.integrity?.signer ?? generateSigner('vigil'),
    ...(deps.integrity?.originPrefix ? { originPrefix: deps.integrity.originPrefix } : {}),
    ...(deps.integrity?.intervalMs ? { intervalMs: deps.integrity.intervalMs } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const services: AppServices = {
    ingest,
    keys: new KeyService(deps.store, ingest, keyCache),
    query: new QueryService(deps.store, secrets.cursorKey),
    background: buildBackground(deps.store, ingest, (tenant, size) => checkpointer.covering(tenant, size), {
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...deps.jobs,
    }),
    checkpointer,
  };
  const proofs = new ProofService(deps.store, services.checkpointer, tileTrees);

  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // One line per request, when it is answered (below), instead of one on arrival and one on answer.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_REQUEST_BYTES,
    // Unknown fields and parameters are errors, never silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  // The API speaks JSON only: other bodies get a 415 rather than being parsed as text.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(handleError);
  // Flat fields rather than Fastify's req and res serializers: 15-25 µs less per request, about 5%
  // of a single event's (BENCHMARKS.md, fifteenth round). `key` is the caller's key id, never the key.
  app.addHook('onResponse', function logRequest(request, reply, done) {
    const { method, url, ip, principal } = request;
    request.log.info({ method, url, status: reply.statusCode, ms: reply.elapsedTime, ip, key: principal?.keyId }, 'request completed');
    done();
  });
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onClose', async function stopIngestThread() {
    await services.ingest.close();
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Vigil', version: '1', description: 'Tamper-evident audit log service. See docs/api.md.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'vk_<id>_<secret>' } } },
      security: [{ apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async function openapi() {
    return app.swagger();
  });
  healthRoutes(app, deps.store);
  const sessions = new SessionStore(keyCache, deps.store, Date.now, secrets.viewerTokenKey);
  await sessionRoutes(app, sessions);
  await dashboardRoutes(app);

  await app.register(async function v1(api) {
    api.decorateRequest('principal', null as never);
    api.addHook('onRequest', authHook(keyCache, sessions, secrets.viewerTokenKey));
    // Audit data and key listings must not linger in shared caches.
    api.addHook('onSend', async function noStore(_request, reply) {
      reply.header('cache-control', 'no-store');
    });
    eventRoutes(api, services.ingest);
    auditRoutes(api, services.query, proofs);
    summaryRoutes(api, new SummaryService(deps.store));
    integrityRoutes(api, proofs);
    keyRoutes(api, services.keys);
    viewerTokenRoutes(api, new ViewerTokenService(secrets.viewerTokenKey, services.ingest));
    exportRoutes(api, services.background.exports);
    retentionRoutes(api, services.background.retention);
  });
  await app.ready();
  return { app, services };
}
