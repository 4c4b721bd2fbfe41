import { canonicalJson } from './canonical.js';
import type { PreparedEvent, StoredEvent } from './event.js';
import { formatMicros } from './time.js';

/**
 * Seals a prepared event at its place in the log: adds `seq` and `received_at` and returns the
 * RFC 8785 canonical JSON that is stored and hashed as the event's Merkle leaf. The returned
 * string is the event from then on; it is never re-serialised.
 */
export function sealEvent(event: PreparedEvent, seq: number, receivedUs: number): string {
  const stored: StoredEvent = { ...event, seq, received_at: formatMicros(receivedUs) };
  return canonicalJson(stored);
}

/**
 * True when two prepared events with the same id have the same content; `timeDefaulted` ignores
 * `occurred_at`, for an event whose producer sent no time (Vigil filled in the time of receipt),
 * so that a retry of it is recognised.
 */
export function sameEvent(a: PreparedEvent, b: PreparedEvent, timeDefaulted = false): boolean {
  const candidate = timeDefaulted ? { ...b, occurred_at: a.occurred_at } : b;
  return canonicalJson(a) === canonicalJson(candidate);
}

/** `sameEvent` against a stored event's canonical body, whose server-assigned fields are ignored. */
export function sameContent(storedBody: string, event: PreparedEvent, timeDefaulted = false): boolean {
  const { seq: _seq, received_at: _received, ...stored } = JSON.parse(storedBody) as StoredEvent;
  return sameEvent(stored, event, timeDefaulted);
}
