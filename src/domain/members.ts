/**
 * `object` without the members whose value `drop` refuses, keys in their order; `undefined` when
 * nothing is left. A loop rather than `fromEntries(entries().filter())`: ingest calls it several
 * times for every event, and the loop costs a fraction of the intermediate arrays.
 */
export function keptMembers<T extends object>(object: T, drop: (value: unknown) => boolean): T | undefined {
  const out: Record<string, unknown> = {};
  let kept = false;
  for (const key of Object.keys(object)) {
    const value = (object as Record<string, unknown>)[key];
    if (drop(value)) continue;
    out[key] = value;
    kept = true;
  }
  return kept ? (out as T) : undefined;
}
