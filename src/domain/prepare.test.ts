import { createHmac } from 'node:crypto';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.js';
import type { EventInput } from './event.js';
import { idempotentEventId, prepareEvent, type PrepareContext } from './prepare.js';
import { extendRules, DEFAULT_RULES } from './redaction.js';
import { parseTimeMicros } from './time.js';

const NOW = parseTimeMicros('2026-11-21T15:00:00.000001Z')!;
const KEY = new TextEncoder().encode('acme-key');
const CTX: PrepareContext = { tenant: 'acme', redactionKey: KEY, nowUs: NOW, id: '0193a5d2-7c1e-7b3a-9f00-1234567890ab' };

function minimal(extra: Partial<EventInput> = {}): EventInput {
  return { action: 'SECRET_READ', actor: { type: 'api_key', id: 'k_1', name: 'deploy-bot' }, ...extra };
}

describe('prepareEvent', () => {
  it('prepares the DESIGN.md example', () => {
    const input: EventInput = {
      id: '0193A5D2-7C1E-7B3A-9F00-1234567890AB',
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
      request: { id: 'req_1', method: 'get', path: '/v1/secrets/prod/db/password', duration_ms: 12.5 },
      client: { ip: '203.0.113.9', user_agent: 'curl/8.5.0' },
      session_id: 's_1',
      changes: [{ field: 'rotation_days', old: 30, new: 90 }],
      context: { version: '3', rotation_reason: 'scheduled' },
    };
    expect(prepareEvent(input, { ...CTX, id: undefined })).toStrictEqual({
      id: '0193a5d2-7c1e-7b3a-9f00-1234567890ab',
      tenant: 'acme',
      log: 'audit',
      action: 'secret.read',
      category: 'secrets',
      crud: 'read',
      occurred_at: '2026-11-21T14:30:00.123456Z',
      actor: { type: 'user', id: 'u_123', name: 'Alice', email: 'alice@acme.example' },
      resource: { type: 'secret', id: 'sec_9', name: 'DB_PASSWORD', path: 'prod/db/password' },
      source: 'dashboard',
      service: 'github',
      environment: 'production',
      outcome: { success: true, status: 200 },
      request: { id: 'req_1', method: 'GET', path: '/v1/secrets/prod/db/password', duration_ms: 12.5 },
      client: { ip: '203.0.113.9', user_agent: 'curl/8.5.0', kind: 'cli', name: 'CLI (curl 8.5)' },
      session_id: 's_1',
      changes: [{ field: 'rotation_days', old: 30, new: 90 }],
      context: { version: '3', rotation_reason: 'scheduled' },
    });
  });

  it('fills defaults for a minimal event', () => {
    expect(prepareEvent(minimal(), CTX)).toStrictEqual({
      id: CTX.id,
      tenant: 'acme',
      log: 'audit',
      action: 'SECRET_READ',
      category: 'secrets',
      crud: 'read',
      occurred_at: '2026-11-21T15:00:00.000001Z',
      actor: { type: 'api_key', id: 'k_1', name: 'deploy-bot' },
      outcome: { success: true },
    });
  });

  it.each([
    ['ctx.id over input.id', { id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' }, 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'],
    ['input.id lower-cased', { id: 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA' }, undefined, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'],
  ])('takes the id: %s', (_name, extra, ctxId, expected) => {
    expect(prepareEvent(minimal(extra), { ...CTX, id: ctxId }).id).toBe(expected);
  });

  it('generates a UUIDv7 at the current time when no id is given', () => {
    const id = prepareEvent(minimal(), { ...CTX, id: undefined }).id;
    expect(isUuid(id) && uuidVersion(id)).toBe(7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Math.floor(NOW / 1000));
  });

  it.each([
    ['USER_LOGIN', undefined, undefined, { log: 'user', category: 'auth', crud: 'other' }],
    ['mcp.tools.call', undefined, undefined, { log: 'mcp', category: 'mcp', crud: 'other' }],
    ['SECRET_SET', 'request', 'billing', { log: 'request', category: 'secrets', crud: 'update' }],
    ['widget.polished', undefined, 'Widgets', { log: 'audit', category: 'widgets', crud: 'other' }],
    ['widget.polished', undefined, undefined, { log: 'audit', category: 'other', crud: 'other' }],
  ] as const)('classifies %s (log %s, category %s)', (action, log, category, expected) => {
    const input = minimal({ action, ...(log && { log }), ...(category && { category }) });
    expect(prepareEvent(input, CTX)).toMatchObject(expected);
  });

  it.each([
    ['2026-11-21T16:30:00.5+02:00', '2026-11-21T14:30:00.500000Z'],
    ['2026-11-21t14:30:00z', '2026-11-21T14:30:00.000000Z'],
    ['2026-11-21T14:30:00.123456789Z', '2026-11-21T14:30:00.123456Z'],
  ])('normalises occurred_at %s', (sent, stored) => {
    expect(prepareEvent(minimal({ occurred_at: sent }), CTX).occurred_at).toBe(stored);
  });

  it('describes the client and lower-cases IPv6', () => {
    const client = { ip: '2001:DB8::1', user_agent: 'mcp-client/1.0 python' };
    expect(prepareEvent(minimal({ client }), CTX).client).toStrictEqual({
      ip: '2001:db8::1',
      user_agent: 'mcp-client/1.0 python',
      kind: 'mcp',
      name: 'MCP / Python',
    });
  });

  it('drops empty parts', () => {
    const input = minimal({ request: {}, client: {}, context: {}, changes: [], outcome: { success: false, status: null, error_code: null, reason: null } });
    expect(prepareEvent(input, CTX)).toStrictEqual({ ...prepareEvent(minimal(), CTX), outcome: { success: false } });
  });

  it('gives equal inputs byte-identical canonical JSON', () => {
    const a = minimal({ outcome: { success: true, status: 200, reason: null }, context: { b: 1, a: 'x' } });
    const b: EventInput = {
      context: { a: 'x', b: 1 },
      outcome: { status: 200, success: true },
      actor: { name: 'deploy-bot', id: 'k_1', type: 'api_key' },
      action: 'SECRET_READ',
    };
    expect(canonicalJson(prepareEvent(a, CTX))).toBe(canonicalJson(prepareEvent(b, CTX)));
  });

  it('is deterministic', () => {
    const input = minimal({ client: { user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' }, context: { password: 'p' } });
    expect(prepareEvent(input, CTX)).toStrictEqual(prepareEvent(structuredClone(input), CTX));
  });

  it('redacts and lists what it redacted', () => {
    const input = minimal({ context: { password: 'hunter2', note: 'ok' }, outcome: { success: false, reason: 'bad token ghp_x7Kq2mNp9Rt4Wv6Yb8Zc1Df3Gh5Jk7Lm9Np1' } });
    const event = prepareEvent(input, CTX);
    const mark = (kind: string, v: string) => `[REDACTED:${kind}:${createHmac('sha256', KEY).update(v).digest('hex').slice(0, 8)}]`;
    expect(event.context).toEqual({ password: mark('password', 'hunter2'), note: 'ok' });
    expect(event.outcome.reason).toBe(`bad token ${mark('github_token', 'ghp_x7Kq2mNp9Rt4Wv6Yb8Zc1Df3Gh5Jk7Lm9Np1')}`);
    expect(event.redactions).toEqual(['outcome.reason', 'context.password']);
    expect(JSON.stringify(event)).not.toContain('hunter2');
  });

  it('describes the user agent before redacting it', () => {
    const event = prepareEvent(minimal({ client: { user_agent: 'curl/8.5.0 token=abc123' } }), CTX);
    expect(event.client?.name).toBe('CLI (curl 8.5)');
    expect(event.client?.user_agent).toMatch(/^curl\/8\.5\.0 token=\[REDACTED:secret:[0-9a-f]{8}\]$/);
    expect(event.redactions).toEqual(['client.user_agent']);
  });

  it('uses the rules given', () => {
    const rules = extendRules(DEFAULT_RULES, { sensitiveWords: ['pin'] });
    expect(prepareEvent(minimal({ context: { pin: '1234' } }), { ...CTX, rules }).redactions).toEqual(['context.pin']);
    expect(prepareEvent(minimal({ context: { pin: '1234' } }), CTX).redactions).toBeUndefined();
  });

  it('does not modify the input', () => {
    const input = minimal({ request: { method: 'post' }, context: { token: 't' } });
    const copy = structuredClone(input);
    prepareEvent(input, CTX);
    expect(input).toStrictEqual(copy);
  });

  it('refuses an event naming another tenant', () => {
    expect(() => prepareEvent(minimal({ tenant: 'globex' }), CTX)).toThrowError(
      expect.objectContaining({ code: 'VIGIL_ERR_FORBIDDEN', status: 403 }),
    );
    expect(prepareEvent(minimal({ tenant: 'acme' }), CTX).tenant).toBe('acme');
  });
});

describe('idempotentEventId', () => {
  it('is a stable UUIDv5', () => {
    const id = idempotentEventId('acme', 'key-1', 0);
    expect(isUuid(id) && uuidVersion(id)).toBe(5);
    expect(idempotentEventId('acme', 'key-1', 0)).toBe(id);
  });

  it.each([
    ['another tenant', ['globex', 'key-1', 0]],
    ['another key', ['acme', 'key-2', 0]],
    ['another index', ['acme', 'key-1', 1]],
    ['a shifted boundary', ['acme', 'key-1', 10]],
  ] as const)('differs for %s', (_name, [tenant, key, index]) => {
    expect(idempotentEventId(tenant, key, index)).not.toBe(idempotentEventId('acme', 'key-1', 0));
  });

  it('cannot be confused by separators in the key', () => {
    expect(idempotentEventId('acme', 'a",1', 0)).not.toBe(idempotentEventId('acme', 'a', 10));
  });
});
