/**
 * Field-by-field validation of the event a producer sends (DESIGN.md §2).
 *
 * Written as a few small checks rather than a generic JSON-schema run because every message must
 * name the field, the allowed values and the limit (`events[3].actor.type: must be one of user, …`).
 * Messages never echo the value that was sent: it may be a secret.
 */
import { isIP } from 'node:net';
import { validate as isUuid } from 'uuid';
import { TENANT_PATTERN } from './access.js';
import { VigilError, type FieldIssue } from './errors.js';
import { ACTOR_TYPES, LOGS, SOURCES, type EventInput } from './event.js';
import {
  MAX_ACTION_LENGTH,
  MAX_CATEGORY_LENGTH,
  MAX_CHANGE_DEPTH,
  MAX_CHANGES,
  MAX_CONTEXT_KEY_LENGTH,
  MAX_CONTEXT_KEYS,
  MAX_CONTEXT_STRING_LENGTH,
  MAX_EVENT_BYTES,
  MAX_FUTURE_SKEW_US,
  MAX_ID_LENGTH,
  MAX_METHOD_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PATH_LENGTH,
  MAX_REASON_LENGTH,
  MAX_USER_AGENT_LENGTH,
} from './limits.js';
import { nowMicros, parseTimeMicros } from './time.js';

/** Actions and context keys: letters, digits and `_ . : / -`. */
const ACTION_PATTERN = /^[A-Za-z0-9_.:/-]+$/;
const CATEGORY_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** An HTTP method is an RFC 9110 token. */
const METHOD_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
/** NUL and unpaired surrogates cannot be stored by PostgreSQL nor encoded as UTF-8. */
const ILL_FORMED = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Fields the server fills in; sending them is an error rather than silently ignored. */
const SERVER_ASSIGNED = ['seq', 'received_at', 'crud', 'redactions', 'leaf_hash'];

/** `base.key`, `base[3]`, or `base["odd key"]`; the root is the empty string. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

/** What every check gets: where to report, and the clock for "not in the future". */
interface Run {
  issues: FieldIssue[];
  nowUs: number;
}

/** Checks one value that is present (not `undefined`) at `path`. */
type Check = (value: unknown, path: string, run: Run) => void;

interface Field {
  check: Check;
  required?: boolean;
}

function report(run: Run, path: string, message: string): void {
  run.issues.push({ path: path || 'event', message });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface TextRule {
  max: number;
  pattern?: RegExp;
  /** What the pattern means, for the message ("must be <expect>"). */
  expect?: string;
  allowEmpty?: boolean;
}

function text(rule: TextRule): Check {
  return (value, path, run) => {
    if (typeof value !== 'string') return report(run, path, 'must be a string');
    if (value.length === 0 && !rule.allowEmpty) return report(run, path, 'must not be empty');
    if (value.length > rule.max) {
      return report(run, path, `must be at most ${rule.max} characters (got ${value.length})`);
    }
    if (ILL_FORMED.test(value)) return report(run, path, 'must not contain NUL characters or unpaired surrogates');
    if (rule.pattern && !rule.pattern.test(value)) report(run, path, `must be ${rule.expect}`);
  };
}

function oneOf(values: readonly string[]): Check {
  return (value, path, run) => {
    if (typeof value !== 'string' || !values.includes(value)) {
      report(run, path, `must be one of ${values.join(', ')}`);
    }
  };
}

function integer(min: number, max: number): Check {
  return (value, path, run) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      report(run, path, `must be an integer from ${min} to ${max}`);
    }
  };
}

function nonNegative(value: unknown, path: string, run: Run): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    report(run, path, 'must be a number ≥ 0');
  }
}

function boolean(value: unknown, path: string, run: Run): void {
  if (typeof value !== 'boolean') report(run, path, 'must be true or false');
}

/** Accepts `null` as well as what `check` accepts. */
function nullable(check: Check): Check {
  return (value, path, run) => {
    if (value !== null) check(value, path, run);
  };
}

/** Checks an object's fields: unknown and server-assigned fields are named, required ones must be there. */
function object(shape: Record<string, Field>, serverAssigned: readonly string[] = []): Check {
  const allowed = Object.keys(shape).join(', ');
  const fields = Object.entries(shape);
  return (value, path, run) => {
    if (!isPlainObject(value)) return report(run, path, 'must be a JSON object');
    for (const key of Object.keys(value)) {
      if (serverAssigned.includes(key)) report(run, joinPath(path, key), 'is assigned by the server; do not send it');
      else if (!Object.hasOwn(shape, key)) report(run, joinPath(path, key), `unknown field; allowed: ${allowed}`);
    }
    for (const [key, field] of fields) {
      const child = value[key];
      if (child !== undefined) field.check(child, joinPath(path, key), run);
      else if (field.required) report(run, joinPath(path, key), 'is required');
    }
  };
}

function uuid(value: unknown, path: string, run: Run): void {
  if (typeof value !== 'string' || !isUuid(value)) report(run, path, 'must be a UUID (8-4-4-4-12 hex digits)');
}

function time(value: unknown, path: string, run: Run): void {
  const us = typeof value === 'string' ? parseTimeMicros(value) : null;
  if (us === null) return report(run, path, 'must be an RFC 3339 time with a zone, e.g. 2026-11-21T14:30:00.123456Z');
  if (us < 0) return report(run, path, 'must not be before 1970-01-01');
  if (us > run.nowUs + MAX_FUTURE_SKEW_US) report(run, path, 'must not be more than 1 day in the future');
}

function ipAddress(value: unknown, path: string, run: Run): void {
  if (typeof value !== 'string' || isIP(value) === 0) report(run, path, 'must be an IPv4 or IPv6 address');
}

function email(value: unknown, path: string, run: Run): void {
  const before = run.issues.length;
  text({ max: MAX_NAME_LENGTH })(value, path, run);
  if (run.issues.length === before && !EMAIL_PATTERN.test(value as string)) report(run, path, 'must be an email address');
}

const identifier = text({ max: MAX_ID_LENGTH });

/** A JSON value nested at most `MAX_CHANGE_DEPTH` levels (a scalar is depth 0). */
function changeValue(value: unknown, path: string, run: Run, depth = 0): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) report(run, path, 'must be a finite number');
    return;
  }
  if (typeof value === 'string') {
    if (ILL_FORMED.test(value)) report(run, path, 'must not contain NUL characters or unpaired surrogates');
    return;
  }
  if (!Array.isArray(value) && !isPlainObject(value)) return report(run, path, 'must be a JSON value');
  if (depth + 1 > MAX_CHANGE_DEPTH) return report(run, path, `must not nest more than ${MAX_CHANGE_DEPTH} levels`);
  const entries: [string | number, unknown][] = Array.isArray(value) ? [...value.entries()] : Object.entries(value);
  for (const [key, child] of entries) changeValue(child, joinPath(path, key), run, depth + 1);
}

const change = object({
  field: { check: identifier, required: true },
  old: { check: changeValue },
  new: { check: changeValue },
});

function changeEntry(value: unknown, path: string, run: Run): void {
  const before = run.issues.length;
  change(value, path, run);
  if (run.issues.length > before) return;
  const entry = value as Record<string, unknown>;
  if (entry['old'] === undefined && entry['new'] === undefined) report(run, path, 'must have old or new');
}

function changes(value: unknown, path: string, run: Run): void {
  if (!Array.isArray(value)) return report(run, path, 'must be an array');
  if (value.length > MAX_CHANGES) return report(run, path, `must have at most ${MAX_CHANGES} entries (got ${value.length})`);
  value.forEach((entry, i) => changeEntry(entry, joinPath(path, i), run));
}

const contextKey = text({
  max: MAX_CONTEXT_KEY_LENGTH,
  pattern: ACTION_PATTERN,
  expect: 'letters, digits and _ . : / -',
});
const contextString = text({ max: MAX_CONTEXT_STRING_LENGTH, allowEmpty: true });

function contextValue(value: unknown, path: string, run: Run): void {
  if (typeof value === 'string') return contextString(value, path, run);
  if (typeof value === 'boolean') return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  report(run, path, 'must be a string, a finite number or a boolean');
}

function context(value: unknown, path: string, run: Run): void {
  if (!isPlainObject(value)) return report(run, path, 'must be a JSON object');
  const keys = Object.keys(value);
  if (keys.length > MAX_CONTEXT_KEYS) return report(run, path, `must have at most ${MAX_CONTEXT_KEYS} keys (got ${keys.length})`);
  for (const key of keys) {
    const keyPath = joinPath(path, key);
    const before = run.issues.length;
    contextKey(key, keyPath, run);
    if (run.issues.length === before) contextValue(value[key], keyPath, run);
  }
}

const EVENT_SHAPE: Record<string, Field> = {
  id: { check: uuid },
  tenant: {
    check: text({ max: 63, pattern: TENANT_PATTERN, expect: 'lowercase letters, digits and _ . - starting with a letter or digit' }),
  },
  log: { check: oneOf(LOGS) },
  action: {
    required: true,
    check: text({ max: MAX_ACTION_LENGTH, pattern: ACTION_PATTERN, expect: 'letters, digits and _ . : / -' }),
  },
  category: {
    check: text({ max: MAX_CATEGORY_LENGTH, pattern: CATEGORY_PATTERN, expect: 'letters, digits and _ . -' }),
  },
  occurred_at: { check: time },
  actor: {
    required: true,
    check: object({
      type: { check: oneOf(ACTOR_TYPES), required: true },
      id: { check: identifier, required: true },
      name: { check: text({ max: MAX_NAME_LENGTH, allowEmpty: true }) },
      email: { check: email },
    }),
  },
  resource: {
    check: object({
      type: { check: identifier, required: true },
      id: { check: identifier },
      name: { check: text({ max: MAX_NAME_LENGTH, allowEmpty: true }) },
      path: { check: text({ max: MAX_PATH_LENGTH }) },
    }),
  },
  source: { check: oneOf(SOURCES) },
  service: { check: identifier },
  environment: { check: identifier },
  outcome: {
    check: object({
      success: { check: boolean, required: true },
      status: { check: nullable(integer(100, 599)) },
      error_code: { check: nullable(identifier) },
      reason: { check: nullable(text({ max: MAX_REASON_LENGTH, allowEmpty: true })) },
    }),
  },
  request: {
    check: object({
      id: { check: identifier },
      method: { check: text({ max: MAX_METHOD_LENGTH, pattern: METHOD_PATTERN, expect: 'an HTTP method such as GET' }) },
      path: { check: text({ max: MAX_PATH_LENGTH }) },
      duration_ms: { check: nonNegative },
    }),
  },
  client: {
    check: object(
      {
        ip: { check: ipAddress },
        user_agent: { check: text({ max: MAX_USER_AGENT_LENGTH, allowEmpty: true }) },
      },
      ['kind', 'name'],
    ),
  },
  session_id: { check: identifier },
  changes: { check: changes },
  context: { check: context },
};

const checkEvent = object(EVENT_SHAPE, SERVER_ASSIGNED);

/**
 * Validates one event. `path` prefixes every issue (`events[3]`); `nowUs` is the clock used to
 * refuse times more than a day ahead. On success the input is returned unchanged, typed.
 */
export function validateEvent(
  raw: unknown,
  path = '',
  nowUs: number = nowMicros(),
): { event: EventInput } | { issues: FieldIssue[] } {
  const run: Run = { issues: [], nowUs };
  checkEvent(raw, path, run);
  return run.issues.length > 0 ? { issues: run.issues } : { event: raw as EventInput };
}

/** A 413 when the event's compact JSON is over `MAX_EVENT_BYTES`; otherwise `undefined`. */
export function checkEventSize(raw: unknown, path = ''): VigilError | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(raw) ?? '', 'utf8');
  if (bytes <= MAX_EVENT_BYTES) return undefined;
  const message = `event is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}`;
  return new VigilError('VIGIL_ERR_TOO_LARGE', `${path || 'event'}: ${message}`, [{ path: path || 'event', message }]);
}
