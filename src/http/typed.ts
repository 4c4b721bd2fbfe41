import type { SwaggerTransform } from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The app with TypeBox types for request parts. */
export type TypedApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** A route's OpenAPI transform that documents a body the handler validates itself. */
export function documentBody(body: TSchema): SwaggerTransform {
  return ({ schema, url }) => ({ schema: { ...schema, body }, url });
}

/** A route's OpenAPI transform that names a wildcard (`*`) as a path parameter, e.g. `{path}`. */
export function documentWildcard(url: string, params: TSchema): SwaggerTransform {
  return ({ schema }) => ({ schema: { ...schema, params }, url });
}
