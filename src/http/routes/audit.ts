import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ProofService } from '../../integrity/proof-service.js';
import type { QueryService } from '../../query/query-service.js';
import type { Trail } from '../../query/trails.js';
import { FilterQuery, Refs, TenantQuery } from '../schemas.js';
import { documentWildcard, type TypedApp } from '../typed.js';

const errors = { '4xx': Refs.Error, 503: Refs.Error };

/** One event as served: the stored event, and its leaf hash and inclusion proof (not part of the leaf). */
const EventWithProof = Type.Intersect([
  Refs.StoredEvent,
  Type.Object({
    leaf_hash: Type.String({ description: 'SHA-256(0x00 ‖ the stored canonical JSON, without leaf_hash and proof), standard base64' }),
    proof: Type.Union([
      Type.Object({
        size: Type.Integer({ description: 'Size of the latest checkpoint' }),
        root: Type.String({ description: 'Its root (base64)' }),
        checkpoint: Type.String({ description: 'The signed checkpoint note' }),
        hashes: Type.Array(Type.String(), { description: 'RFC 9162 inclusion proof, leaf side first (base64)' }),
      }),
      Type.Null({ description: "null only while the tenant's stored tree fails its integrity check" }),
    ]),
  }),
]);

/** The read API: the log, one event (with its inclusion proof), and the trails. Reads are not recorded. */
export function auditRoutes(app: FastifyInstance, query: QueryService, proofs: ProofService): void {
  const typed = app as TypedApp;
  const page = <P extends TSchema>(tags: string[], summary: string, params: P) => ({
    schema: { tags, summary, querystring: FilterQuery, params, response: { 200: Refs.Page, ...errors } },
  });

  typed.get('/v1/audit/logs', page(['audit'], 'Events matching the filters, newest first', Type.Object({})), async function listEvents(request, reply) {
    return sendJson(reply, await query.page(request.principal, request.query));
  });

  typed.get(
    '/v1/audit/logs/:id',
    {
      schema: {
        tags: ['audit'],
        summary: 'One event by id, with its leaf hash and inclusion proof against the latest checkpoint',
        params: Type.Object({ id: Type.String() }),
        querystring: TenantQuery,
        response: { 200: EventWithProof, ...errors },
      },
    },
    async function getEvent(request, reply) {
      const body = await query.event(request.principal, request.params.id, request.query);
      return sendJson(reply, await proofs.withProof(body));
    },
  );

  typed.get(
    '/v1/audit/secrets/*',
    {
      ...page(['trails'], 'Trail of one secret, by path or name (/v1/audit/secrets/prod/db/password)', Type.Object({ '*': Type.String() })),
      config: {
        swaggerTransform: documentWildcard('/v1/audit/secrets/:path', Type.Object({ path: Type.String({ description: 'Secret path (may contain /) or name' }) })),
      },
    },
    async function secretTrail(request, reply) {
      return trail(reply, request.principal, request.query, { kind: 'secret', path: request.params['*'] });
    },
  );

  typed.get(
    '/v1/audit/resources/:type/:id',
    page(['trails'], 'Trail of one resource', Type.Object({ type: Type.String(), id: Type.String() })),
    async function resourceTrail(request, reply) {
      return trail(reply, request.principal, request.query, { kind: 'resource', ...request.params });
    },
  );

  typed.get(
    '/v1/audit/identities/:identity',
    page(['trails'], 'Everything one identity did: /v1/audit/identities/user:alice@acme.example', Type.Object({ identity: Type.String({ description: '<actor type>:<id or email>' }) })),
    async function identityTrail(request, reply) {
      return trail(reply, request.principal, request.query, { kind: 'identity', identity: request.params.identity });
    },
  );

  async function trail(reply: FastifyReply, principal: Parameters<QueryService['page']>[0], raw: object, which: Trail) {
    return sendJson(reply, await query.page(principal, raw as Record<string, unknown>, which));
  }
}

/** Sends JSON text built from stored bodies as is: Fastify does not serialise a string again. */
function sendJson(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}
