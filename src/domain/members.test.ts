import { describe, expect, it } from 'vitest';
import { keptMembers } from './members.js';

describe('keptMembers', () => {
  it('drops the members refused, keeps the rest in order, and leaves the input alone', () => {
    const input = { b: 1, a: undefined, c: null, d: 0, e: '' };
    expect(Object.entries(keptMembers(input, (v) => v === undefined)!)).toEqual([['b', 1], ['c', null], ['d', 0], ['e', '']]);
    expect(keptMembers(input, (v) => v === undefined || v === null)).toEqual({ b: 1, d: 0, e: '' });
    expect(input).toEqual({ b: 1, a: undefined, c: null, d: 0, e: '' });
  });

  it('is undefined when nothing is left', () => {
    expect(keptMembers({ a: undefined, b: null }, (v) => v == null)).toBeUndefined();
    expect(keptMembers({}, () => false)).toBeUndefined();
  });
});
