/**
 * Microsecond UTC times. Vigil keeps times as integer microseconds since the epoch (safe as a JS
 * number until the year 2255) and shows them as RFC 3339 strings with six fractional digits.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** Days from 1970-01-01 to a proleptic Gregorian date, exact for every year (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Parses an RFC 3339 / ISO 8601 time with a zone into microseconds; `null` when malformed or not
 * a real date (2026-02-31, 24:00, a zone past ±23:59). Arithmetic rather than Date.parse: every
 * ingested event's time passes through here twice.
 */
export function parseTimeMicros(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  const zone = m[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const zoneHours = Number(zone.slice(1, 3));
    const zoneMinutes = Number(zone.slice(4, 6));
    if (zoneHours > 23 || zoneMinutes > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  const micros = Number((m[7] ?? '').padEnd(6, '0').slice(0, 6));
  return seconds * 1_000_000 + micros;
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
