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
 * ingested event's time passes through here three times (validation, normalising, sequencing).
 */
export function parseTimeMicros(text: string): number | null {
  return parseCanonical(text) ?? parseAny(text);
}

/** The number written in digits at `text[from, to)`, or -1 if any is not a digit. */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the form Vigil writes (`formatMicros`) and most producers send,
 * read without the regular expression's match arrays; undefined for any other text, valid or not,
 * which `parseAny` then decides.
 */
function parseCanonical(text: string): number | undefined {
  if (text.length !== 27 || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.' || text[26] !== 'Z') {
    return undefined;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  const hour = digitsAt(text, 11, 13);
  const minute = digitsAt(text, 14, 16);
  const second = digitsAt(text, 17, 19);
  const micros = digitsAt(text, 20, 26);
  if (year < 0 || micros < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  return (daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) * 1_000_000 + micros;
}

/** Any RFC 3339 time with a zone (`parseTimeMicros`). */
function parseAny(text: string): number | null {
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

/** The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's civil_from_days). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day: dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1 };
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const DAY_MICROS = 86_400_000_000;

/** `YYYY-MM-DDT` of recent day numbers: a log's times fall on few days. */
const datePrefixes = new Map<number, string>();

function datePrefix(days: number): string {
  let prefix = datePrefixes.get(days);
  if (prefix === undefined) {
    const { year, month, day } = civilFromDays(days);
    prefix = `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T`;
    if (datePrefixes.size >= 4096) datePrefixes.clear();
    datePrefixes.set(days, prefix);
  }
  return prefix;
}

/**
 * Formats microseconds as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Arithmetic rather than a Date: every
 * event body read back from SQLite formats two times (body-members.ts).
 */
export function formatMicros(us: number): string {
  const days = Math.floor(us / DAY_MICROS);
  const ofDay = us - days * DAY_MICROS;
  const micros = ofDay % 1_000_000;
  const seconds = (ofDay - micros) / 1_000_000;
  const minutes = Math.floor(seconds / 60);
  return `${datePrefix(days)}${TWO_DIGITS[Math.floor(minutes / 60)]}:${TWO_DIGITS[minutes % 60]}:${TWO_DIGITS[seconds % 60]}.${String(micros).padStart(6, '0')}Z`;
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
