import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.js';
import type { PreparedEvent } from './event.js';
import { presealEvent, RECEIVED_MARKER, sealEvent, sealPresealed, SEQ_MARKER } from './seal.js';
import { formatMicros } from './time.js';

const RECEIVED_US = 1_764_590_400_123_456;

const event = {
  id: '0192f0c4-5b1e-7c3a-9d2f-3b4c5d6e7f80',
  tenant: 'acme',
  log: 'audit',
  action: 'secret.read',
  category: 'secret',
  crud: 'read',
  occurred_at: '2026-12-01T12:00:00.000001Z',
  actor: { type: 'user', id: 'u_1' },
  outcome: { success: true },
  request: { id: 'req_1', method: 'GET' },
  resource: { type: 'secret', id: 'db/password' },
  service: 'vault',
  session_id: 's_1',
  // Nested members named like the two sealed ones, with the values they will get.
  metadata: { seq: 7, received_at: formatMicros(RECEIVED_US), nested: { '"seq":': SEQ_MARKER } },
} as unknown as PreparedEvent;

/** What sealing must give: the canonical JSON of the event with its place in the log. */
function sealed(e: PreparedEvent, seq: number, receivedUs: number): string {
  return canonicalJson({ ...e, seq, received_at: formatMicros(receivedUs) });
}

describe('presealEvent / sealPresealed', () => {
  it('leave one marker where each of seq and received_at goes, whatever nested members are named', () => {
    const presealed = presealEvent(event);
    expect(presealed.split(SEQ_MARKER)).toHaveLength(2);
    expect(presealed.split(RECEIVED_MARKER)).toHaveLength(2);
    expect(presealed).toContain(`"received_at":${RECEIVED_MARKER},"request":`);
    expect(presealed).toContain(`"seq":${SEQ_MARKER},"service":`);
    expect(sealPresealed(presealed, 7, RECEIVED_US)).toBe(sealed(event, 7, RECEIVED_US));
  });

  it('give the canonical JSON of the sealed event when no member falls between the markers, or none after them', () => {
    const { request: _r, resource: _s, ...between } = event;
    const { service: _v, session_id: _i, tenant: _t, ...after } = event;
    for (const e of [between, after] as PreparedEvent[]) expect(sealEvent(e, 0, RECEIVED_US)).toBe(sealed(e, 0, RECEIVED_US));
  });

  it('give the canonical JSON of the sealed event for any members', () => {
    // Top-level keys around the split points ("received_at" < "request" < "seq" < "service"), and any others.
    const key = fc.oneof(fc.constantFrom('received', 'received_b', 'recei', 'se', 'seq_', 'sequence', 'r', 's', 'z', 'ζ', '', 'A'), fc.string());
    const value = fc.jsonValue().filter((v) => v !== undefined);
    fc.assert(
      fc.property(fc.dictionary(key, value), fc.nat(), fc.integer({ min: 0, max: 253_402_300_799_999_999 }), (members, seq, receivedUs) => {
        const e = members as unknown as PreparedEvent;
        expect(sealEvent(e, seq, receivedUs)).toBe(sealed(e, seq, receivedUs));
      }),
    );
  });

  it('replace a seq or received_at the event itself holds', () => {
    const e = { ...event, seq: 99, received_at: 'then' } as unknown as PreparedEvent;
    expect(sealEvent(e, 3, RECEIVED_US)).toBe(sealed(e, 3, RECEIVED_US));
  });
});
