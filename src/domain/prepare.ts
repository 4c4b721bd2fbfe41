/**
 * From a validated `EventInput` to the `PreparedEvent` the store sequences: defaults filled in,
 * values normalised, secrets redacted.
 *
 * Deterministic on purpose: the same input with the same `ctx.id` and `ctx.nowUs` gives the same
 * event, byte for byte in canonical JSON, so a retried request is recognised as the same event
 * (idempotency) and a changed one is refused (409).
 */
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import { classifyAction, defaultLog } from './catalogue.js';
import { VigilError, invalid } from './errors.js';
import type { ClientInfo, EventInput, Outcome, PreparedEvent, RequestInfo } from './event.js';
import { keptMembers } from './members.js';
import { DEFAULT_RULES, redactEvent, type RedactionRules } from './redaction.js';
import { formatMicros, parseTimeMicros } from './time.js';
import { describeClient } from './user-agent.js';

/** What `prepareEvent` needs besides the input. */
export interface PrepareContext {
  /** The tenant the request is for (from the key, or named by a platform key). */
  tenant: string;
  /** The tenant's key for redaction markers. */
  redactionKey: Uint8Array;
  /** Default `occurred_at`, in microseconds. */
  nowUs: number;
  /** The event id to use, overriding the input's (e.g. derived from an Idempotency-Key). */
  id?: string;
  /** Redaction rules; `DEFAULT_RULES` when absent. */
  rules?: RedactionRules;
}

/** Fixed namespace for `idempotentEventId` (a random UUID chosen once; never change it). */
const VIGIL_ID_NAMESPACE = '5b0d7a52-3c8e-4f6b-9a41-2e7f0c9d8b13';

/**
 * The id of the `index`-th event of a request sent with `Idempotency-Key: idempotencyKey`: a
 * UUIDv5, so a retry of the same request names the same events.
 */
export function idempotentEventId(tenant: string, idempotencyKey: string, index: number): string {
  return uuidv5(JSON.stringify([tenant, idempotencyKey, index]), VIGIL_ID_NAMESPACE);
}

/** `object` without `undefined` and `null` members; `undefined` when nothing is left. */
function compact<T extends object>(object: T): T | undefined {
  return keptMembers(object, (value) => value === undefined || value === null);
}

function occurredAt(input: EventInput, nowUs: number): string {
  if (input.occurred_at === undefined) return formatMicros(nowUs);
  const us = parseTimeMicros(input.occurred_at);
  if (us === null) throw invalid([{ path: 'occurred_at', message: 'must be an RFC 3339 time with a zone' }]);
  return formatMicros(us);
}

/** Success defaults to true; null details are dropped (`{success, status: null}` equals `{success}`). */
function outcome(input: Outcome | undefined): Outcome {
  return compact({ success: input?.success ?? true, status: input?.status, error_code: input?.error_code, reason: input?.reason })!;
}

function request(input: RequestInfo | undefined): RequestInfo | undefined {
  return input && compact({ ...input, method: input.method?.toUpperCase() });
}

/** The client with `kind` and `name` read from its user agent. */
function client(input: ClientInfo | undefined): ClientInfo | undefined {
  if (!input) return undefined;
  const described = input.user_agent ? describeClient(input.user_agent) : undefined;
  return compact({ ip: input.ip?.toLowerCase(), user_agent: input.user_agent, kind: described?.kind, name: described?.name });
}

function checkTenant(input: EventInput, tenant: string): void {
  if (input.tenant !== undefined && input.tenant !== tenant) {
    throw new VigilError('VIGIL_ERR_FORBIDDEN', `event is for tenant ${input.tenant}; this request may only write to ${tenant}`, [
      { path: 'tenant', message: `must be ${tenant} for this request` },
    ]);
  }
}

/** Defaults and normal forms, before redaction. */
function normalise(input: EventInput, ctx: PrepareContext): PreparedEvent {
  const { category, crud } = classifyAction(input.action, input.category);
  const event: PreparedEvent = {
    id: (ctx.id ?? input.id ?? uuidv7({ msecs: Math.floor(ctx.nowUs / 1000) })).toLowerCase(),
    tenant: ctx.tenant,
    log: input.log ?? defaultLog(input.action),
    action: input.action,
    category,
    crud,
    occurred_at: occurredAt(input, ctx.nowUs),
    actor: compact({ ...input.actor })!,
    resource: input.resource && compact({ ...input.resource }),
    source: input.source,
    service: input.service,
    environment: input.environment,
    outcome: outcome(input.outcome),
    request: request(input.request),
    client: client(input.client),
    session_id: input.session_id,
    changes: input.changes?.length ? input.changes.map((change) => ({ ...change })) : undefined,
    context: input.context && compact({ ...input.context }),
  };
  return compact(event)!;
}

/**
 * A validated input made ready for sequencing: tenant from `ctx` (an input naming another tenant
 * is refused with 403), id `ctx.id ?? input.id ?? UUIDv7` (lower case), `log` from the input or
 * the catalogue, `category` and `crud` from the catalogue, `occurred_at` as six-digit UTC (default
 * now), outcome default `{success: true}`, method upper-cased, `client.kind`/`name` from the user
 * agent, empty parts dropped; then redacted, with `redactions` set only when something was.
 */
export function prepareEvent(input: EventInput, ctx: PrepareContext): PreparedEvent {
  checkTenant(input, ctx.tenant);
  const { event, redactions } = redactEvent(normalise(input, ctx), ctx.redactionKey, ctx.rules ?? DEFAULT_RULES);
  return redactions.length > 0 ? { ...event, redactions } : event;
}
