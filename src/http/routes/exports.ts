import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ExportService } from '../../export/export-service.js';
import { EXPORT_FORMATS } from '../../export/format.js';
import { FilterQuery, Refs, TenantQuery } from '../schemas.js';
import { documentBody, type TypedApp } from '../typed.js';

const errors = { '4xx': Refs.Error, 503: Refs.Error };
const Format = Type.Union(EXPORT_FORMATS.map((f) => Type.Literal(f)), { description: 'csv (default) or jsonl' });

const ExportQuery = Type.Composite([
  Type.Omit(FilterQuery, ['limit', 'cursor']),
  Type.Object({ format: Type.Optional(Format) }),
]);

const Progress = Type.Object({ rows: Type.Integer(), bytes: Type.Integer(), files: Type.Integer() });
const ExportJob = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    state: Type.Union(['pending', 'running', 'completed', 'failed'].map((s) => Type.Literal(s))),
    destination: Type.String(),
    format: Format,
    gzip: Type.Boolean(),
    split_bytes: Type.Integer(),
    filter: Type.Unknown({ description: 'The parsed filter the job exports.' }),
    created_at: Type.String(),
    updated_at: Type.String(),
    attempts: Type.Integer(),
    progress: Progress,
    manifest: Type.Unknown({ description: 'When completed: files (key, rows, bytes, sha256, seq range), tree size and root, checkpoint.' }),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: true },
);
const CreateExportJob = Type.Object(
  {
    destination: Type.String({ description: 'Name of a destination in Vigil\'s configuration; credentials are never accepted here.' }),
    format: Format,
    filters: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The query filters of GET /v1/audit/logs, as an object.' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    gzip: Type.Optional(Type.Boolean()),
    split_bytes: Type.Optional(Type.Integer({ description: 'Start a new file at the first row boundary past this many bytes (before compression).' })),
    tenant: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/**
 * Exports: a streamed download of everything matching, and export jobs to configured
 * destinations. Both need the `export` permission and are recorded as `vigil.export` events.
 */
export function exportRoutes(app: FastifyInstance, exports: ExportService): void {
  const typed = app as TypedApp;
  typed.get(
    '/v1/audit/export',
    { schema: { tags: ['export'], summary: 'Stream every matching event as CSV or JSONL (no row cap)', querystring: ExportQuery, response: { 200: Type.Unknown({ description: 'text/csv or application/x-ndjson, streamed' }), ...errors } } },
    async function streamExport(request, reply) {
      const download = await exports.download(request.principal, request.query as Record<string, unknown>);
      return reply
        .type(download.contentType)
        .header('content-disposition', `attachment; filename="${download.filename}"`)
        .send(download.stream);
    },
  );
  typed.post(
    '/v1/audit/exports',
    {
      schema: {
        tags: ['export'],
        summary: 'Start an export job to a configured destination (s3, gcs, azure_blob, file)',
        response: { 202: ExportJob, ...errors },
      },
      // Checked by ExportService, whose messages name the field (and refuse inline credentials).
      config: { swaggerTransform: documentBody(CreateExportJob) },
    },
    async function createExportJob(request, reply) {
      return reply.status(202).send(await exports.createJob(request.principal, request.body));
    },
  );
  typed.get(
    '/v1/audit/exports',
    { schema: { tags: ['export'], summary: 'The latest export jobs', querystring: TenantQuery, response: { 200: Type.Object({ data: Type.Array(ExportJob) }), ...errors } } },
    async function listExportJobs(request) {
      return { data: await exports.listJobs(request.principal, request.query.tenant) };
    },
  );
  typed.get(
    '/v1/audit/exports/:id',
    { schema: { tags: ['export'], summary: 'An export job: state, progress, and its manifest once completed', params: Type.Object({ id: Type.String() }), response: { 200: ExportJob, ...errors } } },
    async function getExportJob(request) {
      return exports.getJob(request.principal, request.params.id);
    },
  );
}
