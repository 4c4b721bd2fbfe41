import canonicalizeModule from 'canonicalize';

// The package is CommonJS (`module.exports = fn`) but its typings declare an ES default export;
// under NodeNext the default import is the function itself at run time.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

/** RFC 8785 (JCS) canonical JSON of a JSON value. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}
