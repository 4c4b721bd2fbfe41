import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { RetentionService } from '../../retention/retention-service.js';
import { Refs } from '../schemas.js';
import { documentBody, type TypedApp } from '../typed.js';

const errors = { '4xx': Refs.Error, 503: Refs.Error };
const TenantParams = Type.Object({ tenant: Type.String() });
const Retention = Type.Object(
  {
    tenant: Type.String(),
    days: Type.Union([Type.Integer(), Type.Null()]),
    effective_days: Type.Union([Type.Integer(), Type.Null()], { description: 'null: kept forever' }),
    default_days: Type.Union([Type.Integer(), Type.Null()]),
    presets: Type.Array(Type.Integer()),
    archive_destination: Type.Union([Type.String(), Type.Null()]),
    legal_hold: Type.Object({ enabled: Type.Boolean(), reason: Type.Union([Type.String(), Type.Null()]) }),
    updated_at: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true },
);
const RetentionBody = Type.Object(
  {
    days: Type.Union([Type.Integer(), Type.Null()], { description: '90, 365, 1095, 2555, any whole number ≥ 1, or null for the platform default' }),
    archive_destination: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Configured destination to archive to before purging' })),
  },
  { additionalProperties: true },
);
const HoldBody = Type.Object({ enabled: Type.Boolean(), reason: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, { additionalProperties: true });
const Run = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    state: Type.Union(['pending', 'running', 'completed', 'failed'].map((s) => Type.Literal(s))),
    days: Type.Integer(),
    cutoff_us: Type.Integer(),
    archive_destination: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    updated_at: Type.String(),
    progress: Type.Object({ purged: Type.Integer(), archived_rows: Type.Integer() }),
    result: Type.Unknown(),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true },
);

/** Retention policy, legal hold and retention runs. Changes need the `manage` permission (admins). */
export function retentionRoutes(app: FastifyInstance, retention: RetentionService): void {
  const typed = app as TypedApp;
  typed.get(
    '/v1/tenants/:tenant/retention',
    { schema: { tags: ['retention'], summary: 'A tenant\'s retention policy and legal hold', params: TenantParams, response: { 200: Retention, ...errors } } },
    async function getRetention(request) {
      return retention.get(request.principal, request.params.tenant);
    },
  );
  typed.put(
    '/v1/tenants/:tenant/retention',
    { schema: { tags: ['retention'], summary: 'Set a tenant\'s retention in days (and archive destination)', params: TenantParams, response: { 200: Retention, ...errors } }, config: { swaggerTransform: documentBody(RetentionBody) } },
    async function putRetention(request) {
      return retention.setPolicy(request.principal, request.params.tenant, request.body);
    },
  );
  typed.put(
    '/v1/tenants/:tenant/legal-hold',
    { schema: { tags: ['retention'], summary: 'Set or lift a legal hold (suspends every purge of the tenant)', params: TenantParams, response: { 200: Retention, ...errors } }, config: { swaggerTransform: documentBody(HoldBody) } },
    async function putLegalHold(request) {
      return retention.setLegalHold(request.principal, request.params.tenant, request.body);
    },
  );
  typed.post(
    '/v1/retention/runs',
    {
      schema: {
        tags: ['retention'],
        summary: 'Run retention now for one tenant (or every tenant, platform admins)',
        body: Type.Optional(Type.Object({ tenant: Type.Optional(Type.String()) })),
        response: { 202: Type.Object({ data: Type.Array(Run) }), ...errors },
      },
    },
    async function requestRuns(request, reply) {
      return reply.status(202).send({ data: await retention.requestRuns(request.principal, request.body?.tenant) });
    },
  );
  typed.get(
    '/v1/retention/runs/:id',
    { schema: { tags: ['retention'], summary: 'A retention run: state, purged count, archive manifest', params: Type.Object({ id: Type.String() }), response: { 200: Run, ...errors } } },
    async function getRun(request) {
      return retention.getRun(request.principal, request.params.id);
    },
  );
}
