/** Timing helpers: percentiles, and repeated timed runs bounded in count and in time. */

/** The p-th percentile (nearest rank) of `values`, which need not be sorted; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Latency {
  p50: number;
  p95: number;
  /** Runs timed (after the warm-up). */
  runs: number;
}

export interface TimingOptions {
  /** Timed runs wanted. */
  runs: number;
  /** Stop early once this many milliseconds were spent timing (but time at least 3 runs). */
  budgetMs: number;
  /** Untimed runs first (caches, plans, connections). */
  warmup?: number;
}

/** Runs `fn` repeatedly, one call at a time, and gives the p50 and p95 of its durations in ms. */
export async function timeRuns(fn: () => Promise<unknown>, options: TimingOptions): Promise<Latency> {
  for (let i = 0; i < (options.warmup ?? 2); i++) await fn();
  const ms: number[] = [];
  const started = performance.now();
  while (ms.length < options.runs && (ms.length < 3 || performance.now() - started < options.budgetMs)) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), runs: ms.length };
}

/** Seconds since `start` (a `performance.now()` reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
