import { describe, expect, it } from 'vitest';
import { DayRowsCache, type DayRows } from './day-rows-cache.js';

function rows(n: number, first = 1): DayRows {
  const valueIds = Float64Array.from({ length: n }, (_, i) => first + i);
  return { valueIds, counts: new Float64Array(n).fill(2), failures: new Float64Array(n) };
}

describe('DayRowsCache', () => {
  it('keeps days apart by tenant, dimension and day', () => {
    const cache = new DayRowsCache(100);
    cache.set(1, 3, 24, rows(2, 10));
    cache.set(2, 3, 24, rows(3, 20));
    cache.set(1, 4, 24, rows(1, 30));
    expect(cache.get(1, 3, 24)!.valueIds).toEqual(Float64Array.from([10, 11]));
    expect(cache.get(2, 3, 24)!.valueIds).toEqual(Float64Array.from([20, 21, 22]));
    expect(cache.get(1, 4, 24)!.valueIds).toEqual(Float64Array.from([30]));
    expect(cache.get(1, 3, 48)).toBeUndefined();
    expect(cache.size).toBe(6);
  });

  it('forgets a dropped day, and a day set again replaces it', () => {
    const cache = new DayRowsCache(100);
    cache.set(1, 3, 24, rows(5));
    cache.set(1, 3, 24, rows(2));
    expect(cache.size).toBe(2);
    cache.drop(1, 3, 24);
    cache.drop(1, 3, 48);
    expect(cache.get(1, 3, 24)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most its rows, letting the least recently read days go first', () => {
    const cache = new DayRowsCache(10);
    cache.set(1, 3, 0, rows(4));
    cache.set(1, 3, 24, rows(4));
    cache.get(1, 3, 0);
    cache.set(1, 3, 48, rows(4));
    expect(cache.size).toBe(8);
    expect(cache.get(1, 3, 24)).toBeUndefined();
    expect(cache.get(1, 3, 0)).toBeDefined();
    expect(cache.get(1, 3, 48)).toBeDefined();
    // A day larger than the whole bound is not kept, and evicts nothing.
    cache.set(1, 3, 72, rows(11));
    expect(cache.get(1, 3, 72)).toBeUndefined();
    expect(cache.size).toBe(8);
  });
});
