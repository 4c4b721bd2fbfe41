import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import { VigilError } from './errors.js';
import type { CursorPosition, Order } from './filter.js';

/**
 * Opaque keyset cursors: `base64url(payload) "." base64url(HMAC-SHA256(cursorKey, payload))`.
 *
 * The payload binds the tenant, the order and a hash of the query the cursor continues, so a
 * cursor cannot be forged, nor replayed against another tenant or another query: a tenant that
 * obtains another tenant's cursor can page nothing with it.
 */

/** What a cursor carries from one page to the next. */
export interface CursorState {
  tenant: string;
  order: Order;
  /** `queryHash(...)` of the query that issued the cursor. */
  queryHash: string;
  /** The last event of the page. */
  position: CursorPosition;
  /** The time window of the first page, so that a relative range (`range=7d`) does not slide. */
  window: { fromUs?: number; toUs?: number };
}

interface Payload {
  v: 1;
  t: string;
  o: Order;
  h: string;
  p: [number, number];
  w: [number | null, number | null];
}

/** Hex SHA-256 of the canonical JSON of `query`: equal queries (as data) have equal hashes. */
export function queryHash(query: unknown): string {
  return createHash('sha256').update(canonicalJson(query), 'utf8').digest('hex');
}

export function encodeCursor(key: Uint8Array, state: CursorState): string {
  const payload: Payload = {
    v: 1,
    t: state.tenant,
    o: state.order,
    h: state.queryHash,
    p: [state.position.occurredUs, state.position.seq],
    w: [state.window.fromUs ?? null, state.window.toUs ?? null],
  };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/**
 * Decodes a cursor issued for exactly this tenant, order and query; anything else (tampered,
 * truncated, issued for another tenant or query) is VIGIL_ERR_BAD_CURSOR.
 */
export function decodeCursor(
  key: Uint8Array,
  text: string,
  expected: Pick<CursorState, 'tenant' | 'order' | 'queryHash'>,
): Pick<CursorState, 'position' | 'window'> {
  const [body, tag, extra] = text.split('.');
  if (!body || !tag || extra !== undefined) throw badCursor('cursor is malformed');
  const given = Buffer.from(tag, 'base64url');
  const wanted = mac(key, body);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    throw badCursor('cursor was not issued by this server or was altered');
  }
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
  if (payload.t !== expected.tenant || payload.o !== expected.order || payload.h !== expected.queryHash) {
    throw badCursor('cursor was issued for another query or tenant; send the same filters, order and tenant');
  }
  const [occurredUs, seq] = payload.p;
  const [fromUs, toUs] = payload.w;
  return {
    position: { occurredUs, seq },
    window: { ...(fromUs === null ? {} : { fromUs }), ...(toUs === null ? {} : { toUs }) },
  };
}

function mac(key: Uint8Array, body: string): Buffer {
  return createHmac('sha256', key).update(body, 'utf8').digest();
}

function badCursor(message: string): VigilError {
  return new VigilError('VIGIL_ERR_BAD_CURSOR', message);
}
