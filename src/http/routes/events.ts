import type { FastifyInstance } from 'fastify';
import { JsonText, type IngestService } from '../ingest-service.js';
import { IngestBody, IngestHeaders, IngestQuery, IngestResponse, Refs } from '../schemas.js';
import { documentBody, type TypedApp } from '../typed.js';

/**
 * Bodies from this length (characters of their text) are left as text for the ingest thread to
 * parse and check (a batch of events; src/ingest/check-thread.ts); shorter ones (a single event)
 * are parsed here, where a hop to a thread and back would cost more than it saves.
 */
export const THREAD_BODY_LENGTH = 16 * 1024;

/** `POST /v1/events`: one event or a batch; 201 means durably stored. */
export function eventRoutes(app: FastifyInstance, ingest: IngestService): void {
  void app.register(async function events(scope) {
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string;
      if (text.length >= THREAD_BODY_LENGTH) done(null, new JsonText(text));
      else parseJson(request, text, done);
    });
    postEvents(scope, ingest);
  });
}

function postEvents(app: FastifyInstance, ingest: IngestService): void {
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
