import type { FastifyInstance } from 'fastify';
import { VigilError } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';
import { Health, Refs } from '../schemas.js';

/** Liveness and readiness; not authenticated and never recorded. */
export function healthRoutes(app: FastifyInstance, store: Store): void {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Health } } },
    async function healthz() {
      return { status: 'ok' as const };
    },
  );
  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'The store answers (503 when it does not)', response: { 200: Health, 503: Refs.Error } } },
    async function readyz() {
      try {
        await store.ping();
      } catch (err) {
        throw err instanceof VigilError ? err : new VigilError('VIGIL_ERR_UNAVAILABLE', 'the store does not answer');
      }
      return { status: 'ok' as const };
    },
  );
}
