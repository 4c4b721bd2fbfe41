import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PreparedEvent } from '../../domain/event.js';
import { presealEvent, sealEvent } from '../../domain/seal.js';
import { formatMicros } from '../../domain/time.js';
import { withMembers, withoutMembers, type BodyColumns } from './body-members.js';
import { uuidBytes } from './uuids.js';

const ID = '01a24c50-f1f7-7958-bb6e-d476b5bcffe6';
const TS = 1_786_000_000_123_456;
const columns: BodyColumns = { uidHex: uuidBytes(ID).toString('hex'), ts: TS, seq: 1, sessionId: 's_12_"u"', requestId: 'req_3ffb', receivedLagUs: 86_400_000_001 };
const event = {
  action: 'secret.read',
  actor: { id: 'u_1', type: 'user' },
  id: ID,
  occurred_at: formatMicros(TS),
  request: { id: 'req_3ffb', method: 'GET' },
  session_id: 's_12_"u"',
  tenant: 'acme',
} as unknown as PreparedEvent;

/** The canonical JSON `e` is stored and hashed as, with the seq and received_at of `c`. */
const sealed = (e: unknown, c: BodyColumns) => sealEvent(e as PreparedEvent, c.seq, c.ts + c.receivedLagUs!);

describe('withoutMembers / withMembers', () => {
  it("takes out the values the row's columns hold, one marker each, and puts them back byte for byte", () => {
    const stored = withoutMembers(presealEvent(event), columns);
    expect(stored).toBe(
      '{"action":"secret.read","actor":{"id":"u_1","type":"user"},"id":\x01,"occurred_at":\x02,"received_at":\x06,"request":{"id":\x05,"method":"GET"},"seq":\x03,"session_id":\x04,"tenant":"acme"}',
    );
    expect(withMembers(stored, columns)).toBe(sealed(event, columns));
  });

  it('leaves in what the columns do not render the same way, and what they do not hold', () => {
    const other = { ...event, id: ID.toUpperCase(), occurred_at: '2026-08-06T06:13:20Z', request: { method: 'GET' } } as PreparedEvent;
    const stored = withoutMembers(presealEvent(other), { ...columns, requestId: null });
    expect(stored).toContain(`"id":"${ID.toUpperCase()}"`);
    expect(stored).toContain('"occurred_at":"2026-08-06T06:13:20Z"');
    expect(withMembers(stored, { ...columns, requestId: null })).toBe(sealed(other, columns));
  });

  it('gives the same bytes back when the value also appears elsewhere: a nested id, seq or received_at', () => {
    const nested = { ...event, actor: { id: ID, type: 'user' }, context: { seq: 1, received_at: formatMicros(TS + 86_400_000_001) } } as PreparedEvent;
    const stored = withoutMembers(presealEvent(nested), columns);
    expect(stored).toContain('"actor":{"id":\x01');
    expect(stored).toContain(`"context":{"received_at":"${formatMicros(TS + 86_400_000_001)}","seq":1}`);
    expect(withMembers(stored, columns)).toBe(sealed(nested, columns));
  });

  it('keeps whole a body that holds a marker character, which canonical JSON never does', () => {
    const body = `{"id":"${ID}","reason":"\x04"}`;
    expect(withoutMembers(body, columns)).toBe(body);
  });

  it('names the member whose column is empty', () => {
    const stored = withoutMembers(presealEvent(event), columns);
    expect(() => withMembers(stored, { ...columns, sessionId: null })).toThrow('its session_id is kept in a column that is empty');
    expect(() => withMembers(stored, { ...columns, receivedLagUs: null })).toThrow('its received_at is kept in a column that is empty');
  });

  it('round-trips any presealed event with any columns, whether they match its members or not', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    const rowColumns = fc.record({
      seq: fc.nat(),
      sessionId: fc.option(text),
      requestId: fc.option(text),
      ts: fc.integer({ min: 0, max: 2 ** 50 }),
      receivedLagUs: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    });
    // Each member of the body: the column's value, something else, or absent.
    const member = <T>(same: T, other: fc.Arbitrary<unknown>) => fc.oneof(fc.constant(same), other, fc.constant(undefined));
    const body = (c: BodyColumns) =>
      fc.record({
        id: member(ID, text),
        occurred_at: member(formatMicros(c.ts), text),
        session_id: member(c.sessionId, text),
        request: fc.record({ id: member(c.requestId, text), seq: member(c.seq, fc.nat()) }),
        actor: fc.record({ id: member(c.requestId ?? ID, text) }),
        other: fc.jsonValue(),
      });
    fc.assert(
      fc.property(
        rowColumns.chain((picked) => {
          const c = { ...columns, ...picked };
          return fc.tuple(fc.constant(c), body(c));
        }),
        ([c, value]) => {
          const e = JSON.parse(JSON.stringify(value)) as PreparedEvent;
          expect(withMembers(withoutMembers(presealEvent(e), c), c)).toBe(sealed(e, c));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
