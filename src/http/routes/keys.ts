import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { KeyService } from '../../auth/key-service.js';
import { CreatedKey, CreateKeyBody, KeyList, Refs, TenantQuery } from '../schemas.js';
import type { TypedApp } from '../typed.js';

const errors = { '4xx': Refs.Error, 503: Refs.Error };

/** Key management (admins). Every change is recorded as an event of category `vigil`. */
export function keyRoutes(app: FastifyInstance, keys: KeyService): void {
  const typed = app as TypedApp;
  typed.post(
    '/v1/keys',
    { schema: { tags: ['keys'], summary: 'Create a key; its secret is shown once', body: CreateKeyBody, response: { 201: CreatedKey, ...errors } } },
    async function createKey(request, reply) {
      const created = await keys.create(request.principal, request.body);
      return reply.status(201).send({ key: created.key, secret: created.token });
    },
  );
  typed.get(
    '/v1/keys',
    { schema: { tags: ['keys'], summary: 'List keys (never their secrets)', querystring: TenantQuery, response: { 200: KeyList, ...errors } } },
    async function listKeys(request) {
      return { data: await keys.list(request.principal, request.query.tenant) };
    },
  );
  typed.delete(
    '/v1/keys/:id',
    { schema: { tags: ['keys'], summary: 'Revoke a key', params: Type.Object({ id: Type.String() }), response: { 200: Refs.Key, ...errors } } },
    async function revokeKey(request) {
      return keys.revoke(request.principal, request.params.id);
    },
  );
}
