import type { FastifyInstance } from 'fastify';
import type { IngestService } from '../ingest-service.js';
import { IngestBody, IngestHeaders, IngestQuery, IngestResponse, Refs } from '../schemas.js';
import { documentBody, type TypedApp } from '../typed.js';

/** `POST /v1/events`: one event or a batch; 201 means durably stored. */
export function eventRoutes(app: FastifyInstance, ingest: IngestService): void {
  (app as TypedApp).post(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Send one event or {"events": [...]} (all-or-nothing unless partial=true)',
        querystring: IngestQuery,
        headers: IngestHeaders,
        response: { 201: IngestResponse, '4xx': Refs.Error, 503: Refs.Error },
      },
      // Events are checked by validateEvent (field paths, limits); the schema only documents them.
      config: { swaggerTransform: documentBody(IngestBody) },
    },
    async function postEvents(request, reply) {
      const key = request.headers['idempotency-key'];
      const options = key === undefined ? {} : { idempotencyKey: key };
      const result = request.query.partial
        ? await ingest.ingestPartial(request.principal, request.body, options)
        : await ingest.ingest(request.principal, request.body, options);
      return reply.status(201).send(result);
    },
  );
}
