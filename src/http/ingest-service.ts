import { errorCodes } from 'fastify';
import { requirePermission, type Principal } from '../auth/principal.js';
import type { EventSink } from '../auth/key-service.js';
import type { ServerSecrets } from '../config/server-secrets.js';
import { errorDetail, invalid, VigilError, type ErrorDetail, type FieldIssue } from '../domain/errors.js';
import type { EventInput } from '../domain/event.js';
import { prepareEvent } from '../domain/prepare.js';
import { nowMicros } from '../domain/time.js';
import { checkEvents, parseJsonBody, type Accepted, type CheckContext, type Checked } from '../ingest/check-events.js';
import { CheckThread, NotJsonError } from '../ingest/check-thread.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { AppendedEvent, AppendRequest, AppendResult } from '../store/store.js';
import { toVigilError } from './errors.js';

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

/**
 * The write path of the API: authorises, validates, resolves tenants, redacts (via
 * `prepareEvent`) and hands the events to the group-commit ingestor. It also records Vigil's own
 * changes (`EventSink`). A storage failure is a 503: nothing of the request was stored, and a
 * retry is safe.
 */
export class IngestService implements EventSink {
  private readonly thread: CheckThread;

  constructor(
    private readonly ingestor: Ingestor,
    private readonly secrets: ServerSecrets,
    private readonly now: () => number = nowMicros,
  ) {
    this.thread = new CheckThread({ redactionRoot: secrets.redactionRoot });
  }

  /** Stops the ingest thread; bodies it was checking are refused with a 503 (nothing stored). */
  close(): Promise<void> {
    return this.thread.close();
  }

  /** All-or-nothing: every event is stored, or none and the error says why. */
  async ingest(principal: Principal, body: unknown, options: IngestOptions = {}): Promise<{ events: AppendedEvent[] }> {
    requirePermission(principal, 'ingest');
    const checked = body instanceof JsonText ? await this.checkText(principal, body, options) : this.check(principal, body, options);
    const failures = checked.filter((c): c is Extract<Checked, { error: VigilError }> => 'error' in c);
    if (failures.length > 0) throw combine(failures.map((f) => f.error));
    const result = await this.submit(toRequest(checked as Accepted[]));
    if (!result.ok) throw result.error;
    return { events: result.events };
  }

  /** Per item (`partial=true`): stores the valid events, each on its own, and reports every item. */
  async ingestPartial(principal: Principal, body: unknown, options: IngestOptions = {}): Promise<{ events: ItemResult[] }> {
    requirePermission(principal, 'ingest');
    const checked = body instanceof JsonText ? await this.checkText(principal, body, options) : this.check(principal, body, options);
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

  /**
   * A large body's items checked on the ingest thread, unless it already holds THREAD_BODIES
   * bodies: then here, so that the event loop never waits behind it.
   */
  private async checkText(principal: Principal, body: JsonText, options: IngestOptions): Promise<Checked[]> {
    if (this.thread.busy >= THREAD_BODIES) return this.check(principal, parseOrRefuse(body.text), options);
    return this.thread.check(body.text, this.request(principal, options), this.ingestor.threadDictionary()).catch((err: unknown) => {
      throw err instanceof NotJsonError ? notJson() : err;
    });
  }

  /** A parsed body's items checked here (synchronously: a single event costs no turn more). */
  private check(principal: Principal, body: unknown, options: IngestOptions): Checked[] {
    return checkEvents(body, { ...this.request(principal, options), redactionKey: this.secrets.redactionKey });
  }

  /** Who sent a request, when, and with which idempotency key: what checking it needs, wherever it runs. */
  private request(principal: Principal, { idempotencyKey }: IngestOptions): Omit<CheckContext, 'redactionKey'> {
    return { principal, nowUs: this.now(), ...(idempotencyKey === undefined ? {} : { idempotencyKey }) };
  }
}

/**
 * A request body left as text by the route's parser (routes/events.ts): large enough to be
 * parsed and checked on the ingest thread.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Bodies the ingest thread may hold at once before the event loop checks the next one itself. */
const THREAD_BODIES = 8;

/** The answer Fastify's own JSON parser gives a body that is not JSON. */
function notJson(): VigilError {
  return toVigilError(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY());
}

function parseOrRefuse(text: string): unknown {
  try {
    return parseJsonBody(text);
  } catch {
    throw notJson();
  }
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
    ...(accepted.every((a) => a.presealed !== undefined) ? { presealed: accepted.map((a) => a.presealed!) } : {}),
    ...(accepted.every((a) => a.stored !== undefined) ? { stored: accepted.map((a) => a.stored!) } : {}),
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
