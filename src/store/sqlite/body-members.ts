import type { PreparedEvent } from '../../domain/event.js';
import { RECEIVED_MARKER, SEQ_MARKER } from '../../domain/seal.js';
import { formatMicros, parseTimeMicros } from '../../domain/time.js';
import { uuidBytes, uuidText } from './uuids.js';

/** The columns of an event's row that also appear in its canonical JSON. */
export interface BodyColumns {
  /** The `uid` column in lower-case hex: a string costs a read less than a Buffer of its own. */
  uidHex: string;
  ts: number;
  seq: number;
  sessionId: string | null;
  requestId: string | null;
  /** `received_at` less `occurred_at`, in microseconds: a few bytes where a time takes eight. */
  receivedLagUs: number | null;
}

/** The columns a presealed body is searched for (`withoutMembers`): those the event itself gives. */
export type SearchedColumns = Pick<BodyColumns, 'uidHex' | 'ts' | 'sessionId' | 'requestId'>;

interface Member {
  name: string;
  marker: string;
  /** The member's key, for those `withoutMembers` searches; seq and received_at come presealed. */
  key?: string;
  value: (columns: BodyColumns) => string | null;
}

/**
 * Members of the canonical JSON whose values the row's columns hold: the event's id, times, seq,
 * session and request id — UUIDs, times and random ids that no dictionary compresses (a quarter
 * of a compressed body). A stored body (format 2, body-codec.ts) has one control character in place
 * of each such value. Canonical JSON escapes every character below U+0020, so a marker cannot be
 * the event's own text. Seq and received_at have theirs from sealing (`presealEvent`); the others
 * are searched for, and as each value goes back exactly where it was taken from, the bytes come
 * back whichever occurrence of a member was taken (a nested `"id":` with the same value).
 */
const MEMBERS: readonly Member[] = [
  { name: 'id', marker: '\x01', key: '"id":', value: (c) => `"${uuidText(c.uidHex)}"` },
  { name: 'occurred_at', marker: '\x02', key: '"occurred_at":', value: (c) => `"${formatMicros(c.ts)}"` },
  { name: 'seq', marker: SEQ_MARKER, value: (c) => String(c.seq) },
  { name: 'session_id', marker: '\x04', key: '"session_id":', value: (c) => (c.sessionId === null ? null : JSON.stringify(c.sessionId)) },
  { name: 'request.id', marker: '\x05', key: '"id":', value: (c) => (c.requestId === null ? null : JSON.stringify(c.requestId)) },
  { name: 'received_at', marker: RECEIVED_MARKER, value: (c) => (c.receivedLagUs === null ? null : `"${formatMicros(c.ts + c.receivedLagUs)}"`) },
];

const SEARCHED = MEMBERS.filter((member): member is Member & { key: string } => member.key !== undefined);

const SEARCHED_MARKER = /[\x01\x02\x04\x05]/;

/** The columns of `event`'s row that `withoutMembers` searches its body for. */
export function searchedColumns(event: PreparedEvent): SearchedColumns {
  return {
    uidHex: uuidBytes(event.id).toString('hex'),
    ts: parseTimeMicros(event.occurred_at)!,
    sessionId: event.session_id ?? null,
    requestId: event.request?.id ?? null,
  };
}

/**
 * A presealed body (`presealEvent`) with each other member that `columns` can give back replaced
 * by its marker. A value the JSON does not hold as the column renders it (an id sent in upper
 * case, say) stays in the body; a body that already holds one of those markers is not canonical
 * JSON and keeps its values. Each value taken is one no other member's value overlaps (two members
 * may render alike: an id and a request id), and the text is put together once.
 */
export function withoutMembers(presealed: string, columns: SearchedColumns): string {
  if (SEARCHED_MARKER.test(presealed)) return presealed;
  const taken: [from: number, to: number, marker: string][] = [];
  const overlaps = (from: number, to: number) => taken.some(([f, t]) => from < t && f < to);
  for (const { marker, key, value } of SEARCHED) {
    const rendered = value(columns as BodyColumns);
    if (rendered === null) continue;
    const needle = key + rendered;
    let at = presealed.indexOf(needle);
    while (at >= 0 && overlaps(at + key.length, at + needle.length)) at = presealed.indexOf(needle, at + 1);
    if (at >= 0) taken.push([at + key.length, at + needle.length, marker]);
  }
  return spliced(presealed, taken);
}

/**
 * `text` with each `[from, to)` of `parts` (apart, in any order) replaced by its string, as one
 * flat string: joined, not concatenated, so that no rope of pieces outlives the call.
 */
function spliced(text: string, parts: [from: number, to: number, by: string][]): string {
  if (parts.length === 0) return text;
  parts.sort((a, b) => a[0] - b[0]);
  const pieces: string[] = [];
  let at = 0;
  for (const [from, to, by] of parts) {
    pieces.push(text.slice(at, from), by);
    at = to;
  }
  pieces.push(text.slice(at));
  return pieces.join('');
}

/** The canonical JSON of a stored body's `text`: each marker replaced by its column's value. */
export function withMembers(text: string, columns: BodyColumns): string {
  const values: [from: number, to: number, by: string][] = [];
  for (const { name, marker, value } of MEMBERS) {
    const at = text.indexOf(marker);
    if (at < 0) continue;
    const rendered = value(columns);
    if (rendered === null) throw new Error(`its ${name} is kept in a column that is empty`);
    values.push([at, at + 1, rendered]);
  }
  return spliced(text, values);
}
