import canonicalizeModule from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.js';

// The RFC 8785 reference package (CommonJS, `module.exports = fn`, typed as an ES default export).
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

describe('canonicalJson (RFC 8785)', () => {
  // RFC 8785 §3.2.2 input (parsed from JSON text so number literals are read as a producer's would be).
  it('serialises the RFC example', () => {
    const input = JSON.parse(String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`);
    expect(canonicalJson(input)).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  // RFC 8785 §3.2.3: sorting by UTF-16 code units puts the emoji's surrogate pair before U+FB33.
  it('sorts keys by UTF-16 code units', () => {
    const input = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`);
    const text = canonicalJson(input);
    const order = ['Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh'];
    const positions = order.map((name) => text.indexOf(name));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(text.startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')).toBe(true);
  });

  // RFC 8785 Appendix B number samples.
  it.each([
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [-0, '0'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740992, '9007199254740992'],
    [295147905179352830000, '295147905179352830000'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
  ])('writes %d as %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it('gives equal objects equal text whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, 2] }, b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('drops undefined members', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it.each([[NaN], [Infinity], [undefined], [{ a: -Infinity }], [[1, NaN]]])('refuses %s', (value) => {
    expect(() => canonicalJson(value)).toThrow();
  });

  it('refuses a value that contains itself', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
  });

  // Strings mix escapes (quote, backslash, controls), lone and paired surrogates, U+2028, DEL
  // and non-ASCII; numbers include -0, exponents and the extremes of doubles.
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', '/', ' ', '"', '\\', '\n', '\t', '\b', '\u0000', '\u001f', '\u007f', 'é', '€', '\u2028', '\ufeff', '\ud800', '\udfff', '\ud83d\ude00') });
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 5 }),
    object: fc.dictionary(text, fc.option(tie('value'), { nil: undefined }), { maxKeys: 6 }),
  })).value;

  it('writes the same bytes as the RFC 8785 reference package, for any JSON value', () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 5000, seed: 8785 },
    );
  });
});
