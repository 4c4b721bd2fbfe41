import type { MessagePort } from 'node:worker_threads';
import secureJson from 'secure-json-parse';
import type { Principal } from '../auth/principal.js';
import { redactionKeys } from '../config/server-secrets.js';
import { VigilError, type ErrorCode, type FieldIssue } from '../domain/errors.js';
import { checkEvents, type Checked } from './check-events.js';

/** A request body for the ingest thread (check-thread.ts): its text, and who sent it when. */
export interface CheckRequest {
  id: number;
  text: string;
  principal: Principal;
  nowUs: number;
  idempotencyKey?: string;
}

/** A VigilError as it crosses threads (an Error's own fields do not). */
export interface ErrorJson {
  code: ErrorCode;
  message: string;
  issues?: FieldIssue[];
}

/** An item as it crosses threads. */
export type CheckedJson = Exclude<Checked, { error: VigilError }> | { index: number; error: ErrorJson };

/**
 * The thread's answer: the checked items (`CheckedJson[]` as JSON text: parsing it costs the event
 * loop about half what taking the same items as a structured clone does); the whole request
 * refused; or a body that is not JSON.
 */
export type CheckReply = { id: number } & ({ checked: string } | { refused: ErrorJson } | { notJson: true });

/** What the thread is started with: the root its tenants' redaction keys derive from. */
export interface CheckThreadData {
  redactionRoot: Uint8Array;
}

/**
 * Parses the body exactly as Fastify's JSON parser does: a `__proto__` or `constructor.prototype`
 * key is an error, not a silently altered object.
 */
export function parseJsonBody(text: string): unknown {
  return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
}

export function errorJson(error: VigilError): ErrorJson {
  return { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) };
}

export function fromErrorJson({ code, message, issues }: ErrorJson): VigilError {
  return new VigilError(code, message, issues);
}

/**
 * The ingest thread's work (check-thread.ts), on a shared thread (src/threads/thread-host.ts):
 * parses request bodies and checks their events (`checkEvents`), so that the event loop only
 * sequences and stores them.
 */
export function serve(port: MessagePort, { redactionRoot }: CheckThreadData): void {
  const redactionKey = redactionKeys(Buffer.from(redactionRoot));
  port.on('message', ({ id, text, principal, nowUs, idempotencyKey }: CheckRequest) => {
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch {
      return port.postMessage({ id, notJson: true } satisfies CheckReply);
    }
    try {
      const checked = checkEvents(body, { principal, nowUs, redactionKey, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
      const items: CheckedJson[] = checked.map((item) => ('error' in item ? { index: item.index, error: errorJson(item.error) } : item));
      port.postMessage({ id, checked: JSON.stringify(items) } satisfies CheckReply);
    } catch (error) {
      if (error instanceof VigilError) return port.postMessage({ id, refused: errorJson(error) } satisfies CheckReply);
      return port.postMessage({ id, refused: { code: 'VIGIL_ERR_INTERNAL', message: 'Internal error' } } satisfies CheckReply);
    }
  });
}
