import { writeTenant, requirePermission, type Principal } from '../auth/principal.js';
import type { EventSink } from '../auth/key-service.js';
import type { ServerSecrets } from '../config/server-secrets.js';
import { invalid, VigilError, type FieldIssue } from '../domain/errors.js';
import type { EventInput, PreparedEvent } from '../domain/event.js';
import { MAX_BATCH_EVENTS } from '../domain/limits.js';
import { idempotentEventId, prepareEvent } from '../domain/prepare.js';
import { checkEventSize, validateEvent } from '../domain/validate.js';
import { nowMicros } from '../domain/time.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { AppendedEvent, AppendRequest, AppendResult } from '../store/store.js';
import { errorDetail, type ErrorDetail } from './errors.js';

export interface IngestOptions {
  /** `Idempotency-Key`: derives the ids of events sent without one. */
  idempotencyKey?: string;
  /** Store the valid events and report every item, instead of all-or-nothing. */
  partial?: boolean;
}

/** One item's fate in a `partial=true` request. */
export type ItemResult =
  | ({ index: number; status: 201 } & AppendedEvent)
  | { index: number; status: number; error: ErrorDetail };

/** One event that passed every check, ready for the ingestor. */
interface Accepted {
  index: number;
  event: PreparedEvent;
  /** The producer sent no `occurred_at`: a retry matches whatever the stored time. */
  timeDefaulted: boolean;
  /** Vigil minted the event's id (the producer sent none and no idempotency key). */
  idMinted: boolean;
}

type Checked = Accepted | { index: number; error: VigilError };

/**
 * The write path of the API: authorises, validates, resolves tenants, redacts (via
 * `prepareEvent`) and hands the events to the group-commit ingestor. It also records Vigil's own
 * changes (`EventSink`). A storage failure is a 503: nothing of the request was stored, and a
 * retry is safe.
 */
export class IngestService implements EventSink {
  constructor(
    private readonly ingestor: Ingestor,
    private readonly secrets: ServerSecrets,
    private readonly now: () => number = nowMicros,
  ) {}

  /** All-or-nothing: every event is stored, or none and the error says why. */
  async ingest(principal: Principal, body: unknown, options: IngestOptions = {}): Promise<{ events: AppendedEvent[] }> {
    requirePermission(principal, 'ingest');
    const checked = this.checkAll(principal, body, options);
    const failures = checked.filter((c): c is Extract<Checked, { error: VigilError }> => 'error' in c);
    if (failures.length > 0) throw combine(failures.map((f) => f.error));
    const result = await this.submit(toRequest(checked as Accepted[]));
    if (!result.ok) throw result.error;
    return { events: result.events };
  }

  /** Per item (`partial=true`): stores the valid events, each on its own, and reports every item. */
  async ingestPartial(principal: Principal, body: unknown, options: IngestOptions = {}): Promise<{ events: ItemResult[] }> {
    requirePermission(principal, 'ingest');
    const checked = this.checkAll(principal, body, options);
    const results = await Promise.all(checked.map((item) => this.storeItem(item)));
    return { events: results };
  }

  /** Records one of Vigil's own events (key changes) in `tenant`'s log, durably. */
  async record(tenant: string, event: EventInput): Promise<void> {
    const nowUs = this.now();
    const prepared = prepareEvent(event, { tenant, redactionKey: this.secrets.redactionKey(tenant), nowUs });
    const result = await this.submit({ events: [prepared], ...(event.id === undefined ? { mintedIds: new Set([0]) } : {}) });
    if (!result.ok) throw result.error;
  }

  private async storeItem(item: Checked): Promise<ItemResult> {
    if ('error' in item) return { index: item.index, status: item.error.status, error: errorDetail(item.error) };
    try {
      const result = await this.submit(toRequest([item]));
      if (!result.ok) return { index: item.index, status: result.error.status, error: errorDetail(result.error) };
      return { index: item.index, status: 201, ...result.events[0]! };
    } catch (err) {
      const error = err as VigilError;
      return { index: item.index, status: error.status, error: errorDetail(error) };
    }
  }

  /** The ingestor's answer; anything it throws that is not already coded is a storage failure. */
  private async submit(request: AppendRequest): Promise<AppendResult> {
    try {
      return await this.ingestor.submit(request);
    } catch (err) {
      if (err instanceof VigilError) throw err;
      throw new VigilError('VIGIL_ERR_UNAVAILABLE', 'storage failed; nothing was stored, retry');
    }
  }

  private checkAll(principal: Principal, body: unknown, options: IngestOptions): Checked[] {
    const { items, batch } = splitBody(body);
    const nowUs = this.now();
    return items.map((raw, index) => this.checkOne(principal, raw, batch ? `events[${index}]` : '', index, nowUs, options));
  }

  private checkOne(principal: Principal, raw: unknown, path: string, index: number, nowUs: number, options: IngestOptions): Checked {
    const tooLarge = checkEventSize(raw, path);
    if (tooLarge) return { index, error: tooLarge };
    const result = validateEvent(raw, path, nowUs);
    if ('issues' in result) return { index, error: invalid(result.issues) };
    const input = result.event;
    let tenant: string;
    try {
      tenant = writeTenant(principal, input.tenant, path ? `${path}.tenant` : 'tenant');
    } catch (err) {
      return { index, error: err as VigilError };
    }
    const id = input.id ?? (options.idempotencyKey === undefined ? undefined : idempotentEventId(tenant, options.idempotencyKey, index));
    const event = prepareEvent(input, {
      tenant,
      redactionKey: this.secrets.redactionKey(tenant),
      nowUs,
      ...(id === undefined ? {} : { id }),
    });
    return { index, event, timeDefaulted: input.occurred_at === undefined, idMinted: id === undefined };
  }
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

function toRequest(accepted: Accepted[]): AppendRequest {
  const defaulted = new Set<number>();
  const minted = new Set<number>();
  accepted.forEach((a, i) => {
    if (a.timeDefaulted) defaulted.add(i);
    if (a.idMinted) minted.add(i);
  });
  return {
    events: accepted.map((a) => a.event),
    ...(defaulted.size > 0 ? { defaultedTimes: defaulted } : {}),
    ...(minted.size > 0 ? { mintedIds: minted } : {}),
  };
}

/**
 * One error for a refused batch: a 403 (wrong tenant) first, then a 413 (too large), else one
 * 400 listing every field issue of every event.
 */
function combine(errors: VigilError[]): VigilError {
  const forbidden = errors.find((e) => e.code === 'VIGIL_ERR_FORBIDDEN');
  if (forbidden) return forbidden;
  const tooLarge = errors.filter((e) => e.code === 'VIGIL_ERR_TOO_LARGE');
  const pick = tooLarge.length > 0 ? tooLarge : errors;
  const issues: FieldIssue[] = pick.flatMap((e) => e.issues ?? [{ path: 'event', message: e.message }]);
  if (tooLarge.length > 0) return new VigilError('VIGIL_ERR_TOO_LARGE', tooLarge[0]!.message, issues);
  return invalid(issues);
}
