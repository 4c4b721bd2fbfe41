/**
 * Every investigation the seed documents describe, answered by one API call each against a real
 * server (SQLite store, group-commit ingestor, Fastify), with events that must and must not match.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, startHarness, type Harness } from './http-harness.js';

const DAY = 86_400_000;
/** An RFC 3339 time `ms` milliseconds before now. */
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

const alice = { type: 'user', id: 'u_alice', name: 'Alice', email: 'alice@acme.example' };
const bob = { type: 'user', id: 'u_bob', name: 'Bob', email: 'bob@acme.example' };
const carol = { type: 'user', id: 'u_carol', email: 'carol@acme.example' };
const dave = { type: 'user', id: 'u_dave', name: 'Dave', email: 'dave@acme.example' };
const ciKey = { type: 'api_key', id: 'key_ci', name: 'ci-deploy' };
const otherKey = { type: 'api_key', id: 'key_bi', name: 'bi-export' };
const agent = { type: 'agent', id: 'ag_1', name: 'claude-bot' };
const dbPassword = { type: 'secret', id: 'sec_1', name: 'DB_PASSWORD', path: 'prod/db/password' };
const stripeKey = { type: 'secret', id: 'sec_2', name: 'STRIPE_KEY', path: 'prod/payments/stripe' };

/** A fixed incident day, well inside the past. */
const INCIDENT = '2026-10-14T';
const WINDOW_FROM = '2026-10-02T09:00:00Z';
const WINDOW_TO = '2026-10-02T18:00:00Z';
const POLICY_CHANGE = '2026-10-05T12:00:00Z';

/** Tagged events: each investigation's expected results are looked up by `context.tag`. */
const DATA = [
  // 1. Who read prod/db/password in the last 7 days?
  { tag: 'read-alice', action: 'SECRET_READ', actor: alice, resource: dbPassword, occurred_at: ago(3 * DAY) },
  { tag: 'read-bob', action: 'secret.read', actor: bob, resource: dbPassword, occurred_at: ago(5 * DAY) },
  { tag: 'read-carol-old', action: 'SECRET_READ', actor: carol, resource: dbPassword, occurred_at: ago(10 * DAY) },
  { tag: 'read-alice-other', action: 'SECRET_READ', actor: alice, resource: stripeKey, occurred_at: ago(2 * DAY) },
  { tag: 'set-db', action: 'SECRET_SET', actor: bob, resource: dbPassword, environment: 'staging', occurred_at: ago(1 * DAY) },
  // 2. Offboarding: everything Dave did in 30 days.
  { tag: 'dave-1', action: 'PROJECT_UPDATE', actor: dave, resource: { type: 'project', id: 'p_1', name: 'billing' }, occurred_at: ago(2 * DAY) },
  { tag: 'dave-2', action: 'SECRET_READ', actor: dave, resource: stripeKey, occurred_at: ago(20 * DAY) },
  { tag: 'dave-old', action: 'SECRET_READ', actor: dave, resource: stripeKey, occurred_at: ago(40 * DAY) },
  // 3. SECRET_SET in production by anyone, in a window.
  { tag: 'set-prod-1', action: 'SECRET_SET', actor: alice, resource: dbPassword, environment: 'production', occurred_at: '2026-10-02T10:00:00Z' },
  { tag: 'set-prod-2', action: 'SECRET_SET', actor: ciKey, resource: stripeKey, environment: 'production', occurred_at: '2026-10-02T17:59:59Z' },
  { tag: 'set-staging', action: 'SECRET_SET', actor: alice, resource: dbPassword, environment: 'staging', occurred_at: '2026-10-02T11:00:00Z' },
  { tag: 'set-prod-late', action: 'SECRET_SET', actor: alice, resource: dbPassword, environment: 'production', occurred_at: '2026-10-02T18:00:00Z' },
  { tag: 'read-prod', action: 'SECRET_READ', actor: alice, resource: dbPassword, environment: 'production', occurred_at: '2026-10-02T12:00:00Z' },
  // 4. Failed reads after a policy change.
  { tag: 'fail-after-1', action: 'read', actor: { type: 'service_account', id: 'sa_etl' }, resource: dbPassword, outcome: { success: false, status: 403, reason: 'policy:prod-readers' }, occurred_at: '2026-10-05T12:05:00Z' },
  { tag: 'fail-after-2', action: 'SECRET_READ', actor: bob, resource: stripeKey, outcome: { success: false, status: 403 }, occurred_at: '2026-10-06T08:00:00Z' },
  { tag: 'ok-after', action: 'SECRET_READ', actor: bob, resource: stripeKey, outcome: { success: true, status: 200 }, occurred_at: '2026-10-06T09:00:00Z' },
  { tag: 'fail-before', action: 'SECRET_READ', actor: bob, resource: stripeKey, outcome: { success: false, status: 403 }, occurred_at: '2026-10-05T11:59:59Z' },
  { tag: 'fail-write-after', action: 'SECRET_SET', actor: bob, resource: stripeKey, outcome: { success: false, status: 403 }, occurred_at: '2026-10-06T10:00:00Z' },
  // 5. Everything in the 10-minute window 14:25–14:35 of the incident.
  { tag: 'inc-before', action: 'user.login', log: 'user', actor: carol, occurred_at: `${INCIDENT}14:24:59.999999Z` },
  { tag: 'inc-start', action: 'user.login', log: 'user', actor: carol, occurred_at: `${INCIDENT}14:25:00Z` },
  { tag: 'inc-mid', action: 'SECRET_READ', actor: carol, resource: dbPassword, occurred_at: `${INCIDENT}14:30:00.123456Z` },
  { tag: 'inc-api', action: 'api.request', log: 'request', actor: ciKey, request: { method: 'GET', path: '/v1/secrets', id: 'req_9' }, outcome: { success: true, status: 200 }, occurred_at: `${INCIDENT}14:34:59.999999Z` },
  { tag: 'inc-end', action: 'user.logout', log: 'user', actor: carol, occurred_at: `${INCIDENT}14:35:00Z` },
  // 6. api-key:ci-deploy from unfamiliar addresses (known: 10.0.0.0/8 and 192.0.2.7).
  { tag: 'ci-known-1', action: 'SECRET_READ', actor: ciKey, resource: stripeKey, client: { ip: '10.1.2.3' }, occurred_at: ago(1 * DAY) },
  { tag: 'ci-known-2', action: 'SECRET_READ', actor: ciKey, resource: stripeKey, client: { ip: '192.0.2.7' }, occurred_at: ago(1 * DAY) },
  { tag: 'ci-strange-4', action: 'SECRET_READ', actor: ciKey, resource: stripeKey, client: { ip: '203.0.113.66' }, occurred_at: ago(2 * DAY) },
  { tag: 'ci-strange-6', action: 'SECRET_LIST', actor: ciKey, resource: { type: 'project', id: 'p_1' }, client: { ip: '2001:db8::1' }, occurred_at: ago(3 * DAY) },
  { tag: 'bi-strange', action: 'SECRET_READ', actor: otherKey, resource: stripeKey, client: { ip: '203.0.113.66' }, occurred_at: ago(2 * DAY) },
  // 7. Policy denials for an agent, with their reasons.
  { tag: 'deny-time', action: 'policy.denied', actor: agent, source: 'agent', service: 'github', outcome: { success: false, status: 403, reason: 'time_window' }, occurred_at: ago(4 * DAY) },
  { tag: 'deny-rate', action: 'policy.denied', actor: agent, source: 'mcp_proxy', service: 'openai', outcome: { success: false, status: 429, reason: 'rate_limit' }, occurred_at: ago(3 * DAY) },
  { tag: 'agent-ok', action: 'agent.access', actor: agent, source: 'agent', service: 'github', occurred_at: ago(3 * DAY) },
  { tag: 'deny-other', action: 'policy.denied', actor: { type: 'agent', id: 'ag_2', name: 'other-bot' }, outcome: { success: false, reason: 'time_window' }, occurred_at: ago(3 * DAY) },
  // 8. Created / updated / deleted connectors with old and new values.
  { tag: 'conn-create', action: 'connector.created', actor: alice, resource: { type: 'connector', id: 'c_1', name: 'Slack' }, changes: [{ field: 'name', new: 'Slack' }, { field: 'retries', new: 3 }], occurred_at: ago(6 * DAY) },
  { tag: 'conn-update', action: 'connector.updated', actor: bob, resource: { type: 'connector', id: 'c_1', name: 'Slack' }, changes: [{ field: 'retries', old: 3, new: 5 }, { field: 'api_token', old: 'xoxb-1111111111-2222222222-abcdefghijklmnopqrstuvwx', new: 'xoxb-3333333333-4444444444-zyxwvutsrqponmlkjihgfedc' }], occurred_at: ago(5 * DAY) },
  { tag: 'conn-delete', action: 'connector.deleted', actor: alice, resource: { type: 'connector', id: 'c_1', name: 'Slack' }, changes: [{ field: 'name', old: 'Slack' }, { field: 'retries', old: 5 }], occurred_at: ago(4 * DAY) },
  { tag: 'conn-read', action: 'connector.read', actor: alice, resource: { type: 'connector', id: 'c_1', name: 'Slack' }, occurred_at: ago(4 * DAY) },
];

let h: Harness;
let viewer: string;

const tags = (list: Record<string, any>[]) => list.map((e) => e.context.tag as string);

beforeAll(async () => {
  h = await startHarness();
  const writer = await h.key('writer', 'acme');
  viewer = await h.key('viewer', 'acme');
  const body = { events: DATA.map(({ tag, ...event }) => ({ ...event, context: { tag } })) };
  const res = await h.send(writer, body);
  expect(res.statusCode, res.body).toBe(201);
  // Another tenant's look-alike events must never show up in acme's answers.
  const globex = await h.key('writer', 'globex');
  const twin = await h.send(globex, { events: DATA.map(({ tag, ...event }) => ({ ...event, context: { tag: `globex-${tag}` } })) });
  expect(twin.statusCode).toBe(201);
});

afterAll(async () => h?.close());

describe('seed investigations, one call each', () => {
  it('who read secret prod/db/password in the last 7 days (by path, and by name)', async () => {
    const byPath = events(await h.get(viewer, '/v1/audit/secrets/prod/db/password', { range: '7d', crud: 'read' }));
    expect(tags(byPath)).toEqual(['read-alice', 'read-bob']);
    expect(byPath.map((e) => e.actor.email)).toEqual(['alice@acme.example', 'bob@acme.example']);
    const byName = events(await h.get(viewer, '/v1/audit/secrets/DB_PASSWORD', { range: '7d', crud: 'read' }));
    expect(tags(byName)).toEqual(['read-alice', 'read-bob']);
  });

  it('everything one person did in 30 days (offboarding), by identity trail and by actor filter', async () => {
    const trail = events(await h.get(viewer, '/v1/audit/identities/user:dave@acme.example', { range: '30d' }));
    expect(tags(trail)).toEqual(['dave-1', 'dave-2']);
    const byActor = events(await h.get(viewer, '/v1/audit/logs', { actor: 'dave@acme.example', range: '30d' }));
    expect(tags(byActor)).toEqual(['dave-1', 'dave-2']);
    const byId = events(await h.get(viewer, '/v1/audit/identities/user:u_dave', { range: '30d' }));
    expect(tags(byId)).toEqual(['dave-1', 'dave-2']);
  });

  it('SECRET_SET in production by anyone in a window', async () => {
    const found = events(
      await h.get(viewer, '/v1/audit/logs', {
        resource_type: 'secret',
        action: 'SECRET_SET',
        environment: 'production',
        from: WINDOW_FROM,
        to: WINDOW_TO,
      }),
    );
    expect(tags(found)).toEqual(['set-prod-2', 'set-prod-1']);
    expect(found.map((e) => e.category)).toEqual(['secrets', 'secrets']);
  });

  it('failed reads after a policy change', async () => {
    const found = events(await h.get(viewer, '/v1/audit/logs', { crud: 'read', success: 'false', from: POLICY_CHANGE, order: 'asc' }));
    expect(tags(found)).toEqual(['fail-after-1', 'fail-after-2']);
    expect(found[0]!.outcome).toMatchObject({ success: false, status: 403, reason: 'policy:prod-readers' });
  });

  it('everything in a 10-minute incident window, newest first, end exclusive', async () => {
    const found = events(await h.get(viewer, '/v1/audit/logs', { from: `${INCIDENT}14:25:00Z`, to: `${INCIDENT}14:35:00Z` }));
    expect(tags(found)).toEqual(['inc-api', 'inc-mid', 'inc-start']);
    expect(found.map((e) => e.log)).toEqual(['request', 'audit', 'user']);
  });

  it('all events of api-key:ci-deploy from unfamiliar addresses', async () => {
    const found = events(await h.get(viewer, '/v1/audit/logs', { actor: 'api-key:ci-deploy', not_ip: '10.0.0.0/8,192.0.2.7' }));
    expect(tags(found)).toEqual(['ci-strange-4', 'ci-strange-6']);
    expect(found.map((e) => e.client.ip)).toEqual(['203.0.113.66', '2001:db8::1']);
    // The complementary view: the same key from one block only.
    const known = events(await h.get(viewer, '/v1/audit/logs', { actor: 'api-key:ci-deploy', ip: '10.0.0.0/8' }));
    expect(tags(known)).toEqual(['ci-known-1']);
  });

  it('policy denials for one agent, with their reasons', async () => {
    const found = events(await h.get(viewer, '/v1/audit/logs', { action: 'policy.denied', actor: 'agent:claude-bot' }));
    expect(tags(found)).toEqual(['deny-rate', 'deny-time']);
    expect(found.map((e) => e.outcome.reason)).toEqual(['rate_limit', 'time_window']);
    const trail = events(await h.get(viewer, '/v1/audit/identities/agent:ag_1', { action: 'policy.denied' }));
    expect(tags(trail)).toEqual(['deny-rate', 'deny-time']);
  });

  it('created, updated and deleted connectors with old and new values, sensitive values masked', async () => {
    const found = events(await h.get(viewer, '/v1/audit/logs', { crud: 'create,update,delete', resource_type: 'connector', order: 'asc' }));
    expect(tags(found)).toEqual(['conn-create', 'conn-update', 'conn-delete']);
    expect(found.map((e) => e.crud)).toEqual(['create', 'update', 'delete']);
    expect(found[0]!.changes).toEqual([{ field: 'name', new: 'Slack' }, { field: 'retries', new: 3 }]);
    expect(found[2]!.changes).toEqual([{ field: 'name', old: 'Slack' }, { field: 'retries', old: 5 }]);
    const [retries, token] = found[1]!.changes;
    expect(retries).toEqual({ field: 'retries', old: 3, new: 5 });
    expect(token.old).toMatch(/^\[REDACTED:/);
    expect(token.new).toMatch(/^\[REDACTED:/);
    expect(JSON.stringify(found)).not.toContain('xoxb-');
  });

  it('records none of these reads', async () => {
    expect((await h.stored('acme')).length).toBe(DATA.length);
  });
});
