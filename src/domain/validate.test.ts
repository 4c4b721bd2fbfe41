import { describe, expect, it } from 'vitest';
import { VigilError } from './errors.js';
import { MAX_CHANGES, MAX_CONTEXT_KEYS, MAX_EVENT_BYTES } from './limits.js';
import { parseTimeMicros } from './time.js';
import { checkEventSize, joinPath, validateEvent } from './validate.js';

const NOW = parseTimeMicros('2026-11-21T15:00:00Z')!;

/** The DESIGN.md §2 example, as a producer sends it. */
function fullEvent(): Record<string, unknown> {
  return {
    id: '0193a5d2-7c1e-7b3a-9f00-1234567890ab',
    tenant: 'acme',
    log: 'audit',
    action: 'secret.read',
    category: 'secrets',
    occurred_at: '2026-11-21T14:30:00.123456Z',
    actor: { type: 'user', id: 'u_123', name: 'Alice', email: 'alice@acme.example' },
    resource: { type: 'secret', id: 'sec_9', name: 'DB_PASSWORD', path: 'prod/db/password' },
    source: 'dashboard',
    service: 'github',
    environment: 'production',
    outcome: { success: true, status: 200, error_code: null, reason: null },
    request: { id: 'req_1', method: 'GET', path: '/v1/secrets/prod/db/password', duration_ms: 12.5 },
    client: { ip: '203.0.113.9', user_agent: 'Mozilla/5.0 ...' },
    session_id: 's_1',
    changes: [{ field: 'rotation_days', old: 30, new: 90 }],
    context: { version: '3', rotation_reason: 'scheduled' },
  };
}

function minimal(): Record<string, unknown> {
  return { action: 'SECRET_READ', actor: { type: 'api_key', id: 'k_1' } };
}

function issuesOf(raw: unknown, path = ''): { path: string; message: string }[] {
  const result = validateEvent(raw, path, NOW);
  return 'issues' in result ? result.issues : [];
}

/** Deep-sets `path` (dotted, numeric parts are indexes) in a copy of the full event. */
function withField(path: string, value: unknown, base = fullEvent()): Record<string, unknown> {
  const parts = path.split('.');
  let node: Record<string, unknown> = base;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  const last = parts.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return base;
}

describe('validateEvent accepts', () => {
  it.each([
    ['the DESIGN.md example', fullEvent()],
    ['the minimal event', minimal()],
    ['an upper-case UUID of another version', { ...minimal(), id: 'F47AC10B-58CC-4372-A567-0E02B2C3D479' }],
    ['an offset time', { ...minimal(), occurred_at: '2026-11-21T16:30:00+02:00' }],
    ['a time just under a day ahead', { ...minimal(), occurred_at: '2026-11-22T14:59:59Z' }],
    ['an IPv6 client', { ...minimal(), client: { ip: '2001:db8::1' } }],
    ['an IPv4-mapped IPv6 client', { ...minimal(), client: { ip: '::ffff:203.0.113.9' } }],
    ['null outcome details', { ...minimal(), outcome: { success: false, status: null, error_code: null, reason: null } }],
    ['nested change values', { ...minimal(), changes: [{ field: 'tags', old: null, new: { a: [1, 'x', { b: true }] } }] }],
    ['a create change with only new', { ...minimal(), changes: [{ field: 'name', new: 'x' }] }],
    ['context with each primitive', { ...minimal(), context: { a: 'x', 'b.c': 1.5, 'd:e/f-g': false, empty: '' } }],
    ['an action with every allowed character', { ...minimal(), action: 'a-Z_0.9:/x' }],
    ['a lower-case method', { ...minimal(), request: { method: 'patch' } }],
    ['undefined optional fields', { ...minimal(), resource: undefined }],
  ])('%s', (_name, raw) => {
    expect(issuesOf(raw)).toEqual([]);
  });

  it('returns the input itself, typed', () => {
    const raw = fullEvent();
    expect(validateEvent(raw, '', NOW)).toEqual({ event: raw });
  });
});

describe('validateEvent refuses', () => {
  it.each([
    ['not an object', 'nope', 'event', 'must be a JSON object'],
    ['an array', [], 'event', 'must be a JSON object'],
    ['a missing action', { actor: { type: 'user', id: 'u' } }, 'action', 'is required'],
    ['a missing actor', { action: 'x' }, 'actor', 'is required'],
    ['an unknown top-level field', withField('colour', 'red'), 'colour', 'unknown field; allowed: id, tenant, log'],
    ['a server field', withField('seq', 3), 'seq', 'is assigned by the server'],
    ['crud', withField('crud', 'read'), 'crud', 'is assigned by the server'],
    ['client.kind', withField('client.kind', 'cli'), 'client.kind', 'is assigned by the server'],
    ['an unknown nested field', withField('actor.department', 'x'), 'actor.department', 'unknown field; allowed: type, id, name, email'],
    ['a non-UUID id', withField('id', 'evt_1'), 'id', 'must be a UUID'],
    ['a UUID with junk', withField('id', '0193a5d2-7c1e-7b3a-9f00-1234567890abc'), 'id', 'must be a UUID'],
    ['an upper-case tenant', withField('tenant', 'Acme'), 'tenant', 'must be lowercase letters'],
    ['a reserved tenant', withField('tenant', '_platform'), 'tenant', 'must be lowercase letters'],
    ['a long tenant', withField('tenant', 'a'.repeat(64)), 'tenant', 'at most 63 characters (got 64)'],
    ['an unknown log', withField('log', 'debug'), 'log', 'must be one of audit, request, user, mcp'],
    ['an empty action', withField('action', ''), 'action', 'must not be empty'],
    ['an action with a space', withField('action', 'secret read'), 'action', 'must be letters, digits and _ . : / -'],
    ['a long action', withField('action', 'a'.repeat(129)), 'action', 'at most 128 characters (got 129)'],
    ['a numeric action', withField('action', 7), 'action', 'must be a string'],
    ['a category with a space', withField('category', 'my stuff'), 'category', 'must be letters, digits and _ . -'],
    ['a time without zone', withField('occurred_at', '2026-11-21T14:30:00'), 'occurred_at', 'RFC 3339 time with a zone'],
    ['an impossible date', withField('occurred_at', '2026-02-31T00:00:00Z'), 'occurred_at', 'RFC 3339'],
    ['a time two days ahead', withField('occurred_at', '2026-11-23T15:00:00Z'), 'occurred_at', 'more than 1 day in the future'],
    ['a time before 1970', withField('occurred_at', '1969-12-31T23:59:59Z'), 'occurred_at', 'before 1970'],
    ['a bad actor type', withField('actor.type', 'robot'), 'actor.type', 'must be one of user, service_account, api_key, agent, group, system, anonymous'],
    ['an empty actor id', withField('actor.id', ''), 'actor.id', 'must not be empty'],
    ['a long actor id', withField('actor.id', 'x'.repeat(257)), 'actor.id', 'at most 256 characters'],
    ['a bad email', withField('actor.email', 'alice'), 'actor.email', 'must be an email address'],
    ['a null actor name', withField('actor.name', null), 'actor.name', 'must be a string'],
    ['a resource without type', withField('resource.type', undefined), 'resource.type', 'is required'],
    ['a long resource path', withField('resource.path', 'p'.repeat(2049)), 'resource.path', 'at most 2048 characters'],
    ['a NUL in a name', withField('resource.name', 'a\u0000b'), 'resource.name', 'NUL characters'],
    ['an unpaired surrogate', withField('resource.name', 'a\uD800b'), 'resource.name', 'unpaired surrogates'],
    ['a bad source', withField('source', 'web'), 'source', 'must be one of dashboard, api, cli, sdk, agent, mcp_proxy, system'],
    ['an outcome without success', withField('outcome.success', undefined), 'outcome.success', 'is required'],
    ['a string success', withField('outcome.success', 'true'), 'outcome.success', 'must be true or false'],
    ['status 99', withField('outcome.status', 99), 'outcome.status', 'integer from 100 to 599'],
    ['status 600', withField('outcome.status', 600), 'outcome.status', 'integer from 100 to 599'],
    ['a fractional status', withField('outcome.status', 200.5), 'outcome.status', 'integer from 100 to 599'],
    ['a long reason', withField('outcome.reason', 'r'.repeat(1025)), 'outcome.reason', 'at most 1024 characters'],
    ['a method with a space', withField('request.method', 'GE T'), 'request.method', 'an HTTP method'],
    ['a negative duration', withField('request.duration_ms', -1), 'request.duration_ms', 'must be a number ≥ 0'],
    ['a bad IPv4', withField('client.ip', '203.0.113.256'), 'client.ip', 'IPv4 or IPv6'],
    ['a host name as IP', withField('client.ip', 'example.com'), 'client.ip', 'IPv4 or IPv6'],
    ['a CIDR as IP', withField('client.ip', '10.0.0.0/8'), 'client.ip', 'IPv4 or IPv6'],
    ['a long user agent', withField('client.user_agent', 'u'.repeat(1025)), 'client.user_agent', 'at most 1024'],
    ['changes not an array', withField('changes', {}), 'changes', 'must be an array'],
    ['a change without field', withField('changes', [{ new: 1 }]), 'changes[0].field', 'is required'],
    ['a change without old or new', withField('changes', [{ field: 'x' }]), 'changes[0]', 'must have old or new'],
    ['an unknown change key', withField('changes', [{ field: 'x', old: 1, value: 2 }]), 'changes[0].value', 'unknown field'],
    ['too many changes', withField('changes', Array.from({ length: MAX_CHANGES + 1 }, () => ({ field: 'f', new: 1 }))), 'changes', 'at most 200 entries (got 201)'],
    ['deep change values', withField('changes', [{ field: 'x', new: [[[[[[[[[1]]]]]]]]] }]), 'changes[0].new[0][0][0][0][0][0][0][0]', 'must not nest more than 8 levels'],
    ['a NUL inside a change value', withField('changes', [{ field: 'x', new: { 'a b': ['\u0000'] } }]), 'changes[0].new["a b"][0]', 'NUL characters'],
    ['context not an object', withField('context', ['a']), 'context', 'must be a JSON object'],
    ['a nested context value', withField('context', { a: { b: 1 } }), 'context.a', 'string, a finite number or a boolean'],
    ['a null context value', withField('context', { a: null }), 'context.a', 'string, a finite number or a boolean'],
    ['a context key with a space', withField('context', { 'a b': 1 }), 'context["a b"]', 'letters, digits'],
    ['a long context string', withField('context', { a: 'x'.repeat(1025) }), 'context.a', 'at most 1024 characters'],
    ['too many context keys', withField('context', Object.fromEntries(Array.from({ length: MAX_CONTEXT_KEYS + 1 }, (_, i) => [`k${i}`, i]))), 'context', 'at most 64 keys (got 65)'],
  ])('%s', (_name, raw, path, message) => {
    const issues = issuesOf(raw);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)!.message).toContain(message);
  });

  it('reports every problem, prefixed with the batch path', () => {
    const raw = { action: '', actor: { type: 'robot' }, extra: 1 };
    expect(issuesOf(raw, 'events[3]')).toEqual([
      { path: 'events[3].extra', message: expect.stringContaining('unknown field') },
      { path: 'events[3].action', message: 'must not be empty' },
      { path: 'events[3].actor.type', message: expect.stringContaining('must be one of user') },
      { path: 'events[3].actor.id', message: 'is required' },
    ]);
  });

  it('never echoes the value sent', () => {
    const secret = 'hunter2-hunter2';
    const raw = withField('actor.email', secret, withField('client.ip', secret, withField('log', secret)));
    expect(JSON.stringify(issuesOf(raw))).not.toContain(secret);
  });
});

describe('checkEventSize', () => {
  it('accepts an event at the limit and refuses one byte more', () => {
    const base = JSON.stringify({ ...minimal(), context: { pad: '' } }).length;
    const atLimit = { ...minimal(), context: { pad: 'x'.repeat(MAX_EVENT_BYTES - base) } };
    expect(checkEventSize(atLimit)).toBeUndefined();
    const over = { ...minimal(), context: { pad: 'x'.repeat(MAX_EVENT_BYTES - base + 1) } };
    const error = checkEventSize(over, 'events[2]');
    expect(error).toBeInstanceOf(VigilError);
    expect(error).toMatchObject({ code: 'VIGIL_ERR_TOO_LARGE', status: 413 });
    expect(error!.issues![0]!.path).toBe('events[2]');
  });

  it('counts UTF-8 bytes, not characters', () => {
    const euros = { ...minimal(), context: { pad: '€'.repeat(MAX_EVENT_BYTES / 3) } };
    expect(checkEventSize(euros)?.code).toBe('VIGIL_ERR_TOO_LARGE');
  });
});

describe('joinPath', () => {
  it.each([
    ['', 'actor', 'actor'],
    ['actor', 'id', 'actor.id'],
    ['changes', 2, 'changes[2]'],
    ['context', 'a.b', 'context["a.b"]'],
    ['', 'a b', '["a b"]'],
  ] as const)('%s + %s = %s', (base, key, expected) => {
    expect(joinPath(base, key)).toBe(expected);
  });
});
