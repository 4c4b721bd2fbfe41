import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, queryHash, type CursorState } from './cursor.js';

const key = randomBytes(32);
const state: CursorState = {
  tenant: 'acme',
  order: 'desc',
  queryHash: queryHash({ filter: { action: ['secret.read'] } }),
  position: { occurredUs: 1_790_000_000_123_456, seq: 42 },
  window: { fromUs: 1_789_000_000_000_000 },
};
const expected = { tenant: state.tenant, order: state.order, queryHash: state.queryHash };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('cursor', () => {
  it('round-trips position and window', () => {
    const decoded = decodeCursor(key, encodeCursor(key, state), expected);
    expect(decoded).toEqual({ position: state.position, window: state.window });
  });

  it('hashes equal queries equally regardless of key order', () => {
    expect(queryHash({ a: 1, b: [2] })).toBe(queryHash({ b: [2], a: 1 }));
    expect(queryHash({ a: 1 })).not.toBe(queryHash({ a: 2 }));
  });

  it('refuses a cursor for another tenant, order or query', () => {
    const cursor = encodeCursor(key, state);
    for (const other of [
      { ...expected, tenant: 'globex' },
      { ...expected, order: 'asc' as const },
      { ...expected, queryHash: queryHash({ filter: {} }) },
    ]) {
      expect(() => decodeCursor(key, cursor, other)).toThrow(/another query or tenant/);
    }
  });

  it('refuses a forged payload, a cursor signed with another key, and garbage', () => {
    const cursor = encodeCursor(key, state);
    const [, tag] = cursor.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ v: 1, t: 'acme', o: 'desc', h: state.queryHash, p: [0, 0], w: [null, null] })).toString('base64url');
    expect(codeOf(() => decodeCursor(key, `${forgedBody}.${tag}`, expected))).toBe('VIGIL_ERR_BAD_CURSOR');
    expect(codeOf(() => decodeCursor(randomBytes(32), cursor, expected))).toBe('VIGIL_ERR_BAD_CURSOR');
    for (const junk of ['', 'abc', 'a.b.c', `${cursor}x`, '.']) {
      expect(codeOf(() => decodeCursor(key, junk, expected))).toBe('VIGIL_ERR_BAD_CURSOR');
    }
  });
});
