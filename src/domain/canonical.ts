/**
 * RFC 8785 (JCS) canonical JSON: the exact bytes Vigil hashes and compares. Equal values always
 * give the same text: keys sorted by UTF-16 code units, numbers in ECMAScript's shortest form,
 * no whitespace.
 */
import canonicalizeModule from 'canonicalize';

// The package is CommonJS (`module.exports = fn`) but its types declare an ES default export, so
// under NodeNext TypeScript types the default import as the module; at run time it is the function.
const canonicalize = canonicalizeModule as unknown as typeof canonicalizeModule.default;

/** Canonical JSON of `value`; throws on values JSON cannot carry (undefined, NaN, Infinity). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}
