import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MAX_VIEWER_TTL_SECONDS, type ViewerTokenService } from '../../auth/viewer-token-service.js';
import { ACTOR_TYPES } from '../../domain/event.js';
import { MAX_ID_LENGTH } from '../../domain/limits.js';
import { Refs } from '../schemas.js';
import type { TypedApp } from '../typed.js';

const errors = { '4xx': Refs.Error, 503: Refs.Error };
const Id = Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH });
const Actor = Type.Object(
  { type: Type.Union(ACTOR_TYPES.map((t) => Type.Literal(t))), id: Id },
  { additionalProperties: false, description: 'Only events of this actor (exact type and id).' },
);
const Resource = Type.Object(
  { type: Id, id: Id },
  { additionalProperties: false, description: 'Only events on this resource (exact type and id).' },
);

const MintBody = Type.Object(
  {
    tenant: Type.String({ description: 'The one tenant the token reads.' }),
    ttl_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_VIEWER_TTL_SECONDS, description: 'Lifetime; default 900.' })),
    actor: Type.Optional(Actor),
    resource: Type.Optional(Resource),
  },
  { additionalProperties: false },
);
const MintedToken = Type.Object({
  token: Type.String({ description: 'vt_<payload>.<signature>; shown once, never stored.' }),
  expires_at: Type.String({ format: 'date-time' }),
  tenant: Type.String(),
  actor: Type.Optional(Actor),
  resource: Type.Optional(Resource),
});

/** Viewer tokens (platform admins): short-lived read access to one tenant for an embedded log viewer. */
export function viewerTokenRoutes(app: FastifyInstance, tokens: ViewerTokenService): void {
  const typed = app as TypedApp;
  typed.post(
    '/v1/viewer-tokens',
    { schema: { tags: ['keys'], summary: 'Mint a viewer token: read-only, one tenant, optionally one actor or resource', body: MintBody, response: { 201: MintedToken, ...errors } } },
    async function mintViewerToken(request, reply) {
      return reply.status(201).send(await tokens.mint(request.principal, request.body));
    },
  );
}
