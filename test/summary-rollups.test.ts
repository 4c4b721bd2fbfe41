/** The store-independent rollup pieces: how a range splits, and how a group's events become rows. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_US, HOUR_US, RollupDeltas, rollupSegments, splitEdges, type Interval } from '../src/store/rollups.js';
import { T0 } from './support/events.js';

/** Every piece, sorted, must tile [from, to) exactly. */
function tiles(pieces: Interval[], from: number, to: number): boolean {
  const sorted = [...pieces].sort((a, b) => a.fromUs - b.fromUs);
  let at = from;
  for (const p of sorted) {
    if (p.fromUs !== at || p.toUs <= p.fromUs) return false;
    at = p.toUs;
  }
  return at === to || (sorted.length === 0 && from === to);
}

describe('splitEdges and rollupSegments', () => {
  it('tile any range exactly with aligned rollup segments and edges shorter than two units in all', () => {
    const time = fc.integer({ min: T0, max: T0 + 40 * DAY_US });
    fc.assert(
      fc.property(time, time, fc.constantFrom('hour' as const, 'day' as const), (a, b, unit) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const { edges, middle } = splitEdges(from, to, unit);
        const size = unit === 'hour' ? HOUR_US : DAY_US;
        const segments = middle ? rollupSegments(middle, 'day') : [];
        expect(tiles([...edges, ...segments], from, to)).toBe(true);
        // The events read: less than a unit on each side, or less than two units in all.
        expect(edges.length).toBeLessThanOrEqual(2);
        expect(edges.reduce((n, e) => n + e.toUs - e.fromUs, 0)).toBeLessThan(2 * size);
        if (middle) for (const e of edges) expect(e.toUs - e.fromUs).toBeLessThan(size);
        for (const s of segments) {
          const span = s.span === 'day' ? DAY_US : HOUR_US;
          expect(s.fromUs % span).toBe(0);
          expect(s.toUs % span).toBe(0);
        }
        expect(segments.filter((s) => s.span === 'day').length).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('keeps a range inside one hour, or empty, out of rollups', () => {
    expect(splitEdges(T0 + 5, T0 + HOUR_US - 5, 'hour')).toEqual({ edges: [{ fromUs: T0 + 5, toUs: T0 + HOUR_US - 5 }], middle: null });
    expect(splitEdges(T0, T0, 'hour')).toEqual({ edges: [], middle: null });
    expect(splitEdges(T0, T0 + DAY_US, 'day')).toEqual({ edges: [], middle: { fromUs: T0, toUs: T0 + DAY_US } });
  });
});

describe('RollupDeltas', () => {
  it('sums a group into one row per tenant, span, bucket, dimension, value and log, and actor day rows of every log; no hour rows of resources', () => {
    const deltas = new RollupDeltas();
    const fact = (tsUs: number, success: boolean, resource: number | null, log: number) => ({ tenantId: 1, tsUs, log, success, values: [10, 20, 30, resource, null, null, null] });
    deltas.add(fact(T0 + 1, true, 40, 0));
    deltas.add(fact(T0 + 2, false, 40, 0));
    deltas.add(fact(T0 + HOUR_US, true, null, 2));
    const rows = [...deltas.rows()].map((r) => [r.span, (r.startHour * HOUR_US - T0) / HOUR_US, r.dim, r.valueId, r.log, r.count, r.failures]);
    expect(rows.sort()).toEqual(
      [
        // hour 0, log 0: total, action 10, category 20, actor 30 (resource 40 has day rows only)
        [1, 0, 0, 0, 0, 2, 1], [1, 0, 1, 10, 0, 2, 1], [1, 0, 2, 20, 0, 2, 1], [1, 0, 3, 30, 0, 2, 1],
        // hour 1, log 2
        [1, 1, 0, 0, 2, 1, 0], [1, 1, 1, 10, 2, 1, 0], [1, 1, 2, 20, 2, 1, 0], [1, 1, 3, 30, 2, 1, 0],
        // the day, per log
        [2, 0, 0, 0, 0, 2, 1], [2, 0, 1, 10, 0, 2, 1], [2, 0, 2, 20, 0, 2, 1], [2, 0, 3, 30, 0, 2, 1], [2, 0, 4, 40, 0, 2, 1],
        [2, 0, 0, 0, 2, 1, 0], [2, 0, 1, 10, 2, 1, 0], [2, 0, 2, 20, 2, 1, 0], [2, 0, 3, 30, 2, 1, 0],
        // the day of actor 30, every log added up (DAY_ALL_LOGS, log 0; actors only)
        [3, 0, 3, 30, 0, 3, 1],
      ].sort(),
    );
  });

  it('counts events and cells per tenant, gives the rows of some tenants, and moves or forgets tenants whole', () => {
    const fact = (tenantId: number, actor: number) => ({ tenantId, tsUs: T0, log: 0, success: true, values: [10, 20, actor, null, null, null, null] });
    const a = new RollupDeltas();
    a.add(fact(1, 30));
    a.add(fact(1, 31));
    a.add(fact(2, 30));
    // Tenant 1: total, action, category and two actors in one hour.
    expect([a.events, a.cells(1), a.cells(2), a.cells(3), a.cells()]).toEqual([3, 5, 4, 0, 9]);
    expect(new Set([...a.rows(new Set([2]))].map((r) => r.tenantId))).toEqual(new Set([2]));
    const b = new RollupDeltas();
    b.add(fact(2, 32));
    b.add(fact(3, 30));
    a.absorb(b, new Set([3]));
    expect([a.events, a.cells(2), a.cells(3)]).toEqual([4, 5, 0]);
    a.remove(new Set([1]));
    expect([a.events, a.cells(1), [...a.tenants()]]).toEqual([2, 0, [2]]);
  });
});
