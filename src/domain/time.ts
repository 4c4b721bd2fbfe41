/**
 * Microsecond UTC times. Vigil keeps times as integer microseconds since the epoch (safe as a JS
 * number until the year 2255) and shows them as RFC 3339 strings with six fractional digits.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 / ISO 8601 time with a zone into microseconds; `null` when malformed. */
export function parseTimeMicros(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone!.toUpperCase()}`);
  if (Number.isNaN(ms)) return null;
  // Date.parse accepts 2026-02-31; reject dates that do not round-trip.
  const check = new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!));
  if (check.getUTCDate() !== +d! || check.getUTCMonth() !== +mo! - 1 || +h! > 23 || +mi! > 59 || +s! > 59) return null;
  const micros = Number(frac.padEnd(6, '0').slice(0, 6));
  return ms * 1000 + micros;
}

/** Formats microseconds as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const micros = String(us - ms * 1000).padStart(3, '0');
  return `${iso.slice(0, 23)}${micros}Z`;
}

/** The current time in microseconds (millisecond clock plus a sub-millisecond counter part). */
export function nowMicros(): number {
  const wall = Date.now() * 1000;
  const sub = Math.floor((performance.now() * 1000) % 1000);
  return wall + sub;
}

const RANGE = /^(\d+)(m|h|d)$/;
const UNIT_US: Record<string, number> = { m: 60e6, h: 3600e6, d: 86400e6 };

/** Parses a relative range such as `24h`, `7d`, `90d`, `15m` into a length in microseconds. */
export function parseRangeMicros(text: string): number | null {
  const m = RANGE.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  if (n <= 0 || n > 100_000) return null;
  return n * UNIT_US[m[2]!]!;
}
