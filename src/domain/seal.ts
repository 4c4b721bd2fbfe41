import { canonicalJson } from './canonical.js';
import type { PreparedEvent, StoredEvent } from './event.js';
import { formatMicros } from './time.js';

/** Where a presealed text's `seq` goes: canonical JSON escapes every control character, so it is never the event's own text. */
export const SEQ_MARKER = '\x03';
/** Where a presealed text's `received_at` goes. */
export const RECEIVED_MARKER = '\x06';

/**
 * The canonical JSON of a prepared event as it will be sealed, with `SEQ_MARKER` and
 * `RECEIVED_MARKER` in place of the two values only its place in the log gives: everything of
 * sealing that does not depend on that place, so that it can run off the event loop (the ingest
 * thread). The top-level members are canonicalised in three runs split at `received_at` and `seq`,
 * which canonical JSON sorts between them, so each marker sits exactly where its value goes
 * whatever the event's nested objects hold.
 */
export function presealEvent(event: PreparedEvent): string {
  // Without a prototype, so that a member named `__proto__` is a member like any other, as in canonicalJson.
  const runs = [run(), run(), run()] as const;
  for (const [key, value] of Object.entries(event)) {
    if (key === 'received_at' || key === 'seq') continue;
    runs[key < 'received_at' ? 0 : key < 'seq' ? 1 : 2][key] = value;
  }
  const members = [inner(runs[0]), `"received_at":${RECEIVED_MARKER}`, inner(runs[1]), `"seq":${SEQ_MARKER}`, inner(runs[2])];
  return `{${members.filter((member) => member !== '').join(',')}}`;
}

/**
 * Seals a presealed event (`presealEvent`) at its place in the log: returns the RFC 8785
 * canonical JSON of the event with `seq` and `received_at`, which is stored and hashed as its
 * Merkle leaf. The returned string is the event from then on; it is never re-serialised.
 */
export function sealPresealed(presealed: string, seq: number, receivedUs: number): string {
  const received = presealed.indexOf(RECEIVED_MARKER);
  const at = presealed.indexOf(SEQ_MARKER, received);
  return `${presealed.slice(0, received)}"${formatMicros(receivedUs)}"${presealed.slice(received + 1, at)}${seq}${presealed.slice(at + 1)}`;
}

/** `sealPresealed` of `presealEvent`: sealing in one step, where nothing ran before. */
export function sealEvent(event: PreparedEvent, seq: number, receivedUs: number): string {
  return sealPresealed(presealEvent(event), seq, receivedUs);
}

function run(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/** The members of an object's canonical JSON, without its braces. */
function inner(members: Record<string, unknown>): string {
  return canonicalJson(members).slice(1, -1);
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
