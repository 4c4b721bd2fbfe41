import type { MessagePort } from 'node:worker_threads';
import { redactionKeys } from '../config/server-secrets.js';
import { ERRORS, errorDetail, VigilError, type ErrorDetail } from '../domain/errors.js';
import type { PreparedEvent } from '../domain/event.js';
import { presealEvent } from '../domain/seal.js';
import { BodyCompressor, compressionDictionary, type CompressionDictionary } from '../store/sqlite/body-compressor.js';
import { searchedColumns } from '../store/sqlite/body-members.js';
import type { BodyDictionary } from '../store/store.js';
import { checkEvents, parseJsonBody, type Accepted, type CheckContext } from './check-events.js';

/**
 * A request body for the ingest thread (check-thread.ts): its text, what checking it needs but the
 * keys the thread derives itself, and the dictionary to compress its bodies with, if any.
 */
export type CheckRequest = { id: number; text: string; dictionaryId?: number } & Omit<CheckContext, 'redactionKey'>;

/** Sent before the first request that names a dictionary the thread does not have. */
export interface DictionaryMessage {
  dictionary: BodyDictionary;
}

/** An item as it crosses threads: a refused one with its error's detail. */
export type CheckedJson = Omit<Accepted, 'presealed' | 'stored'> | { index: number; error: ErrorDetail };

/** The stored forms of a request's accepted events, one after another in `bytes` (moved, not copied), each ending at its `ends`. */
export interface StoredBodies {
  dictionaryId: number;
  bytes: Uint8Array;
  ends: number[];
}

/**
 * The thread's answer: the checked items (`CheckedJson[]` as JSON text: parsing it costs the event
 * loop about half what taking the same items as a structured clone does) and, for the accepted
 * ones in order, beside the JSON (which would escape their markers), their `presealEvent` texts and
 * stored forms; the whole request refused; or a body that is not JSON.
 */
export type CheckReply = { id: number } & (
  | { checked: string; presealed: string[]; stored?: StoredBodies }
  | { refused: ErrorDetail }
  | { notJson: true }
);

/** What the thread is started with: the root its tenants' redaction keys derive from. */
export interface CheckThreadData {
  redactionRoot: Uint8Array;
}

/**
 * The ingest thread's work (check-thread.ts), on a shared thread (src/threads/thread-host.ts):
 * parses request bodies, checks their events (`checkEvents`), preseals them and, for the SQLite
 * store, compresses their bodies, so that the event loop only sequences and stores them.
 */
export function serve(port: MessagePort, { redactionRoot }: CheckThreadData): void {
  const redactionKey = redactionKeys(Buffer.from(redactionRoot));
  const compressor = new BodyCompressor();
  let dictionary: CompressionDictionary | undefined;
  port.on('message', (message: CheckRequest | DictionaryMessage) => {
    if ('dictionary' in message) {
      dictionary = compressionDictionary(message.dictionary.id, message.dictionary.bytes);
      return;
    }
    const { id, text, dictionaryId, ...context } = message;
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch {
      return port.postMessage({ id, notJson: true } satisfies CheckReply);
    }
    try {
      const checked = checkEvents(body, { ...context, redactionKey });
      const items: CheckedJson[] = checked.map((item) => ('error' in item ? { index: item.index, error: errorDetail(item.error) } : item));
      const events = checked.flatMap((item) => ('error' in item ? [] : [item.event]));
      const presealed = events.map(presealEvent);
      const stored = dictionary && dictionary.id === dictionaryId ? storedBodies(compressor, dictionary, events, presealed) : undefined;
      const reply: CheckReply = { id, checked: JSON.stringify(items), presealed, ...(stored ? { stored } : {}) };
      port.postMessage(reply, stored ? [stored.bytes.buffer as ArrayBuffer] : []);
    } catch (error) {
      if (error instanceof VigilError) return port.postMessage({ id, refused: errorDetail(error) } satisfies CheckReply);
      return port.postMessage({ id, refused: { code: 'VIGIL_ERR_INTERNAL', message: ERRORS.VIGIL_ERR_INTERNAL.title } } satisfies CheckReply);
    }
  });
}

/** The stored forms of `events`, in one buffer of their own that the reply moves to the event loop. */
function storedBodies(compressor: BodyCompressor, dictionary: CompressionDictionary, events: PreparedEvent[], presealed: string[]): StoredBodies {
  const bodies = events.map((event, i) => Buffer.from(compressor.stored(presealed[i]!, searchedColumns(event), dictionary)));
  const bytes = new Uint8Array(bodies.reduce((sum, body) => sum + body.length, 0));
  const ends: number[] = [];
  for (const body of bodies) {
    const at = ends.at(-1) ?? 0;
    bytes.set(body, at);
    ends.push(at + body.length);
  }
  return { dictionaryId: dictionary.id, bytes, ends };
}
