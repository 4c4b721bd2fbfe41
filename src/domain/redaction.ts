/**
 * Secret values never enter the log (DESIGN.md §2).
 *
 * Every free-text string of an event is checked before it is sealed. Two things are replaced by a
 * marker `[REDACTED:<kind>:<hmac8>]` (hmac8: the first 8 hex digits of HMAC-SHA256 under the
 * tenant's redaction key, so equal values correlate but none can be read back):
 *  - the whole value of a field whose *name* says it holds a secret (`context.api_token`,
 *    `changes[].new` when the change's field is `password`, keys of nested change objects);
 *  - any part of any string that *looks like* a credential (cloud keys, VCS and chat tokens, JWTs,
 *    PEM private keys, the password of a connection string, `password=…` assignments).
 * Only the secret part is replaced; the rest of the string stays readable.
 *
 * Identifiers the validator already constrained (id, tenant, log, action, category, times, types,
 * method, IP) are never touched: they cannot hold free text.
 */
import { createHmac } from 'node:crypto';
import { BoundedCache } from './bounded-cache.js';
import { keptMembers } from './members.js';
import type { Change, ContextValue, EventInput, JsonValue } from './event.js';
import { joinPath } from './validate.js';

/** A credential format that is recognised wherever it appears in a string. */
export interface CredentialPattern {
  /** Goes into the marker: `aws_access_key`, `jwt`, … */
  kind: string;
  /** Finds candidates. A named group `secret` limits the replacement to that part of the match. */
  pattern: RegExp;
  /** Further check of a candidate (`match` is the secret part, `text` the whole string). */
  accept?: (match: string, text: string) => boolean;
}

/** What counts as secret. `DEFAULT_RULES` is on by default; `extendRules` adds to it. */
export interface RedactionRules {
  /**
   * Words that make a field name sensitive wherever they occur in it, as whole words of the
   * name (`db_password`, `apiToken`, `X-Api-Key`); multi-word entries match consecutive words.
   */
  sensitiveWords: readonly string[];
  /** Endings that make a name describe a secret rather than hold one (`secret_name`, `token_expires_at`, `public_key`). */
  notSensitiveEndings: readonly string[];
  /** Credential formats recognised in any string. */
  patterns: readonly CredentialPattern[];
  /** In a sensitive field, values at least this long and this random are labelled `high_entropy`. */
  highEntropy: { minLength: number; minBitsPerChar: number };
}

/** The result of `redactEvent`: the event with markers, and the JSON paths that were changed. */
export interface Redacted<E> {
  event: E;
  redactions: string[];
}

const MARKER = /^\[REDACTED:[a-z0-9_]+:[0-9a-f]{8}\]$/;
const PASSWORD_WORDS = ['password', 'passwd', 'passphrase', 'pwd'];

function hasDigit(text: string): boolean {
  return /\d/.test(text);
}

/** A JWT's first part decodes to a JSON object naming its algorithm. */
function isJwtHeader(token: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/** A 40-character AWS secret key: mixed case (so not a hex SHA-1) in a string that speaks of AWS. */
function isAwsSecretKey(candidate: string, text: string): boolean {
  return /[A-Z]/.test(candidate) && /[a-z]/.test(candidate) && /[0-9/+]/.test(candidate) && /\baws|amazon|AKIA|ASIA/i.test(text);
}

export const DEFAULT_RULES: RedactionRules = {
  sensitiveWords: [
    'secret', 'value', 'password', 'passwd', 'passphrase', 'pwd', 'token', 'api_key', 'apikey', 'key',
    'private_key', 'client_secret', 'credential', 'auth', 'authorization', 'cookie', 'session_token',
    'signature', 'sig',
  ],
  notSensitiveEndings: [
    'id', 'ids', 'name', 'names', 'path', 'paths', 'type', 'kind', 'count', 'length', 'size', 'at', 'time',
    'date', 'day', 'days', 'hours', 'ttl', 'expiry', 'expires', 'expiration', 'version', 'status', 'state',
    'enabled', 'disabled', 'required', 'exists', 'present', 'fingerprint', 'prefix', 'suffix', 'last4',
    'hint', 'label', 'ref', 'method', 'provider', 'mode', 'scheme', 'strategy', 'policy', 'reason',
    'source', 'format', 'algorithm', 'alg', 'url', 'uri', 'endpoint', 'scope', 'scopes', 'rotation',
    'public_key', 'publickey',
  ],
  patterns: [
    { kind: 'private_key', pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g },
    { kind: 'jwt', pattern: /(?<![\w-])[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*(?![\w-])/g, accept: isJwtHeader },
    { kind: 'aws_access_key', pattern: /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g },
    { kind: 'aws_secret_key', pattern: /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, accept: isAwsSecretKey },
    { kind: 'github_token', pattern: /(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})/g },
    { kind: 'slack_token', pattern: /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}/g },
    { kind: 'slack_webhook', pattern: /hooks\.slack\.com\/services\/(?<secret>[A-Za-z0-9/]{20,})/g },
    { kind: 'stripe_key', pattern: /(?<![A-Za-z0-9])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})/g },
    { kind: 'google_api_key', pattern: /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/g },
    { kind: 'anthropic_key', pattern: /(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_-]{20,}/g },
    { kind: 'openai_key', pattern: /(?<![A-Za-z0-9])sk-(?!ant-)[A-Za-z0-9_-]{20,}/g, accept: hasDigit },
    { kind: 'dsn_password', pattern: /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:@/?#]*:(?<secret>[^\s@/?#]+)@/g },
    {
      kind: 'bearer_token',
      pattern: /\bauthorization"?\s*[:=]\s*"?(?:(?:Bearer|Basic|Digest|Token|Bot)\s+)?(?<secret>[^\s",;]+)/gi,
    },
    { kind: 'bearer_token', pattern: /\bBearer\s+(?<secret>[A-Za-z0-9._~+/-]{16,}=*)/gi, accept: hasDigit },
  ],
  highEntropy: { minLength: 32, minBitsPerChar: 3.5 },
};

/** `base` with extra words, endings and patterns. */
export function extendRules(base: RedactionRules, extra: Partial<Omit<RedactionRules, 'highEntropy'>>): RedactionRules {
  return {
    sensitiveWords: [...base.sensitiveWords, ...(extra.sensitiveWords ?? [])],
    notSensitiveEndings: [...base.notSensitiveEndings, ...(extra.notSensitiveEndings ?? [])],
    patterns: [...base.patterns, ...(extra.patterns ?? [])],
    highEntropy: base.highEntropy,
  };
}

/** `apiToken`, `X-API-Key`, `DB_PASSWORD` → `[api, token]`, `[x, api, key]`, `[db, password]`. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether `entry`'s words occur consecutively in `name` (a plural `s` is ignored). */
function containsWords(name: string[], entry: string[], at: number): boolean {
  return entry.every((word, i) => {
    const actual = name[at + i];
    return actual === word || actual === `${word}s`;
  });
}

/** The rules' word lists split into words once, not on every lookup. */
const splitRules = new WeakMap<RedactionRules, { sensitive: string[][]; endings: string[][] }>();

function ruleWords(rules: RedactionRules): { sensitive: string[][]; endings: string[][] } {
  let split = splitRules.get(rules);
  if (!split) {
    split = { sensitive: rules.sensitiveWords.map(words), endings: rules.notSensitiveEndings.map(words) };
    splitRules.set(rules, split);
  }
  return split;
}

/** Whether a field, context key or query parameter of this name holds a secret. */
export function isSensitiveName(name: string, rules: RedactionRules = DEFAULT_RULES): boolean {
  const nameWords = words(name);
  const { sensitive, endings } = ruleWords(rules);
  const endsSafely = endings.some(
    (tail) => tail.length <= nameWords.length && containsWords(nameWords, tail, nameWords.length - tail.length),
  );
  if (endsSafely) return false;
  return sensitive.some((entry) => nameWords.some((_, at) => containsWords(nameWords, entry, at)));
}

/** Shannon entropy in bits per character. */
function bitsPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const total = [...text].length;
  let bits = 0;
  for (const n of counts.values()) bits -= (n / total) * Math.log2(n / total);
  return bits;
}

/** A part of a string to replace. */
interface Span {
  start: number;
  end: number;
  kind: string;
}

/**
 * `password=…`, `"api_key": "…"`, `?token=…`: assignments whose name is sensitive. An HTTP auth
 * scheme before a bare value (`authorization=Basic …`) is not part of the secret.
 */
const ASSIGNMENT =
  /(?<![\w-])["']?(?<name>[A-Za-z_][\w.-]{0,63})["']?\s*(?:=|:(?=\s*["']))\s*(?:"(?<dq>[^"]*)"|'(?<sq>[^']*)'|(?:(?:Bearer|Basic|Digest|Token|Bot)\s+)?(?<bare>[^\s&;,#"']+))/dg;

/** A pattern compiled twice: `probe` (no flags added) answers "any match?" cheaply; `scan` has the `g` and `d` flags that finding spans needs. */
interface Scanner {
  probe: RegExp;
  scan: RegExp;
}

const scanners = new WeakMap<RegExp, Scanner>();

function scanner(pattern: RegExp): Scanner {
  let compiled = scanners.get(pattern);
  if (!compiled) {
    const flags = [...pattern.flags].filter((f) => f !== 'g' && f !== 'y').join('');
    compiled = { probe: new RegExp(pattern.source, flags), scan: new RegExp(pattern.source, [...new Set([...flags, 'g', 'd'])].join('')) };
    scanners.set(pattern, compiled);
  }
  return compiled;
}

/**
 * Every match of `pattern` in `text`. Most strings hold no credential: one `test` says so without
 * what `matchAll` costs on every call (a copy of the RegExp, an iterator, match indices).
 */
function matches(text: string, pattern: RegExp): IterableIterator<RegExpMatchArray> | readonly [] {
  const { probe, scan } = scanner(pattern);
  return probe.test(text) ? text.matchAll(scan) : [];
}

function patternSpans(text: string, rule: CredentialPattern): Span[] {
  const spans: Span[] = [];
  for (const match of matches(text, rule.pattern)) {
    const [start, end] = match.indices?.groups?.['secret'] ?? match.indices![0]!;
    const secret = text.slice(start, end);
    if (secret.length > 0 && (!rule.accept || rule.accept(secret, text))) spans.push({ start, end, kind: rule.kind });
  }
  return spans;
}

function assignmentSpans(text: string, rules: RedactionRules): Span[] {
  const spans: Span[] = [];
  for (const match of matches(text, ASSIGNMENT)) {
    const name = match.groups!['name']!;
    const groups = match.indices!.groups!;
    const range = groups['dq'] ?? groups['sq'] ?? groups['bare'];
    if (!range || range[0] === range[1] || !isSensitiveName(name, rules)) continue;
    spans.push({ start: range[0], end: range[1], kind: nameKind(name) });
  }
  return spans;
}

/** Sorted, with overlapping spans merged so that no part of a credential is left out. */
function mergeSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/**
 * Strings found free of credentials, per rule set. Most strings of an audit log repeat (names,
 * emails, paths, reasons, user agents), and scanning is the costliest step of ingest. Only clean
 * strings are remembered, so no credential is ever kept in memory beyond its own event.
 */
const cleanTexts = new WeakMap<RedactionRules, BoundedCache<string, true>>();
const CLEAN_TEXTS_MAX = 50_000;

/** Where the credentials in `text` are. */
function findCredentials(text: string, rules: RedactionRules): Span[] {
  let clean = cleanTexts.get(rules);
  if (!clean) cleanTexts.set(rules, (clean = new BoundedCache(CLEAN_TEXTS_MAX)));
  if (clean.get(text)) return [];
  const spans = mergeSpans([...rules.patterns.flatMap((rule) => patternSpans(text, rule)), ...assignmentSpans(text, rules)]);
  if (spans.length === 0) clean.set(text, true);
  return spans;
}

function nameKind(name: string): string {
  return words(name).some((w) => PASSWORD_WORDS.includes(w)) ? 'password' : 'secret';
}

function marker(kind: string, secret: string, key: Uint8Array): string {
  const hmac8 = createHmac('sha256', key).update(secret, 'utf8').digest('hex').slice(0, 8);
  return `[REDACTED:${kind}:${hmac8}]`;
}

function replaceSpans(text: string, spans: Span[], key: Uint8Array): string {
  let out = '';
  let from = 0;
  for (const span of spans) {
    out += text.slice(from, span.start) + marker(span.kind, text.slice(span.start, span.end), key);
    from = span.end;
  }
  return out + text.slice(from);
}

/** Every credential in `text` replaced by its marker; the rest unchanged. */
export function redactText(text: string, key: Uint8Array, rules: RedactionRules = DEFAULT_RULES): string {
  const spans = findCredentials(text, rules);
  return spans.length > 0 ? replaceSpans(text, spans, key) : text;
}

/** The marker kind for the whole value of a sensitive field. */
function wholeValueKind(value: string, fieldName: string, rules: RedactionRules): string {
  const found = findCredentials(value, rules)[0];
  if (found) return found.kind;
  const { minLength, minBitsPerChar } = rules.highEntropy;
  if (value.length >= minLength && !/\s/.test(value) && bitsPerChar(value) >= minBitsPerChar) return 'high_entropy';
  return nameKind(fieldName);
}

/** One walk over one event. `sensitiveName` is the name that made the current value secret, if any. */
interface Walk {
  key: Uint8Array;
  rules: RedactionRules;
  redactions: string[];
}

function redactString(value: string, path: string, sensitiveName: string | undefined, walk: Walk): string {
  if (value === '' || MARKER.test(value)) return value;
  const out =
    sensitiveName !== undefined
      ? marker(wholeValueKind(value, sensitiveName, walk.rules), value, walk.key)
      : redactText(value, walk.key, walk.rules);
  if (out !== value) walk.redactions.push(path);
  return out;
}

/** The name a child inherits: its parent's when the parent was sensitive, else its own if sensitive. */
function childName(parent: string | undefined, own: string, rules: RedactionRules): string | undefined {
  return parent ?? (isSensitiveName(own, rules) ? own : undefined);
}

function redactJson(value: JsonValue, path: string, sensitiveName: string | undefined, walk: Walk): JsonValue {
  if (typeof value === 'string') return redactString(value, path, sensitiveName, walk);
  if (Array.isArray(value)) return value.map((item, i) => redactJson(item, joinPath(path, i), sensitiveName, walk));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, redactJson(v, joinPath(path, k), childName(sensitiveName, k, walk.rules), walk)]),
  );
}

function redactChange(change: Change, path: string, walk: Walk): Change {
  const name = childName(undefined, change.field, walk.rules);
  const out: Change = { ...change };
  if (change.old !== undefined) out.old = redactJson(change.old, joinPath(path, 'old'), name, walk);
  if (change.new !== undefined) out.new = redactJson(change.new, joinPath(path, 'new'), name, walk);
  return out;
}

function redactContext(context: Record<string, ContextValue>, walk: Walk): Record<string, ContextValue> {
  return Object.fromEntries(
    Object.entries(context).map(([k, v]) => {
      const path = joinPath('context', k);
      return [k, typeof v === 'string' ? redactString(v, path, childName(undefined, k, walk.rules), walk) : v];
    }),
  );
}

/** The listed free-text fields of a nested object, checked for credentials. */
function redactFields<T extends object>(object: T | undefined, base: string, fields: readonly string[], walk: Walk): T | undefined {
  if (object === undefined) return undefined;
  const out = { ...object } as Record<string, unknown>;
  for (const field of fields) {
    const value = out[field];
    if (typeof value === 'string') out[field] = redactString(value, joinPath(base, field), undefined, walk);
  }
  return out as T;
}

/** The parts of an event `redactEvent` looks at; both `EventInput` and `PreparedEvent` have them. */
export type RedactableEvent = Pick<
  EventInput,
  'actor' | 'resource' | 'service' | 'environment' | 'outcome' | 'request' | 'client' | 'session_id' | 'changes' | 'context'
>;

/** Drops keys whose value is `undefined`, so that the result's JSON equals its shape. */
function defined<T extends object>(object: T): T {
  return keptMembers(object, (value) => value === undefined) ?? ({} as T);
}

/**
 * The event with every secret replaced by a marker, and the JSON paths that were redacted, in
 * walk order. Pure: the input is not modified; the same event and key always give the same result.
 */
export function redactEvent<E extends RedactableEvent>(event: E, key: Uint8Array, rules: RedactionRules = DEFAULT_RULES): Redacted<E> {
  const walk: Walk = { key, rules, redactions: [] };
  const text = (value: string | undefined, path: string) =>
    value === undefined ? undefined : redactString(value, path, undefined, walk);
  const redacted = defined({
    ...event,
    actor: redactFields(event.actor, 'actor', ['id', 'name', 'email'], walk),
    resource: redactFields(event.resource, 'resource', ['id', 'name', 'path'], walk),
    service: text(event.service, 'service'),
    environment: text(event.environment, 'environment'),
    outcome: redactFields(event.outcome, 'outcome', ['error_code', 'reason'], walk),
    request: redactFields(event.request, 'request', ['id', 'path'], walk),
    client: redactFields(event.client, 'client', ['user_agent', 'name'], walk),
    session_id: text(event.session_id, 'session_id'),
    changes: event.changes?.map((change, i) => redactChange(change, joinPath('changes', i), walk)),
    context: event.context && redactContext(event.context, walk),
  });
  return { event: redacted, redactions: walk.redactions };
}
