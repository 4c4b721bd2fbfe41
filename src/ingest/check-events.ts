import secureJson from 'secure-json-parse';
import { writeTenant, type Principal } from '../auth/principal.js';
import { invalid, VigilError } from '../domain/errors.js';
import type { PreparedEvent } from '../domain/event.js';
import { MAX_BATCH_EVENTS } from '../domain/limits.js';
import { idempotentEventId, prepareEvent } from '../domain/prepare.js';
import { checkEventSize, validateEvent } from '../domain/validate.js';
import type { StoredForm } from '../store/store.js';

/** One event that passed every check, ready for the ingestor. */
export interface Accepted {
  index: number;
  event: PreparedEvent;
  /** The producer sent no `occurred_at`: a retry matches whatever the stored time. */
  timeDefaulted: boolean;
  /** Vigil minted the event's id (the producer sent none and no idempotency key). */
  idMinted: boolean;
  /** The event's `presealEvent` text, when the ingest thread made it… */
  presealed?: string;
  /** …and its body in the form the store keeps, when the store asked for that too (`Store.threadDictionary`). */
  stored?: StoredForm;
}

/** One item of a request, checked: accepted, or why not. */
export type Checked = Accepted | { index: number; error: VigilError };

/** What checking a request's events needs besides the events. */
export interface CheckContext {
  principal: Principal;
  /** The time of receipt, in microseconds: the default `occurred_at`, and the limit of future times. */
  nowUs: number;
  /** `Idempotency-Key`: derives the ids of events sent without one. */
  idempotencyKey?: string;
  /** The redaction HMAC key of a tenant (`ServerSecrets.redactionKey`). */
  redactionKey(tenant: string): Uint8Array;
}

/**
 * Parses a request body exactly as Fastify's JSON parser does: a `__proto__` or
 * `constructor.prototype` key is an error, not a silently altered object.
 */
export function parseJsonBody(text: string): unknown {
  return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
}

/**
 * Validates, resolves the tenant of, and prepares (redacts, normalises) every event of a parsed
 * request body: one event or `{"events": [...]}`. A body of the wrong shape throws (the whole
 * request is refused); an event that fails is reported in its place. Pure, so that it runs on the
 * event loop or on the ingest thread (check-thread.ts) alike.
 */
export function checkEvents(body: unknown, ctx: CheckContext): Checked[] {
  const { items, batch } = splitBody(body);
  return items.map((raw, index) => checkOne(raw, batch ? `events[${index}]` : '', index, ctx));
}

function checkOne(raw: unknown, path: string, index: number, ctx: CheckContext): Checked {
  const tooLarge = checkEventSize(raw, path);
  if (tooLarge) return { index, error: tooLarge };
  const result = validateEvent(raw, path, ctx.nowUs);
  if ('issues' in result) return { index, error: invalid(result.issues) };
  const input = result.event;
  let tenant: string;
  try {
    tenant = writeTenant(ctx.principal, input.tenant, path ? `${path}.tenant` : 'tenant');
  } catch (err) {
    return { index, error: err as VigilError };
  }
  const id = input.id ?? (ctx.idempotencyKey === undefined ? undefined : idempotentEventId(tenant, ctx.idempotencyKey, index));
  const event = prepareEvent(input, {
    tenant,
    redactionKey: ctx.redactionKey(tenant),
    nowUs: ctx.nowUs,
    ...(id === undefined ? {} : { id }),
  });
  return { index, event, timeDefaulted: input.occurred_at === undefined, idMinted: id === undefined };
}

/** One event or `{"events": [...]}`; anything else is a 400, more than the batch limit a 413. */
function splitBody(body: unknown): { items: unknown[]; batch: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid([{ path: 'body', message: 'must be an event object or {"events": [...]}' }]);
  }
  if (!('events' in body)) return { items: [body], batch: false };
  const { events, ...rest } = body as { events: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0) throw invalid(extra.map((key) => ({ path: key, message: 'unknown field; a batch has only "events"' })));
  if (!Array.isArray(events)) throw invalid([{ path: 'events', message: 'must be an array of events' }]);
  if (events.length === 0) throw invalid([{ path: 'events', message: 'must contain at least one event' }]);
  if (events.length > MAX_BATCH_EVENTS) {
    const message = `has ${events.length} events; the limit is ${MAX_BATCH_EVENTS} per request`;
    throw new VigilError('VIGIL_ERR_TOO_LARGE', `events: ${message}`, [{ path: 'events', message }]);
  }
  return { items: events, batch: true };
}
