/**
 * TypeBox schemas of the HTTP API. They type the handlers and generate /openapi.json. Events are
 * validated by `domain/validate.ts` (messages that name the field and its limit), so the event
 * schemas here document the shape and are not used to validate.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { ROLES, TENANT_PATTERN } from '../domain/access.js';
import { ERRORS } from '../domain/errors.js';
import { ACTOR_TYPES, CLIENT_KINDS, CRUDS, LOGS, SOURCES } from '../domain/event.js';
import { MAX_BATCH_EVENTS } from '../domain/limits.js';
import { QUERY_PARAMETERS } from '../query/parse-filters.js';

const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});

export const ErrorDetail = Type.Object(
  {
    code: literals(Object.keys(ERRORS)),
    message: Type.String(),
    issues: Type.Optional(
      Type.Array(Type.Object({ path: Type.String({ description: 'JSON path of the field, e.g. events[3].actor.id' }), message: Type.String() })),
    ),
  },
  { $id: 'ErrorDetail', description: '`code` is one of the VIGIL_ERR_* codes of docs/api.md.' },
);

export const ErrorBody = Type.Object({ error: Type.Ref(ErrorDetail) }, { $id: 'Error', description: 'Every error response.' });

const Actor = Type.Object({
  type: literals(ACTOR_TYPES),
  id: Type.String(),
  name: Type.Optional(Type.String()),
  email: Type.Optional(Type.String({ format: 'email' })),
});
const Resource = Type.Object({
  type: Type.String({ description: 'secret, project, member, api_key, connector, …' }),
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
});
const Outcome = Type.Object({
  success: Type.Boolean(),
  status: Type.Optional(Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Null()])),
  error_code: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  reason: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Why it failed or was denied: time_window, rate_limit, a policy rule' })),
});
const RequestInfo = Type.Object({
  id: Type.Optional(Type.String()),
  method: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
  duration_ms: Type.Optional(Type.Number({ minimum: 0 })),
});
const Change = Type.Object({
  field: Type.String(),
  old: Type.Optional(Type.Unknown()),
  new: Type.Optional(Type.Unknown()),
});

const producerFields = {
  id: Type.Optional(Type.String({ format: 'uuid', description: 'Same id and content again: accepted once. Other content: 409.' })),
  tenant: Type.Optional(Type.String({ pattern: TENANT_PATTERN.source, description: 'Implied by a tenant key; required with a platform key.' })),
  log: Type.Optional(literals(LOGS, 'Default audit.')),
  action: Type.String({ description: 'e.g. secret.read, SECRET_SET, policy.denied, mcp.tools.call' }),
  category: Type.Optional(Type.String({ description: 'Derived from the action catalogue when absent; else other.' })),
  occurred_at: Type.Optional(Type.String({ format: 'date-time', description: 'RFC 3339; default: time of receipt.' })),
  actor: Actor,
  resource: Type.Optional(Resource),
  source: Type.Optional(literals(SOURCES)),
  service: Type.Optional(Type.String()),
  environment: Type.Optional(Type.String()),
  outcome: Type.Optional(Outcome),
  request: Type.Optional(RequestInfo),
  session_id: Type.Optional(Type.String()),
  changes: Type.Optional(Type.Array(Change)),
  context: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
};

export const EventInput = Type.Object(
  {
    ...producerFields,
    client: Type.Optional(Type.Object({ ip: Type.Optional(Type.String()), user_agent: Type.Optional(Type.String()) })),
  },
  { $id: 'EventInput', additionalProperties: false, description: 'An event as a producer sends it (docs/api.md, "The event").' },
);

export const StoredEvent = Type.Object(
  {
    ...producerFields,
    id: Type.String({ format: 'uuid' }),
    tenant: Type.String(),
    seq: Type.Integer({ minimum: 0, description: "The event's index in its tenant's log." }),
    log: literals(LOGS),
    category: Type.String(),
    crud: literals(CRUDS),
    occurred_at: Type.String({ format: 'date-time' }),
    received_at: Type.String({ format: 'date-time' }),
    outcome: Outcome,
    client: Type.Optional(
      Type.Object({
        ip: Type.Optional(Type.String()),
        user_agent: Type.Optional(Type.String()),
        kind: Type.Optional(literals(CLIENT_KINDS)),
        name: Type.Optional(Type.String({ description: 'e.g. "Chrome 131 on macOS", "CLI", "MCP / Python"' })),
      }),
    ),
    redactions: Type.Optional(Type.Array(Type.String(), { description: 'JSON paths whose values were replaced by [REDACTED:<kind>:<hmac8>].' })),
  },
  { $id: 'StoredEvent', description: 'An event as Vigil keeps it: its RFC 8785 canonical JSON is the Merkle leaf.' },
);

export const IngestBody = Type.Union(
  [
    Type.Ref(EventInput),
    Type.Object({ events: Type.Array(Type.Ref(EventInput), { minItems: 1, maxItems: MAX_BATCH_EVENTS }) }, { additionalProperties: false }),
  ],
  { description: `One event, or a batch of up to ${MAX_BATCH_EVENTS}.` },
);

export const IngestQuery = Type.Object(
  { partial: Type.Optional(Type.Boolean({ description: 'true: store the valid events and report each item; default all-or-nothing.' })) },
  { additionalProperties: false },
);

export const IngestHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$', description: 'Derives the ids of events sent without one, so a retry stores nothing twice.' }),
  ),
});

/** One event's result. All-or-nothing requests give id, seq and duplicate; `partial=true` adds index and status, or an error. */
export const IngestResponse = Type.Object({
  events: Type.Array(
    Type.Object({
      index: Type.Optional(Type.Integer({ description: 'partial=true: position in the request.' })),
      status: Type.Optional(Type.Integer({ description: 'partial=true: 201 stored (or duplicate); 4xx refused; 503 not stored, retry.' })),
      id: Type.Optional(Type.String()),
      seq: Type.Optional(Type.Integer({ description: "The event's index in its tenant's log." })),
      duplicate: Type.Optional(Type.Boolean({ description: 'true: already stored with the same content (a retry); nothing new was stored.' })),
      error: Type.Optional(Type.Ref(ErrorDetail)),
    }),
  ),
});

const filterDoc = (description: string, multi: boolean): TSchema =>
  multi ? Type.Array(Type.String(), { description: `${description} Repeat or comma-separate for several (OR).` }) : Type.String({ description });

/** The read filters of DESIGN.md §4, documented from the parser's own table (`query/parse-filters.ts` checks them). */
export const FilterQuery = Type.Object(
  Object.fromEntries(QUERY_PARAMETERS.map((p) => [p.name, Type.Optional(filterDoc(p.doc, p.multi))])),
);

export const Page = Type.Object(
  {
    data: Type.Array(Type.Ref(StoredEvent)),
    next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as cursor= for the next page; null on the last page.' }),
  },
  { $id: 'Page' },
);

export const TenantQuery = Type.Object({ tenant: Type.Optional(Type.String({ description: 'Required with a platform key.' })) });

export const KeyView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    role: literals(ROLES),
    tenant: Type.Union([Type.String(), Type.Null()], { description: 'null: a platform key.' }),
    created_at: Type.String({ format: 'date-time' }),
    created_by: Type.Union([Type.String(), Type.Null()], { description: 'Id of the key that created it; null when Vigil did.' }),
    expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'Key' },
);

export const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\x00-\\x1f\\x7f]+$' }),
    role: literals(ROLES),
    tenant: Type.Optional(Type.String({ description: "Default: the caller's tenant; a platform admin leaving it out creates a platform key." })),
    expires_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const CreatedKey = Type.Object({
  key: Type.Ref(KeyView),
  secret: Type.String({ description: 'The whole API key. Shown once: Vigil keeps only a hash.' }),
});

export const KeyList = Type.Object({ data: Type.Array(Type.Ref(KeyView)) });

export const Health = Type.Object({ status: Type.Literal('ok') });

/** Schemas referenced by `$ref`, registered once with the app. */
export const SHARED_SCHEMAS = [ErrorDetail, ErrorBody, EventInput, StoredEvent, Page, KeyView];

/** Routes name shared schemas by reference (Fastify compiles each shared schema once). */
export const Refs = {
  Error: Type.Ref(ErrorBody),
  Page: Type.Ref(Page),
  StoredEvent: Type.Ref(StoredEvent),
  Key: Type.Ref(KeyView),
};
