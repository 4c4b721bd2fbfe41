import { describe, expect, it } from 'vitest';
import { VigilError } from '../domain/errors.js';
import { parseTimeMicros } from '../domain/time.js';
import { parseQuery, type RawQuery } from './parse-filters.js';
import { applyTrail } from './trails.js';

const NOW = parseTimeMicros('2026-11-21T15:00:00Z')!;

function issuesOf(raw: RawQuery): { path: string; message: string }[] {
  try {
    parseQuery(raw, NOW);
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('VIGIL_ERR_VALIDATION');
    return (err as VigilError).issues ?? [];
  }
  throw new Error('expected a validation error');
}

describe('parseQuery', () => {
  it('defaults to the newest 100 of everything', () => {
    expect(parseQuery({}, NOW)).toEqual({ filter: {}, order: 'desc', limit: 100 });
  });

  it('reads every filter of DESIGN §4', () => {
    const parsed = parseQuery(
      {
        from: '2026-11-21T14:25:00Z',
        to: '2026-11-21T15:35:00.5+01:00',
        log: 'audit,request',
        category: ['secrets', 'policy'],
        action: ['SECRET_SET', 'secret.*'],
        crud: 'create,update,delete',
        actor: 'api-key:ci',
        actor_id: 'u_1',
        actor_type: 'user',
        resource_type: 'secret',
        resource_id: 'sec_9',
        resource: 'DB_',
        path_prefix: 'prod/',
        source: 'agent,mcp_proxy',
        service: 'github',
        environment: 'production',
        success: 'false',
        status: '403,5xx',
        method: 'get',
        ip: '10.0.0.0/8',
        not_ip: '2001:db8::/32',
        request_id: 'req_1',
        session_id: 's_1',
        q: 'denied',
        limit: '50',
        order: 'asc',
        cursor: 'abc.def',
        tenant: 'acme',
      },
      NOW,
    );
    expect(parsed).toEqual({
      filter: {
        fromUs: parseTimeMicros('2026-11-21T14:25:00Z'),
        toUs: parseTimeMicros('2026-11-21T14:35:00.5Z'),
        log: ['audit', 'request'],
        category: ['policy', 'secrets'],
        action: ['SECRET_SET'],
        actionPrefix: ['secret.'],
        crud: ['create', 'delete', 'update'],
        actor: ['api-key:ci'],
        actorId: ['u_1'],
        actorType: ['user'],
        resourceType: ['secret'],
        resourceId: ['sec_9'],
        resource: 'DB_',
        pathPrefix: 'prod/',
        source: ['agent', 'mcp_proxy'],
        service: ['github'],
        environment: ['production'],
        success: false,
        status: [403],
        statusClass: [5],
        method: ['GET'],
        ip: [{ lo: '00000000000000000000ffff0a000000', hi: '00000000000000000000ffff0affffff' }],
        notIp: [{ lo: '20010db8000000000000000000000000', hi: '20010db8ffffffffffffffffffffffff' }],
        requestId: ['req_1'],
        sessionId: ['s_1'],
        q: 'denied',
      },
      order: 'asc',
      limit: 50,
      cursor: 'abc.def',
      tenant: 'acme',
    });
  });

  it('maps relative ranges from now and keeps the range as written', () => {
    const parsed = parseQuery({ range: '7d' }, NOW);
    expect(parsed.filter.fromUs).toBe(NOW - 7 * 86_400_000_000);
    expect(parsed.range).toBe('7d');
    expect(parseQuery({ range: '15m' }, NOW).filter.fromUs).toBe(NOW - 15 * 60_000_000);
  });

  it('accepts the seed products\' parameter names as aliases', () => {
    const parsed = parseQuery({ identity_id: 'u_1', identity_type: 'service_account', source_ip: '203.0.113.9' }, NOW);
    expect(parsed.filter.actorId).toEqual(['u_1']);
    expect(parsed.filter.actorType).toEqual(['service_account']);
    const key = '00000000000000000000ffffcb007109';
    expect(parsed.filter.ip).toEqual([{ lo: key, hi: key }]);
  });

  it('treats IPv4 and its IPv4-mapped IPv6 form alike', () => {
    const a = parseQuery({ ip: '192.168.1.0/24' }, NOW).filter.ip;
    const b = parseQuery({ ip: '::ffff:192.168.1.0/120' }, NOW).filter.ip;
    expect(a).toEqual(b);
  });

  it('normalises lists so that equal queries are equal', () => {
    expect(parseQuery({ action: 'b,a,a' }, NOW)).toEqual(parseQuery({ action: ['a', 'b'] }, NOW));
  });

  it('names unknown parameters', () => {
    expect(issuesOf({ actorr: 'x', limt: '5' })).toEqual([{ path: 'actorr, limt', message: 'unknown query parameters' }]);
  });

  it.each([
    ['from', { from: 'yesterday' }],
    ['to', { to: '2026-13-01T00:00:00Z' }],
    ['range', { range: '7w' }],
    ['range', { range: '7d', from: '2026-11-21T14:25:00Z' }],
    ['to', { from: '2026-11-21T15:00:00Z', to: '2026-11-21T14:00:00Z' }],
    ['log', { log: 'audit,debug' }],
    ['crud', { crud: 'erase' }],
    ['actor_type', { actor_type: 'robot' }],
    ['source', { source: 'fax' }],
    ['success', { success: 'yes' }],
    ['status', { status: '999' }],
    ['status', { status: '6xx' }],
    ['method', { method: 'G E T' }],
    ['ip', { ip: '10.0.0.300' }],
    ['ip', { ip: '10.0.0.0/33' }],
    ['not_ip', { not_ip: 'example.com' }],
    ['limit', { limit: '0' }],
    ['limit', { limit: '1001' }],
    ['limit', { limit: '10.5' }],
    ['order', { order: 'newest' }],
    ['action', { action: 'secret.*.read' }],
    ['action', { action: '*' }],
    ['actor', { actor: '' }],
    ['category', { category: 'a,,b' }],
    ['q', { q: ['a', 'b'] }],
    ['resource', { resource: 'x'.repeat(3000) }],
    ['actor_id', { actor_id: Array.from({ length: 101 }, (_, i) => `u${i}`) }],
  ])('refuses a bad %s', (param, raw) => {
    const issues = issuesOf(raw as RawQuery);
    expect(issues.map((i) => i.path)).toContain(param);
  });

  it('reports every bad parameter at once', () => {
    expect(issuesOf({ limit: 'x', order: 'y', success: 'z' }).map((i) => i.path)).toEqual(['limit', 'order', 'success']);
  });
});

describe('applyTrail', () => {
  const base = parseQuery({ action: 'read' }, NOW);

  it('narrows to one secret by path or name', () => {
    expect(applyTrail(base, { kind: 'secret', path: 'prod/db/password' }).filter).toEqual({
      action: ['read'],
      resourceType: ['secret'],
      resourcePath: ['prod/db/password'],
    });
  });

  it('narrows to one resource', () => {
    expect(applyTrail(base, { kind: 'resource', type: 'project', id: 'p_1' }).filter).toMatchObject({
      resourceType: ['project'],
      resourceId: ['p_1'],
    });
  });

  it('matches an identity by id, or by id or alias when it is an email', () => {
    expect(applyTrail(base, { kind: 'identity', identity: 'user:u_1' }).filter).toMatchObject({
      actorType: ['user'],
      actorId: ['u_1'],
    });
    expect(applyTrail(base, { kind: 'identity', identity: 'user:person@acme.example' }).filter).toMatchObject({
      actorType: ['user'],
      actorIdOrAlias: ['person@acme.example'],
    });
  });

  it('refuses malformed identities and parameters the trail fixes', () => {
    expect(() => applyTrail(base, { kind: 'identity', identity: 'u_1' })).toThrow(/identity/);
    expect(() => applyTrail(base, { kind: 'identity', identity: 'robot:r1' })).toThrow(/actor type/);
    const withType = parseQuery({ resource_type: 'secret' }, NOW);
    expect(() => applyTrail(withType, { kind: 'secret', path: 'a' })).toThrow(/resource_type: is already fixed/);
  });
});
