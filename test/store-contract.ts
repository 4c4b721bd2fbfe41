import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../src/domain/access.js';
import type { PreparedEvent, StoredEvent } from '../src/domain/event.js';
import type { EventFilter, EventQuery } from '../src/domain/filter.js';
import { ipKeyHex } from '../src/domain/ip.js';
import { ipRange } from '../src/query/ip-range.js';
import { edgeTileKeys, tileKeyString } from '../src/integrity/tiles.js';
import type { AppendRequest, AppendResult, EventRow, JobRecord, RetentionSettings, Store } from '../src/store/store.js';
import { DAY, MINUTE, T0, preparedEvent } from './support/events.js';
import { referenceRoot } from './support/merkle-reference.js';
import { describeSummaryContract } from './summary-contract.js';

/** What a store implementation gives the contract suite. */
export interface StoreHarness {
  store: Store;
  /** Runs raw SQL on the store's database, as an attacker or operator with database access would. */
  exec(sql: string): Promise<void>;
  /** Releases everything (drops a throwaway database, deletes files). */
  destroy(): Promise<void>;
}

function ok(result: AppendResult | undefined) {
  if (!result?.ok) throw new Error(`append refused: ${result && !result.ok ? result.error.message : 'no result'}`);
  return result.events;
}

function parse(rows: EventRow[]): StoredEvent[] {
  return rows.map((r) => JSON.parse(r.body) as StoredEvent);
}

/**
 * The `Store` contract (src/store/store.ts), run against every implementation. Each suite gets
 * a fresh, empty store from `create`.
 */
export function describeStoreContract(name: string, create: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    const append = async (...requests: AppendRequest[]) => store.append(requests);
    const appendOne = async (...events: PreparedEvent[]) => ok((await append({ events }))[0]);
    const query = async (tenant: string, filter: EventFilter, extra: Partial<EventQuery> = {}) =>
      parse(await store.query({ tenant, filter, order: 'desc', limit: 1000, ...extra }));

    beforeAll(async () => {
      h = await create();
      store = h.store;
    });
    afterAll(async () => {
      await h?.destroy();
    });

    describe('sequencing', () => {
      it('assigns dense seq from 0 per tenant, in commit order', async () => {
        const a = await appendOne(preparedEvent({ tenant: 'seq-a' }), preparedEvent({ tenant: 'seq-a' }));
        const b = await appendOne(preparedEvent({ tenant: 'seq-b' }));
        const a2 = await appendOne(preparedEvent({ tenant: 'seq-a' }));
        expect(a.map((e) => e.seq)).toEqual([0, 1]);
        expect(b.map((e) => e.seq)).toEqual([0]);
        expect(a2.map((e) => e.seq)).toEqual([2]);
      });

      it('gives the requests of one group commit consecutive seqs in request order', async () => {
        const results = await append(
          { events: [preparedEvent({ tenant: 'group' })] },
          { events: [preparedEvent({ tenant: 'group' }), preparedEvent({ tenant: 'group' })] },
        );
        expect(results.flatMap((r) => ok(r).map((e) => e.seq))).toEqual([0, 1, 2]);
      });

      it('stores the sealed event: seq, received_at and the canonical body', async () => {
        const event = preparedEvent({ tenant: 'seal', context: { b: 1, a: 'x' } });
        const [stored] = await appendOne(event);
        const row = await store.getEvent('seal', event.id);
        expect(row).not.toBeNull();
        const body = JSON.parse(row!.body) as StoredEvent;
        expect(body.seq).toBe(stored!.seq);
        expect(body.received_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
        expect(body.context).toEqual({ a: 'x', b: 1 });
        expect(row!.body.indexOf('"a":"x"')).toBeLessThan(row!.body.indexOf('"b":1'));
        expect(row!.occurredUs).toBe(T0);
      });
    });

    describe('idempotency', () => {
      it('accepts the same id with the same content once', async () => {
        const event = preparedEvent({ tenant: 'idem' });
        const [first] = await appendOne(event);
        const [again] = await appendOne({ ...event });
        expect(again).toEqual({ id: event.id, seq: first!.seq, duplicate: true });
        expect(await store.readBySeq('idem', 0, 100, 100)).toHaveLength(1);
      });

      it('refuses the same id with other content and stores nothing of that request', async () => {
        const event = preparedEvent({ tenant: 'idem2' });
        await appendOne(event);
        const other = preparedEvent({ tenant: 'idem2' });
        const [refused, accepted] = await append(
          { events: [other, { ...event, action: 'secret.delete' }] },
          { events: [preparedEvent({ tenant: 'idem2' })] },
        );
        expect(refused!.ok).toBe(false);
        if (!refused!.ok) {
          expect(refused!.error.code).toBe('VIGIL_ERR_CONFLICT');
          expect(refused!.error.message).toContain(event.id);
        }
        expect(ok(accepted).map((e) => e.seq)).toEqual([1]);
        expect(await store.getEvent('idem2', other.id)).toBeNull();
      });

      it('treats a repeated id inside one request, and across requests of one group', async () => {
        const event = preparedEvent({ tenant: 'idem3' });
        const [r1, r2] = await append({ events: [event, { ...event }] }, { events: [{ ...event }] });
        expect(ok(r1).map((e) => [e.seq, e.duplicate])).toEqual([
          [0, false],
          [0, true],
        ]);
        expect(ok(r2).map((e) => [e.seq, e.duplicate])).toEqual([[0, true]]);
        const [bad] = await append({ events: [preparedEvent({ tenant: 'idem3', id: event.id, action: 'x.y' })] });
        expect(bad!.ok).toBe(false);
      });

      it('matches a retry whose time was defaulted, whatever time it got', async () => {
        const event = preparedEvent({ tenant: 'idem4', atUs: T0 });
        await appendOne(event);
        const retry = { ...event, occurred_at: '2026-11-02T00:00:00.000000Z' };
        const [res] = await append({ events: [retry], defaultedTimes: new Set([0]) });
        expect(ok(res)[0]!.duplicate).toBe(true);
        const [strict] = await append({ events: [retry] });
        expect(strict!.ok).toBe(false);
      });

      it('does not look up ids Vigil minted; the unique index still refuses one reused, storing nothing', async () => {
        const stored = preparedEvent({ tenant: 'idem7' });
        await appendOne(stored);
        const [looked] = await append({ events: [{ ...stored }] });
        expect(ok(looked)[0]!.duplicate).toBe(true);
        const fresh = preparedEvent({ tenant: 'idem7', atUs: T0 + MINUTE });
        await expect(append({ events: [fresh, { ...stored }], mintedIds: new Set([0, 1]) })).rejects.toThrow(/unique|duplicate key/i);
        const [retry] = await append({ events: [fresh], mintedIds: new Set([0]) });
        expect(ok(retry)[0]).toMatchObject({ seq: 1, duplicate: false });
      });

      it('scopes ids to the tenant', async () => {
        const event = preparedEvent({ tenant: 'idem5' });
        await appendOne(event);
        const [other] = await appendOne({ ...event, tenant: 'idem6', action: 'other.action' });
        expect(other!.duplicate).toBe(false);
      });
    });

    describe('queries', () => {
      const T = 'q';
      const events: PreparedEvent[] = [];
      beforeAll(async () => {
        const mk = (i: number, o: Partial<PreparedEvent>) => preparedEvent({ tenant: T, atUs: T0 + i * MINUTE, ...o });
        events.push(
          mk(0, { action: 'SECRET_READ', category: 'secrets', crud: 'read' }),
          mk(1, {
            action: 'SECRET_SET',
            crud: 'update',
            environment: 'production',
            actor: { type: 'user', id: 'u_2', email: 'bob@acme.example', name: 'Bob' },
          }),
          mk(2, {
            action: 'secret.read',
            outcome: { success: false, status: 403, reason: 'time_window' },
            actor: { type: 'agent', id: 'ag_1', name: 'deploy-bot' },
            source: 'agent',
            service: 'github',
            client: { ip: '203.0.113.9', user_agent: 'curl/8.5', kind: 'cli', name: 'CLI' },
          }),
          mk(3, {
            action: 'policy.denied',
            category: 'policy',
            crud: 'other',
            log: 'audit',
            actor: { type: 'api_key', id: 'k_1', name: 'ci' },
            client: { ip: '198.51.100.7' },
            outcome: { success: false, status: 403, reason: 'rate_limit' },
            resource: { type: 'secret', id: 'sec_2', name: 'API_TOKEN', path: 'prod/api/token' },
          }),
          mk(4, {
            action: 'user.login',
            category: 'auth',
            log: 'user',
            resource: undefined,
            client: { ip: '2001:db8::1' },
            session_id: 's_9',
            request: { id: 'req_7', method: 'POST', path: '/login' },
          }),
          mk(5, {
            action: 'connector.updated',
            category: 'connectors',
            crud: 'update',
            resource: { type: 'connector', id: 'c_1', name: 'Salesforce', path: 'staging/connectors/sf' },
            changes: [{ field: 'rotation_days', old: 30, new: 90 }],
            environment: 'staging',
          }),
        );
        await appendOne(...events);
        await appendOne(preparedEvent({ tenant: 'q-other', atUs: T0 }));
      });

      const ids = (list: StoredEvent[]) => list.map((e) => e.action);
      const cases: [string, EventFilter, string[]][] = [
        ['everything, newest first', {}, ['connector.updated', 'user.login', 'policy.denied', 'secret.read', 'SECRET_SET', 'SECRET_READ']],
        ['time range [from, to)', { fromUs: T0 + MINUTE, toUs: T0 + 3 * MINUTE }, ['secret.read', 'SECRET_SET']],
        ['log', { log: ['user'] }, ['user.login']],
        ['category multi', { category: ['policy', 'auth'] }, ['user.login', 'policy.denied']],
        ['exact action', { action: ['SECRET_SET'] }, ['SECRET_SET']],
        ['action prefix', { actionPrefix: ['secret.'] }, ['secret.read']],
        ['unknown action', { action: ['nope'] }, []],
        ['crud', { crud: ['update'] }, ['connector.updated', 'SECRET_SET']],
        ['actor by email', { actor: ['BOB@acme.example'] }, ['SECRET_SET']],
        ['actor by api-key display', { actor: ['api-key:ci'] }, ['policy.denied']],
        ['actor by agent display', { actor: ['agent:deploy-bot'] }, ['secret.read']],
        ['actor id', { actorId: ['u_2'] }, ['SECRET_SET']],
        ['actor type', { actorType: ['agent', 'api_key'] }, ['policy.denied', 'secret.read']],
        ['resource type', { resourceType: ['connector'] }, ['connector.updated']],
        ['resource type never stored', { resourceType: ['nope'] }, []],
        ['resource type narrows a path prefix', { resourceType: ['secret'], pathPrefix: 'prod/' }, ['policy.denied', 'secret.read', 'SECRET_SET', 'SECRET_READ']],
        ['resource type outside a path prefix', { resourceType: ['connector'], pathPrefix: 'prod/' }, []],
        ['resource types and ids', { resourceType: ['secret', 'connector'], resourceId: ['sec_2', 'c_1'] }, ['connector.updated', 'policy.denied']],
        ['resource id', { resourceId: ['sec_2'] }, ['policy.denied']],
        ['resource search', { resource: 'salesf' }, ['connector.updated']],
        ['resource path exact', { resourcePath: ['prod/api/token'] }, ['policy.denied']],
        ['path prefix', { pathPrefix: 'prod/' }, ['policy.denied', 'secret.read', 'SECRET_SET', 'SECRET_READ']],
        ['source', { source: ['agent'] }, ['secret.read']],
        ['service', { service: ['github'] }, ['secret.read']],
        ['environment', { environment: ['production', 'staging'] }, ['connector.updated', 'SECRET_SET']],
        ['success false', { success: false }, ['policy.denied', 'secret.read']],
        ['status exact', { status: [403] }, ['policy.denied', 'secret.read']],
        ['status class', { statusClass: [2] }, ['connector.updated', 'user.login', 'SECRET_SET', 'SECRET_READ']],
        ['method', { method: ['POST'] }, ['user.login']],
        ['ip exact', { ip: [{ lo: ipKeyHex('203.0.113.9')!, hi: ipKeyHex('203.0.113.9')! }] }, ['secret.read']],
        ['ip cidr', { ip: [{ lo: ipKeyHex('198.51.100.0')!, hi: ipKeyHex('198.51.100.255')! }] }, ['policy.denied']],
        ['ipv6', { ip: [{ lo: ipKeyHex('2001:db8::')!, hi: ipKeyHex('2001:db8::ffff')! }] }, ['user.login']],
        [
          'not ip (unfamiliar addresses): events with an ip outside the ranges',
          { notIp: [{ lo: ipKeyHex('203.0.113.0')!, hi: ipKeyHex('203.0.113.255')! }] },
          ['user.login', 'policy.denied'],
        ],
        ['actor id or alias: an email', { actorIdOrAlias: ['bob@ACME.example'] }, ['SECRET_SET']],
        ['actor id or alias: an id', { actorIdOrAlias: ['ag_1'] }, ['secret.read']],
        ['request id', { requestId: ['req_7'] }, ['user.login']],
        ['session id', { sessionId: ['s_9'] }, ['user.login']],
        ['free text: reason', { q: 'rate_lim' }, ['policy.denied']],
        ['free text: actor', { q: 'bob' }, ['SECRET_SET']],
        ['free text: action', { q: 'login' }, ['user.login']],
        ['combined', { success: false, actorType: ['agent'], fromUs: T0 }, ['secret.read']],
      ];
      it.each(cases)('%s', async (_name, filter, expected) => {
        expect(ids(await query(T, filter))).toEqual(expected);
      });

      it('matches addresses of both families: an IPv4 block never takes the IPv6 address that begins with its bytes', async () => {
        const tenant = 'q-ip';
        const at = (i: number, action: string, ip: string) => preparedEvent({ tenant, atUs: T0 + i * MINUTE, action, client: { ip } });
        // cb00:7105:: begins with the bytes of 203.0.113.5; ::ffff:203.0.113.6 is an IPv4 address.
        await appendOne(at(0, 'v4', '203.0.113.5'), at(1, 'v6', 'cb00:7105::1'), at(2, 'mapped', '::ffff:203.0.113.6'), preparedEvent({ tenant, atUs: T0 + 3 * MINUTE }));
        const within = (...cidrs: string[]) => ({ ip: cidrs.map((cidr) => ipRange(cidr)!) });
        expect(ids(await query(tenant, within('203.0.113.0/24')))).toEqual(['mapped', 'v4']);
        expect(ids(await query(tenant, within('203.0.113.6')))).toEqual(['mapped']);
        expect(ids(await query(tenant, within('cb00::/16')))).toEqual(['v6']);
        expect(ids(await query(tenant, within('::/0')))).toEqual(['mapped', 'v6', 'v4']);
        expect(ids(await query(tenant, within('::ffff:0:0/96')))).toEqual(['mapped', 'v4']);
        expect(ids(await query(tenant, within('0.0.0.0/1', 'cb00::/8')))).toEqual(['v6']);
        expect(ids(await query(tenant, { notIp: [ipRange('203.0.113.0/24')!] }))).toEqual(['v6']);
      });

      it('orders ascending on request', async () => {
        expect(ids(await query(T, { category: ['secrets'] }, { order: 'asc' }))).toEqual(['SECRET_READ', 'SECRET_SET', 'secret.read']);
      });

      it('never returns another tenant’s events', async () => {
        expect((await query('q-other', {})).every((e) => e.tenant === 'q-other')).toBe(true);
        expect(await query('nobody', {})).toEqual([]);
        expect(await store.getEvent('q-other', events[0]!.id)).toBeNull();
      });
    });

    describe('aliases', () => {
      it('finds an actor and a resource seen again under new names by every name they had', async () => {
        const T = 'aliases';
        const mk = (i: number, o: Partial<PreparedEvent>) => preparedEvent({ tenant: T, atUs: T0 + i * MINUTE, ...o });
        await appendOne(
          mk(0, { actor: { type: 'user', id: 'u_7', name: 'Ann' }, resource: { type: 'secret', id: 'sec_7', name: 'OLD_NAME' } }),
          mk(1, { actor: { type: 'user', id: 'u_7', name: 'Ann' }, resource: { type: 'secret', id: 'sec_7', name: 'OLD_NAME' } }),
        );
        // A later request: the same actor and resource, now with an email and a new name.
        await appendOne(
          mk(2, { actor: { type: 'user', id: 'u_7', name: 'Ann', email: 'ann@acme.example' }, resource: { type: 'secret', id: 'sec_7', name: 'NEW_NAME' } }),
        );
        const seqs = async (filter: EventFilter) => (await query(T, filter)).map((e) => e.seq);
        expect(await seqs({ actor: ['ann@acme.example'] })).toEqual([2, 1, 0]);
        expect(await seqs({ actor: ['Ann'] })).toEqual([2, 1, 0]);
        expect(await seqs({ resource: 'old_name' })).toEqual([2, 1, 0]);
        expect(await seqs({ resource: 'new_name' })).toEqual([2, 1, 0]);
        expect(await seqs({ actorId: ['u_7'] })).toEqual([2, 1, 0]);
      });
    });

    describe('keyset pagination', () => {
      it('walks every event exactly once in both orders, with ties on time', async () => {
        const T = 'pages';
        const batch = Array.from({ length: 57 }, (_, i) => preparedEvent({ tenant: T, atUs: T0 + Math.floor(i / 5) * DAY }));
        await appendOne(...batch);
        for (const order of ['desc', 'asc'] as const) {
          const seen: number[] = [];
          let after: EventQuery['after'];
          for (;;) {
            const rows = await store.query({ tenant: T, filter: {}, order, limit: 10, ...(after ? { after } : {}) });
            seen.push(...rows.map((r) => r.seq));
            if (rows.length < 10) break;
            const last = rows[rows.length - 1]!;
            after = { occurredUs: last.occurredUs, seq: last.seq };
          }
          const expected = [...Array(57).keys()];
          expect(seen).toEqual(order === 'asc' ? expected : expected.reverse());
        }
      });
    });

    describe('trails over many days', () => {
      it('walk every matching event once, across days without one and ties on time, in both orders and from any cursor', async () => {
        const T = 'trail';
        // 60 events over 25 days with empty days between, a few at the same instant; actors,
        // actions and resources repeat on some days and not others.
        const at = (i: number) => T0 + (i * 7 % 25) * DAY + (i % 4) * MINUTE - (i % 9 === 0 ? 3 * MINUTE : 0) + (i % 11 === 0 ? DAY - MINUTE : 0);
        const batch = Array.from({ length: 60 }, (_, i) =>
          preparedEvent({
            tenant: T,
            atUs: at(i),
            action: i % 3 === 0 ? 'secret.update' : 'secret.read',
            actor: { type: 'user', id: `u_${i % 4}`, email: `user${i % 4}@acme.example` },
            resource: { type: 'secret', id: `sec_${i % 5}`, path: `prod/app/${i % 5}` },
          }),
        );
        await appendOne(...batch);
        const stored = (await store.query({ tenant: T, filter: {}, order: 'asc', limit: 100 })).map((r) => ({ ...r, event: JSON.parse(r.body) as StoredEvent }));
        expect(stored).toHaveLength(60);
        const filters: { filter: EventFilter; keep: (e: StoredEvent) => boolean }[] = [
          { filter: { actorId: ['u_1'] }, keep: (e) => e.actor.id === 'u_1' },
          { filter: { action: ['secret.update'] }, keep: (e) => e.action === 'secret.update' },
          { filter: { resourceId: ['sec_2', 'sec_3'] }, keep: (e) => ['sec_2', 'sec_3'].includes(e.resource!.id!) },
          { filter: { actorId: ['u_2'], action: ['secret.read'], fromUs: T0 + 3 * DAY + 2 * MINUTE, toUs: T0 + 19 * DAY }, keep: (e) => e.actor.id === 'u_2' && e.action === 'secret.read' && at(e.seq) >= T0 + 3 * DAY + 2 * MINUTE && at(e.seq) < T0 + 19 * DAY },
          { filter: { pathPrefix: 'prod/app/4', toUs: T0 + 40 * DAY }, keep: (e) => e.resource!.path === 'prod/app/4' },
        ];
        for (const { filter, keep } of filters) {
          for (const order of ['asc', 'desc'] as const) {
            const expected = stored.filter((r) => keep(r.event)).map((r) => r.seq);
            if (order === 'desc') expected.reverse();
            expect(expected.length).toBeGreaterThan(2);
            const seen: number[] = [];
            let after: EventQuery['after'];
            for (;;) {
              const rows = await store.query({ tenant: T, filter, order, limit: 3, ...(after ? { after } : {}) });
              seen.push(...rows.map((r) => r.seq));
              if (rows.length < 3) break;
              const last = rows[rows.length - 1]!;
              after = { occurredUs: last.occurredUs, seq: last.seq };
            }
            expect(seen, `${JSON.stringify(filter)} ${order}`).toEqual(expected);
          }
        }
      });
    });

    describe('scan', () => {
      it('answers exactly as query, page by page', async () => {
        const T = 'scan';
        await appendOne(...Array.from({ length: 30 }, (_, i) => preparedEvent({ tenant: T, atUs: T0 + (i % 7) * DAY, ...(i % 3 ? {} : { action: 'secret.update' }) })));
        for (const q of [
          { tenant: T, filter: {}, order: 'asc' as const, limit: 8 },
          { tenant: T, filter: { action: ['secret.update'] }, order: 'desc' as const, limit: 4, after: { occurredUs: T0 + 6 * DAY, seq: 20 } },
          { tenant: 'nobody', filter: {}, order: 'asc' as const, limit: 5 },
        ]) {
          expect(await store.scan(q)).toEqual(await store.query(q));
        }
      });
    });

    describe('readBySeq', () => {
      it('reads a seq range in order', async () => {
        const T = 'byseq';
        await appendOne(...Array.from({ length: 20 }, () => preparedEvent({ tenant: T })));
        const rows = await store.readBySeq(T, 5, 15, 4);
        expect(rows.map((r) => r.seq)).toEqual([5, 6, 7, 8]);
      });

      it("reads only the tenant's own events, whatever the bounds", async () => {
        // Appended interleaved, so that neighbouring tenants' events sit on either side.
        for (let i = 0; i < 6; i++) {
          await appendOne(preparedEvent({ tenant: 'byseq-a' }), preparedEvent({ tenant: 'byseq-b' }), preparedEvent({ tenant: 'byseq-c' }));
        }
        const seqsOf = async (from: number, to: number) =>
          (await store.readBySeq('byseq-b', from, to, 100)).map((r) => [(JSON.parse(r.body) as StoredEvent).tenant, r.seq]);
        const all = [0, 1, 2, 3, 4, 5].map((seq) => ['byseq-b', seq]);
        expect(await seqsOf(0, Number.MAX_SAFE_INTEGER)).toEqual(all);
        expect(await seqsOf(-5, 2 ** 41)).toEqual(all);
        expect(await seqsOf(4, 2 ** 40 + 3)).toEqual(all.slice(4));
        expect(await seqsOf(2 ** 40, Number.MAX_SAFE_INTEGER)).toEqual([]);
        expect(await seqsOf(-10, 0)).toEqual([]);
      });
    });

    describe('merkle tree', () => {
      it('keeps the root equal to RFC 9162 over the stored bodies, across appends and tile edges', async () => {
        const T = 'tree';
        expect((await store.treeHead(T)).size).toBe(0);
        for (const n of [1, 2, 250, 7, 300]) {
          await appendOne(...Array.from({ length: n }, () => preparedEvent({ tenant: T })));
        }
        const rows = await store.readBySeq(T, 0, 10_000, 10_000);
        const head = await store.treeHead(T);
        expect(head.size).toBe(560);
        expect(Buffer.from(head.root).toString('hex')).toBe(referenceRoot(rows.map((r) => r.body)).toString('hex'));
        const tiles = await store.readTiles(T, edgeTileKeys(560));
        expect([...tiles.keys()].sort()).toEqual(['0/2', '1/0']);
        expect(tiles.get(tileKeyString({ level: 0, index: 2 }))!.length).toBe((560 - 512) * 32);
      });
    });

    describe('append-only', () => {
      it('refuses UPDATE and DELETE of events at the database', async () => {
        await appendOne(preparedEvent({ tenant: 'locked' }));
        await expect(h.exec("UPDATE events SET body = '{}'")).rejects.toThrow(/append-only/);
        await expect(h.exec('DELETE FROM events')).rejects.toThrow(/append-only/);
      });
    });

    describe('checkpoints', () => {
      it('keeps the latest checkpoint per tenant', async () => {
        await appendOne(preparedEvent({ tenant: 'cp' }));
        expect(await store.latestCheckpoint('cp')).toBeNull();
        await store.saveCheckpoints([{ tenant: 'cp', size: 1, note: 'n1', createdAt: '2026-11-01T00:00:00Z' }]);
        await store.saveCheckpoints([
          { tenant: 'cp', size: 3, note: 'n3', createdAt: '2026-11-01T00:00:01Z' },
          { tenant: 'cp2', size: 1, note: 'other', createdAt: '2026-11-01T00:00:01Z' },
        ]);
        await store.saveCheckpoints([{ tenant: 'cp', size: 2, note: 'n2', createdAt: '2026-11-01T00:00:02Z' }]);
        // The first checkpoint stored at a size stays.
        await store.saveCheckpoints([{ tenant: 'cp', size: 3, note: 'again', createdAt: '2026-11-01T00:00:03Z' }]);
        await store.saveCheckpoints([]);
        expect((await store.latestCheckpoint('cp'))?.note).toBe('n3');
        expect((await store.latestCheckpoint('cp2'))?.note).toBe('other');
        expect(await store.tenants()).toContain('cp');
      });

      it('gives every tenant with events and its tree size in one read', async () => {
        await appendOne(preparedEvent({ tenant: 'sizes-a' }), preparedEvent({ tenant: 'sizes-a' }));
        await appendOne(preparedEvent({ tenant: 'sizes-b' }));
        const sizes = await store.treeSizes();
        expect([sizes.get('sizes-a'), sizes.get('sizes-b'), sizes.get('no-such-tenant')]).toEqual([2, 1, undefined]);
        for (const tenant of await store.tenants()) expect(sizes.get(tenant)).toBe((await store.treeHead(tenant)).size);
        expect([...sizes.keys()].sort()).toEqual((await store.tenants()).sort());
      });
    });

    describe('keys and secrets', () => {
      const key: ApiKeyRecord = {
        id: 'k1',
        tenant: 'acme',
        role: 'viewer',
        name: 'dash',
        secretHash: 'ab'.repeat(32),
        createdAt: '2026-11-01T00:00:00.000Z',
        createdBy: null,
        revokedAt: null,
        expiresAt: null,
      };
      it('stores, finds, lists and revokes keys', async () => {
        await store.insertKey(key);
        await store.insertKey({ ...key, id: 'k2', tenant: null, role: 'admin' });
        expect(await store.hasKeys()).toBe(true);
        expect(await store.findKey('k1')).toEqual(key);
        expect((await store.listKeys('acme')).map((k) => k.id)).toEqual(['k1']);
        expect((await store.listKeys()).map((k) => k.id)).toEqual(['k1', 'k2']);
        expect(await store.revokeKey('k1', '2026-11-02T00:00:00.000Z')).toBe(true);
        expect(await store.revokeKey('k1', '2026-11-03T00:00:00.000Z')).toBe(false);
        expect((await store.findKey('k1'))?.revokedAt).toBe('2026-11-02T00:00:00.000Z');
        expect(await store.findKey('nope')).toBeNull();
      });

      it('creates a secret once and returns it after', async () => {
        const first = await store.secret('test', () => 'one');
        const second = await store.secret('test', () => 'two');
        expect([first, second]).toEqual(['one', 'one']);
      });
    });

    describe('dashboard sessions', () => {
      const session = (idHash: string, expiresAt: number) => ({ idHash, principal: `{"keyId":"${idHash}"}`, expiresAt });

      it('stores, finds and deletes sessions; drops the expired ones, and beyond the cap those that expire first', async () => {
        const now = 1_800_000_000_000;
        await store.saveSession(session('a', now + 3_000), now, 3);
        await store.saveSession(session('b', now + 1_000), now, 3);
        await store.saveSession(session('c', now + 2_000), now, 3);
        expect(await store.findSession('a')).toEqual(session('a', now + 3_000));
        // A fourth: b, which expires first, makes room.
        await store.saveSession(session('d', now + 4_000), now, 3);
        expect(await store.findSession('b')).toBeNull();
        expect(await store.findSession('c')).toEqual(session('c', now + 2_000));
        // Later, c has expired: saving drops it whatever the cap.
        await store.saveSession(session('e', now + 9_000), now + 2_000, 10);
        expect(await store.findSession('c')).toBeNull();
        expect(await store.findSession('a')).not.toBeNull();
        await store.deleteSession('a');
        expect(await store.findSession('a')).toBeNull();
        expect(await store.findSession('e')).toEqual(session('e', now + 9_000));
      });
    });

    describe('jobs', () => {
      const job = (over: Partial<JobRecord>): JobRecord => ({
        id: `job-${Math.random().toString(36).slice(2)}`,
        tenant: 'jobs',
        kind: 'export',
        state: 'pending',
        spec: '{"format":"csv"}',
        progress: null,
        result: null,
        error: null,
        owner: null,
        attempts: 0,
        createdAt: '2026-11-01T00:00:00.000Z',
        updatedAt: '2026-11-01T00:00:00.000Z',
        heartbeatAt: null,
        ...over,
      });
      const AT = '2026-11-01T00:01:00.000Z';

      it('stores, lists and claims jobs oldest first, each by one owner', async () => {
        const first = job({ createdAt: '2026-11-01T00:00:01.000Z' });
        const second = job({ createdAt: '2026-11-01T00:00:02.000Z', kind: 'retention' });
        await store.createJob(second);
        await store.createJob(first);
        expect(await store.getJob(first.id)).toEqual(first);
        expect(await store.getJob('nope')).toBeNull();
        expect((await store.listJobs('jobs', { limit: 10 })).map((j) => j.id)).toEqual([second.id, first.id]);
        expect((await store.listJobs('jobs', { kind: 'retention', limit: 10 })).map((j) => j.id)).toEqual([second.id]);
        expect(await store.listJobs('other', { limit: 10 })).toEqual([]);

        const [a, b, none] = await Promise.all([
          store.claimJob('runner-a', AT, AT),
          store.claimJob('runner-b', AT, AT),
          store.claimJob('runner-c', AT, AT),
        ]);
        expect([a?.id, b?.id]).toEqual([first.id, second.id]);
        expect(none).toBeNull();
        expect(a).toMatchObject({ state: 'running', owner: 'runner-a', attempts: 1, heartbeatAt: AT });
        expect((await store.listJobs('jobs', { states: ['running'], limit: 10 })).length).toBe(2);
      });

      it('lets only the owner of a running job update it, and never a finished one', async () => {
        const j = job({ tenant: 'jobs2' });
        await store.createJob(j);
        const claimed = await store.claimJob('me', AT, AT);
        expect(claimed?.id).toBe(j.id);
        expect(await store.updateJob(j.id, 'someone-else', { progress: '{"rows":1}', at: AT })).toBe(false);
        expect(await store.updateJob(j.id, 'me', { progress: '{"rows":5}', at: '2026-11-01T00:02:00.000Z' })).toBe(true);
        expect(await store.getJob(j.id)).toMatchObject({ progress: '{"rows":5}', heartbeatAt: '2026-11-01T00:02:00.000Z', state: 'running' });
        expect(await store.updateJob(j.id, 'me', { state: 'completed', result: '{"ok":true}', at: AT })).toBe(true);
        expect(await store.updateJob(j.id, 'me', { state: 'failed', error: 'late', at: AT })).toBe(false);
        expect(await store.getJob(j.id)).toMatchObject({ state: 'completed', result: '{"ok":true}', progress: '{"rows":5}', error: null });
      });

      it('hands a running job whose heartbeat went stale to a new runner', async () => {
        const j = job({ tenant: 'jobs3' });
        await store.createJob(j);
        await store.claimJob('dead', AT, '2026-11-01T00:00:00.000Z');
        expect(await store.claimJob('alive', '2026-11-01T00:00:00.000Z', AT)).toBeNull();
        const taken = await store.claimJob('alive', '2026-11-01T00:00:30.000Z', AT);
        expect(taken).toMatchObject({ id: j.id, owner: 'alive', attempts: 2 });
        expect(await store.updateJob(j.id, 'dead', { state: 'failed', error: 'x', at: AT })).toBe(false);
      });
    });

    describe('retention', () => {
      it('stores retention settings per tenant', async () => {
        expect(await store.getRetention('ret')).toBeNull();
        const settings: RetentionSettings = {
          tenant: 'ret',
          days: 90,
          archiveDestination: 'archive',
          legalHold: true,
          legalHoldReason: 'case 42',
          updatedAt: '2026-11-01T00:00:00.000Z',
        };
        await store.putRetention(settings);
        expect(await store.getRetention('ret')).toEqual(settings);
        await store.putRetention({ ...settings, days: null, archiveDestination: null, legalHold: false, legalHoldReason: null });
        expect(await store.getRetention('ret')).toMatchObject({ days: null, legalHold: false, archiveDestination: null });
      });

      it('purges exactly the events in range, in bounded batches, keeping the tree and its tiles', async () => {
        const T = 'purge';
        const events = Array.from({ length: 300 }, (_, i) => preparedEvent({ tenant: T, atUs: T0 + (i % 100) * DAY }));
        await appendOne(...events);
        await appendOne(preparedEvent({ tenant: 'purge-other', atUs: T0 }));
        const head = await store.treeHead(T);
        const keys = [{ level: 0, index: 0 }, { level: 0, index: 1 }, { level: 1, index: 0 }];
        const tilesBefore = await store.readTiles(T, keys);
        // Older than day 50, and only among the first 250 seqs: 150 events with i < 250 and i % 100 < 50.
        const range = { beforeUs: T0 + 50 * DAY, belowSeq: 250 };
        const expected = events.filter((_, i) => i < 250 && i % 100 < 50).length;
        let total = 0;
        for (;;) {
          const n = await store.purgeEvents(T, range, 40);
          expect(n).toBeLessThanOrEqual(40);
          if (n === 0) break;
          total += n;
        }
        expect(total).toBe(expected);
        const left = await store.readBySeq(T, 0, 1000, 1000);
        expect(left.map((r) => r.seq)).toEqual([...Array(300).keys()].filter((i) => !(i < 250 && i % 100 < 50)));
        expect(await store.treeHead(T)).toEqual(head);
        expect(await store.readTiles(T, keys)).toEqual(tilesBefore);
        expect(await store.purgeEvents('purge-other', { beforeUs: T0, belowSeq: 10 }, 10)).toBe(0);
        expect(await store.purgeEvents('nobody', range, 10)).toBe(0);
        expect((await store.readBySeq('purge-other', 0, 10, 10)).length).toBe(1);
        // The append-only guard is back once the purge is over.
        await expect(h.exec('DELETE FROM events')).rejects.toThrow(/append-only/);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    // Summaries (Store.summarize) against a reference, on a fresh store of their own.
    describeSummaryContract(name, create);
  });
}
