/**
 * Seeded randomness for the benchmark's data set: the same seed gives the same events, on any
 * machine, in any run.
 */

/** A source of numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: small, fast, and good enough to draw synthetic data from. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit hash of a few integers (FNV-1a over their bytes): stable per-entity traits without state. */
export function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    let v = part >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= v & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      v >>>= 8;
    }
  }
  return h >>> 0;
}

/** `n` lowercase hex digits derived from `parts` (ids that look random but are fixed). */
export function hexId(n: number, ...parts: number[]): string {
  let out = '';
  for (let i = 0; out.length < n; i++) out += hash32(...parts, i).toString(16).padStart(8, '0');
  return out.slice(0, n);
}

/** Index into a cumulative weight table by binary search. */
function search(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Draws 0..n-1 with Zipf(s) weights (rank 0 the busiest): a few busy entities and a long tail. */
export class Zipf {
  private readonly cumulative: Float64Array;
  readonly total: number;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) this.cumulative[k] = total += 1 / (k + 1) ** s;
    this.total = total;
  }

  /** The share of draws that land on `rank`. */
  share(rank: number): number {
    return 1 / (rank + 1) ** this.s / this.total;
  }

  draw(random: Random): number {
    return search(this.cumulative, random() * this.total);
  }
}

/** Draws one of several choices with fixed weights. */
export class Weighted<T> {
  private readonly cumulative: Float64Array;
  private readonly values: T[];

  constructor(choices: readonly (readonly [T, number])[]) {
    this.values = choices.map(([value]) => value);
    this.cumulative = new Float64Array(choices.length);
    let total = 0;
    choices.forEach(([, weight], i) => (this.cumulative[i] = total += weight));
  }

  draw(random: Random): T {
    return this.values[search(this.cumulative, random() * this.cumulative[this.cumulative.length - 1]!)]!;
  }
}

/** One element of `list`, uniformly. */
export function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}
