import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMicros, parseTimeMicros } from './time.js';

/** The same time through Date.parse, an independent implementation (milliseconds only). */
function viaDateParse(text: string): number {
  return Date.parse(text.replace(' ', 'T').replace(/\.\d+/, '').toUpperCase());
}

describe('parseTimeMicros', () => {
  it('reads UTC and offset times to the microsecond', () => {
    expect(parseTimeMicros('1970-01-01T00:00:00.000001Z')).toBe(1);
    expect(parseTimeMicros('1970-01-01T01:00:00+01:00')).toBe(0);
    expect(parseTimeMicros('1969-12-31T23:30:00-00:30')).toBe(0);
    expect(parseTimeMicros('2026-11-21T15:00:00.123456789z')).toBe(Date.UTC(2026, 10, 21, 15) * 1000 + 123_456);
    expect(parseTimeMicros('2026-11-21 15:00:00.5Z')).toBe(Date.UTC(2026, 10, 21, 15) * 1000 + 500_000);
  });

  it('counts leap days by the Gregorian rules', () => {
    expect(parseTimeMicros('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29) * 1000);
    expect(parseTimeMicros('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29) * 1000);
    expect(parseTimeMicros('2026-02-29T00:00:00Z')).toBeNull();
    expect(parseTimeMicros('1900-02-29T00:00:00Z')).toBeNull();
  });

  it('refuses dates, clock times and zones that do not exist', () => {
    for (const text of [
      '2026-02-31T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z',
      '2026-01-00T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:60:00Z', '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00-01:60', '2026-01-01T00:00:00', '2026-1-01T00:00:00Z', 'yesterday',
    ]) {
      expect(parseTimeMicros(text), text).toBeNull();
    }
  });

  it('reads the form Vigil writes exactly as the same time with its zone spelt +00:00', () => {
    // `…ffffffZ` takes a path of its own; every field just inside and just outside its range.
    const field = (max: number, width: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(width, '0'));
    const canonical = fc
      .tuple(field(9999, 4), field(13, 2), field(32, 2), field(24, 2), field(60, 2), field(60, 2), field(999_999, 6))
      .map(([y, mo, d, h, mi, s, f]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${f}Z`);
    fc.assert(
      fc.property(canonical, (text) => {
        expect(parseTimeMicros(text), text).toBe(parseTimeMicros(text.replace('Z', '+00:00')));
      }),
      { numRuns: 20_000 },
    );
    for (const text of ['2026-01-01T24:00:00.000000Z', '2026-13-01T00:00:00.000000Z', '2026-02-29T00:00:00.000000Z', '2026-01-01T00:00:60.000000Z', '2026-01-0aT00:00:00.000000Z']) {
      expect(parseTimeMicros(text), text).toBeNull();
    }
    expect(parseTimeMicros('2026-11-21T14:30:00.123456Z')).toBe(Date.UTC(2026, 10, 21, 14, 30) * 1000 + 123_456);
  });

  it('agrees with Date.parse on every valid time of a seeded sweep across years 0000 to 9999', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const pad = (value: number, width: number) => String(value).padStart(width, '0');
    let checked = 0;
    for (let i = 0; i < 20_000; i++) {
      const [year, month, day] = [next(10_000), 1 + next(12), 1 + next(31)];
      const zone = next(2) ? 'Z' : `${next(2) ? '+' : '-'}${pad(next(24), 2)}:${pad(next(60), 2)}`;
      const fraction = next(1_000_000);
      const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(next(24), 2)}:${pad(next(60), 2)}:${pad(next(60), 2)}.${pad(fraction, 6)}${zone}`;
      // Whether the day exists, asked of Date (setUTCFullYear, unlike Date.UTC, keeps years below 100).
      const calendar = new Date(0);
      calendar.setUTCFullYear(year, month - 1, day);
      if (calendar.getUTCDate() !== day) {
        expect(parseTimeMicros(text), text).toBeNull();
        continue;
      }
      expect(parseTimeMicros(text), text).toBe(viaDateParse(text) * 1000 + fraction);
      checked++;
    }
    expect(checked).toBeGreaterThan(19_000);
  });
});

describe('formatMicros', () => {
  it('writes six fractional digits in UTC and round-trips through parseTimeMicros', () => {
    const us = Date.UTC(2026, 10, 21, 15, 4, 5) * 1000 + 67;
    expect(formatMicros(us)).toBe('2026-11-21T15:04:05.000067Z');
    expect(parseTimeMicros(formatMicros(us))).toBe(us);
  });

  it('agrees with Date at every microsecond a number holds exactly (1685–2255)', () => {
    const viaDate = (us: number) => {
      const ms = Math.floor(us / 1000);
      return `${new Date(ms).toISOString().slice(0, 23)}${String(us - ms * 1000).padStart(3, '0')}Z`;
    };
    const [min, max] = [Date.UTC(1700, 0, 1) * 1000, Date.UTC(2255, 0, 1) * 1000];
    fc.assert(fc.property(fc.integer({ min, max }), (us) => formatMicros(us) === viaDate(us)), { numRuns: 20_000 });
    for (const us of [min, max, 0, -1, 951_782_400_000_000 /* 2000-02-29 */, 4_107_542_399_999_999 /* 2100-02-28T23:59:59.999999 */]) {
      expect(formatMicros(us)).toBe(viaDate(us));
    }
  });
});
