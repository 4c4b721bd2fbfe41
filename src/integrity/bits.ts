import { ProofError } from './errors.js';

/**
 * Bit arithmetic on tree sizes and indices, exact for every safe integer (below 2^53). JavaScript's
 * bitwise operators truncate to 32 bits, so none is used here: a shift right by n is a division
 * by 2^n rounded down, which doubles compute exactly.
 */

/** Throws unless `value` is an integer from 0 to 2^53 − 1. */
export function checkCount(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProofError(field, `must be an integer from 0 to 2^53 - 1, got ${value}`);
  }
}

/** `x >> n`. */
export function shiftRight(x: number, n: number): number {
  return Math.floor(x / 2 ** n);
}

/** Bit `n` of `x` (0 or 1). */
export function bitAt(x: number, n: number): number {
  return shiftRight(x, n) % 2;
}

/** Number of set bits. */
export function onesCount(x: number): number {
  let count = 0;
  for (let rest = x; rest > 0; rest = shiftRight(rest, 1)) count += rest % 2;
  return count;
}

/** Number of low zero bits of `x` > 0. */
export function trailingZeros(x: number): number {
  if (x <= 0) throw new RangeError(`trailingZeros of ${x}`);
  let count = 0;
  while (bitAt(x, count) === 0) count++;
  return count;
}

/** Bit length of `a XOR b`: the smallest n with `a >> n == b >> n`. */
export function differingBits(a: number, b: number): number {
  let n = 0;
  while (shiftRight(a, n) !== shiftRight(b, n)) n++;
  return n;
}

/** The largest power of two strictly below `n` (n ≥ 2): where RFC 9162 splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
