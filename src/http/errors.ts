import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, errorDetail, invalid, VigilError, type ErrorDetail, type FieldIssue } from '../domain/errors.js';

/** The JSON body of every error response. */
export function errorBody(err: VigilError): { error: ErrorDetail } {
  return { error: errorDetail(err) };
}

/** The one error handler: every failure leaves as `{error: {code, message, issues?}}` with the code's status. */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const vigil = toVigilError(err);
  if (vigil.code === 'VIGIL_ERR_INTERNAL') request.log.error({ err }, 'unhandled error');
  else if (vigil.code === 'VIGIL_ERR_UNAVAILABLE') request.log.warn({ err: vigil.message }, 'storage unavailable');
  reply.status(vigil.status).send(errorBody(vigil));
}

/** Answers unknown routes in the same shape. */
export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const err = new VigilError('VIGIL_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  reply.status(err.status).send(errorBody(err));
}

/** Maps what a handler or Fastify threw to a coded error. Unknown errors become a bare 500. */
export function toVigilError(err: unknown): VigilError {
  if (err instanceof VigilError) return err;
  const fastify = err as Partial<FastifyError>;
  if (Array.isArray(fastify.validation)) {
    return invalid(fastify.validation.map((v) => schemaIssue(fastify.validationContext, v)));
  }
  const status = fastify.statusCode;
  if (typeof fastify.code === 'string' && fastify.code.startsWith('FST_') && typeof status === 'number' && status < 500) {
    return frameworkError(fastify.code, status, fastify.message ?? '');
  }
  return new VigilError('VIGIL_ERR_INTERNAL', ERRORS.VIGIL_ERR_INTERNAL.title);
}

function frameworkError(code: string, status: number, message: string): VigilError {
  if (status === 413) return new VigilError('VIGIL_ERR_TOO_LARGE', `body: ${message}`, [{ path: 'body', message }]);
  if (status === 415) return new VigilError('VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE', `${message}; send application/json`);
  if (status === 404) return new VigilError('VIGIL_ERR_NOT_FOUND', message);
  const path = code.startsWith('FST_ERR_CTP') ? 'body' : 'request';
  return invalid([{ path, message }]);
}

interface SchemaError {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** An ajv error as a field issue: `/events/3/name` → `events[3].name`, plus the missing or extra property. */
function schemaIssue(context: string | undefined, error: SchemaError): FieldIssue {
  const segments = error.instancePath.split('/').slice(1);
  const extra = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof extra === 'string') segments.push(extra);
  const path = segments.reduce((p, s) => (/^\d+$/.test(s) ? `${p}[${s}]` : p ? `${p}.${s}` : s), '');
  const where = path || (context === 'body' ? 'body' : context ?? 'request');
  const message = error.params.additionalProperty !== undefined ? 'unknown field' : error.message ?? 'is invalid';
  return { path: where, message };
}
