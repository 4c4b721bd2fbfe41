import type { MessagePort } from 'node:worker_threads';
import { redactionKeys } from '../config/server-secrets.js';
import { ERRORS, errorDetail, VigilError, type ErrorDetail } from '../domain/errors.js';
import { checkEvents, parseJsonBody, type Accepted, type CheckContext } from './check-events.js';

/** A request body for the ingest thread (check-thread.ts): its text, and what checking it needs but the keys the thread derives itself. */
export type CheckRequest = { id: number; text: string } & Omit<CheckContext, 'redactionKey'>;

/** An item as it crosses threads: a refused one with its error's detail. */
export type CheckedJson = Accepted | { index: number; error: ErrorDetail };

/**
 * The thread's answer: the checked items (`CheckedJson[]` as JSON text: parsing it costs the event
 * loop about half what taking the same items as a structured clone does); the whole request
 * refused; or a body that is not JSON.
 */
export type CheckReply = { id: number } & ({ checked: string } | { refused: ErrorDetail } | { notJson: true });

/** What the thread is started with: the root its tenants' redaction keys derive from. */
export interface CheckThreadData {
  redactionRoot: Uint8Array;
}

/**
 * The ingest thread's work (check-thread.ts), on a shared thread (src/threads/thread-host.ts):
 * parses request bodies and checks their events (`checkEvents`), so that the event loop only
 * sequences and stores them.
 */
export function serve(port: MessagePort, { redactionRoot }: CheckThreadData): void {
  const redactionKey = redactionKeys(Buffer.from(redactionRoot));
  port.on('message', ({ id, text, ...context }: CheckRequest) => {
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch {
      return port.postMessage({ id, notJson: true } satisfies CheckReply);
    }
    try {
      const checked = checkEvents(body, { ...context, redactionKey });
      const items: CheckedJson[] = checked.map((item) => ('error' in item ? { index: item.index, error: errorDetail(item.error) } : item));
      port.postMessage({ id, checked: JSON.stringify(items) } satisfies CheckReply);
    } catch (error) {
      if (error instanceof VigilError) return port.postMessage({ id, refused: errorDetail(error) } satisfies CheckReply);
      return port.postMessage({ id, refused: { code: 'VIGIL_ERR_INTERNAL', message: ERRORS.VIGIL_ERR_INTERNAL.title } } satisfies CheckReply);
    }
  });
}
