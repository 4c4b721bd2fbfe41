/** `GET /v1/audit/summary` over real HTTP handling: the documented shape, permissions, tenants, refusals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './http-harness.js';

const alice = { type: 'user', id: 'u_alice', email: 'alice@acme.example' };
const ci = { type: 'api_key', id: 'k_ci', name: 'ci' };
const at = (minute: number) => new Date(Date.UTC(2026, 9, 1, 10, minute)).toISOString();
const RANGE = { from: '2026-10-01T09:00:00Z', to: '2026-10-01T12:00:00Z' };

let h: Harness;
let viewer: string;
let writer: string;

beforeAll(async () => {
  h = await startHarness();
  viewer = await h.key('viewer', 'acme');
  writer = await h.key('writer', 'acme');
  const acme = [
    ...Array.from({ length: 6 }, (_, i) => ({ action: 'secret.read', actor: alice, occurred_at: at(i) })),
    ...Array.from({ length: 3 }, (_, i) => ({
      action: 'secret.read',
      actor: ci,
      occurred_at: at(70 + i),
      outcome: { success: false, status: 403, reason: 'time_window' },
    })),
    { action: 'policy.denied', actor: ci, occurred_at: at(75), outcome: { success: false, status: 403 } },
  ];
  expect((await h.send(writer, { events: acme })).statusCode).toBe(201);
  const globex = Array.from({ length: 4 }, (_, i) => ({ action: 'secret.read', actor: alice, occurred_at: at(i) }));
  expect((await h.send(await h.key('writer', 'globex'), { events: globex })).statusCode).toBe(201);
});

afterAll(async () => h?.close());

describe('GET /v1/audit/summary', () => {
  it('answers the documented shape', async () => {
    const res = await h.get(viewer, '/v1/audit/summary', { ...RANGE, group_by: 'action,actor', bucket: 'hour', top: '5', baseline: 'actor' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      from: '2026-10-01T09:00:00.000000Z',
      to: '2026-10-01T12:00:00.000000Z',
      total: 10,
      failures: 4,
      failure_rate: 0.4,
      buckets: [
        { start: '2026-10-01T09:00:00.000000Z', count: 0, failures: 0 },
        { start: '2026-10-01T10:00:00.000000Z', count: 6, failures: 0 },
        { start: '2026-10-01T11:00:00.000000Z', count: 4, failures: 4 },
      ],
      groups: {
        action: [
          { key: 'secret.read', label: 'secret.read', count: 9, failures: 3, failure_rate: 0.3333 },
          { key: 'policy.denied', label: 'policy.denied', count: 1, failures: 1, failure_rate: 1 },
        ],
        actor: [
          { key: 'u_alice', label: 'alice@acme.example', count: 6, failures: 0, failure_rate: 0 },
          { key: 'k_ci', label: 'api-key:ci', count: 4, failures: 4, failure_rate: 1 },
        ],
      },
      baselines: [
        { actor: 'alice@acme.example', actor_id: 'u_alice', today: 6, mean: 0, stddev: 0, z: 6, flagged: false },
        { actor: 'api-key:ci', actor_id: 'k_ci', today: 4, mean: 0, stddev: 0, z: 4, flagged: false },
      ],
    });
  });

  it('takes the filters of the logs listing, repeated or comma-separated', async () => {
    const res = await h.get(viewer, '/v1/audit/summary', { ...RANGE, success: 'false', action: ['secret.*', 'policy.denied'], group_by: ['outcome', 'log'] });
    expect(res.json()).toMatchObject({
      total: 4,
      failures: 4,
      groups: { outcome: [{ key: 'failure', count: 4 }], log: [{ key: 'audit', count: 4 }] },
    });
  });

  it('needs a key with read permission, and counts only the caller’s tenant', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/v1/audit/summary' })).statusCode).toBe(401);
    expect((await h.get(writer, '/v1/audit/summary', RANGE)).json()).toMatchObject({ error: { code: 'VIGIL_ERR_FORBIDDEN' } });
    expect((await h.get(viewer, '/v1/audit/summary', { ...RANGE, tenant: 'globex' })).statusCode).toBe(403);
    expect((await h.get(h.admin, '/v1/audit/summary', RANGE)).json()).toMatchObject({ error: { issues: [{ path: 'tenant' }] } });
    expect((await h.get(h.admin, '/v1/audit/summary', { ...RANGE, tenant: 'globex' })).json()).toMatchObject({ total: 4, failures: 0 });
  });

  it('names each bad parameter', async () => {
    const res = await h.get(viewer, '/v1/audit/summary', { range: '3d', bucket: 'minute', limit: '5', group_by: 'colour' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string; issues: { path: string }[] } }>().error).toMatchObject({
      code: 'VIGIL_ERR_VALIDATION',
      issues: [
        { path: 'limit', message: 'is not a summary parameter' },
        { path: 'group_by', message: expect.stringContaining('"colour" is not one of') },
        { path: 'bucket', message: expect.stringContaining('would be 4321, more than 2000') },
      ],
    });
  });

  it('is in the OpenAPI document', async () => {
    const paths = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, { get?: unknown }> }>().paths;
    expect(paths['/v1/audit/summary']?.get).toBeDefined();
  });
});
