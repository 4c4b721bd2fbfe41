import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { SummaryService } from '../../query/summary.js';
import { BUCKET_UNITS, SUMMARY_DIMENSIONS } from '../../store/store.js';
import { FilterQuery, Refs } from '../schemas.js';
import type { TypedApp } from '../typed.js';

const errors = { '4xx': Refs.Error, 503: Refs.Error };

const SummaryQuery = Type.Composite([
  Type.Omit(FilterQuery, ['limit', 'cursor', 'order']),
  Type.Object({
    group_by: Type.Optional(
      Type.Array(Type.String(), { description: `${SUMMARY_DIMENSIONS.join(', ')}. Repeat or comma-separate for several.` }),
    ),
    bucket: Type.Optional(Type.String({ description: `${BUCKET_UNITS.join(', ')} (UTC); every bucket of the range, at most 2,000.` })),
    top: Type.Optional(Type.String({ description: 'Entries kept per group and baselines, 1 to 100 (default 10).' })),
    baseline: Type.Optional(Type.String({ description: 'actor: each actor’s last 24 hours against its 30 days before.' })),
  }),
]);

const Group = Type.Object({
  key: Type.String({ description: 'The value (an actor’s id; type:id of a resource), usable as a filter.' }),
  label: Type.String({ description: 'How people see it: email, api-key:<name>, agent:<name>; a resource’s path or name.' }),
  count: Type.Integer(),
  failures: Type.Integer(),
  failure_rate: Type.Number(),
});

const Summary = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  total: Type.Integer(),
  failures: Type.Integer(),
  failure_rate: Type.Number({ description: 'failures / total (0 when total is 0), 4 decimals.' }),
  buckets: Type.Optional(
    Type.Array(Type.Object({ start: Type.String({ format: 'date-time' }), count: Type.Integer(), failures: Type.Integer() }), {
      description: 'With bucket=: every bucket of the range, oldest first, zeros included.',
    }),
  ),
  groups: Type.Object(Object.fromEntries(SUMMARY_DIMENSIONS.map((d) => [d, Type.Optional(Type.Array(Group))])), {
    description: 'The top entries of each group_by dimension, largest count first, ties by key.',
  }),
  baselines: Type.Optional(
    Type.Array(
      Type.Object({
        actor: Type.String(),
        actor_id: Type.String(),
        today: Type.Integer({ description: 'Events in the 24 hours before to.' }),
        mean: Type.Number(),
        stddev: Type.Number(),
        z: Type.Number({ description: '(today − mean) / max(stddev, 1)' }),
        flagged: Type.Boolean({ description: 'today ≥ 10 and (z ≥ 3, or no events in the 30 days before).' }),
      }),
      { description: 'With baseline=actor: highest z first.' },
    ),
  ),
});

/** `GET /v1/audit/summary`: counts, buckets, top values and baselines over the filters of the logs listing. */
export function summaryRoutes(app: FastifyInstance, summaries: SummaryService): void {
  const typed = app as TypedApp;
  typed.get(
    '/v1/audit/summary',
    {
      schema: {
        tags: ['audit'],
        summary: 'Counts over a range: total, failures, time buckets, top values per dimension, per-actor baselines',
        querystring: SummaryQuery,
        response: { 200: Summary, ...errors },
      },
    },
    async function summary(request) {
      return summaries.summary(request.principal, request.query as Record<string, unknown>);
    },
  );
}
