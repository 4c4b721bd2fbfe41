import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from '../src/domain/errors.js';
import type { PreparedEvent } from '../src/domain/event.js';
import type { EventFilter } from '../src/domain/filter.js';
import type { Store, SummaryCounts, SummaryQuery } from '../src/store/store.js';
import { DAY, MINUTE, T0, preparedEvent } from './support/events.js';
import { ALICE, BOT, CI_KEY, dailyReads, randomEvents, seededRandom } from './support/summary-data.js';
import { referenceSummary } from './support/summary-reference.js';

const HOUR = 60 * MINUTE;

/** What a store gives the summary contract: a fresh store and a way to release it. */
export interface SummaryHarness {
  store: Pick<Store, 'append' | 'summarize'>;
  destroy(): Promise<void>;
}

type Query = Omit<SummaryQuery, 'maxScanRows'>;

type Extra = Partial<Omit<Query, 'filter' | 'tenant'>> & { filter?: EventFilter };

const query = (tenant: string, fromUs: number, toUs: number, extra: Extra = {}): Query => {
  const { filter, ...rest } = extra;
  return { tenant, groupBy: [], top: 10, baseline: false, ...rest, filter: { ...filter, fromUs, toUs } };
};

function withoutPlan(counts: SummaryCounts): Omit<SummaryCounts, 'plan'> {
  const { plan: _plan, ...rest } = counts;
  return rest;
}

/**
 * `Store.summarize` (src/store/store.ts), run against every implementation: every answer is
 * checked against a simple reference computed from the events themselves, on the rollup path
 * and on the scan path.
 */
export function describeSummaryContract(name: string, create: () => Promise<SummaryHarness>): void {
  describe(`Summary contract: ${name}`, () => {
    let h: SummaryHarness;
    const stored: PreparedEvent[] = [];
    const append = async (events: PreparedEvent[]) => {
      for (let i = 0; i < events.length; i += 500) {
        const results = await h.store.append([{ events: events.slice(i, i + 500) }]);
        expect(results.every((r) => r.ok)).toBe(true);
      }
      stored.push(...events);
    };
    const summarize = (q: Query, maxScanRows = 1_000_000) => h.store.summarize({ ...q, maxScanRows });

    /** The store's answer on both paths equals the reference; returns the plan it chose by itself. */
    async function checkBothPaths(q: Query) {
      const expected = referenceSummary(stored, q);
      const auto = await summarize(q);
      const scan = await summarize({ ...q, plan: 'scan' });
      expect(withoutPlan(auto)).toEqual(expected);
      expect(withoutPlan(scan)).toEqual(expected);
      expect(scan.plan.counts).toBe('scan');
      return auto.plan;
    }

    beforeAll(async () => {
      h = await create();
    });
    afterAll(async () => {
      await h?.destroy();
    });

    describe('against the reference, on rollups and on a scan', () => {
      const T = 'sum-rand';
      const END = T0 + 10 * DAY;
      beforeAll(async () => {
        await append(randomEvents(1, T, 3000, T0, END));
        await append(randomEvents(2, 'sum-rand-other', 800, T0, END));
      });

      const ALL = ['action', 'category', 'actor', 'resource', 'outcome', 'source', 'service', 'environment', 'log'] as const;
      const ragged = { from: T0 + DAY + 17 * MINUTE + 3, to: T0 + 8 * DAY + 5 * HOUR + 59 * MINUTE };
      const cases: [string, Query, 'rollup' | 'scan'][] = [
        ['whole days, every group, day buckets, baselines', query(T, T0, END, { groupBy: [...ALL], bucket: 'day', top: 5, baseline: true }), 'rollup'],
        ['ragged edges, hour buckets', query(T, ragged.from, ragged.to, { groupBy: ['action', 'actor', 'outcome', 'log'], bucket: 'hour' }), 'rollup'],
        ['ragged edges, no buckets, every group', query(T, ragged.from, ragged.to, { groupBy: [...ALL], top: 3 }), 'rollup'],
        ['inside one hour, minute buckets', query(T, T0 + 2 * DAY + 10 * MINUTE, T0 + 2 * DAY + 40 * MINUTE, { groupBy: ['resource'], bucket: 'minute' }), 'scan'],
        ['inside one day, across hours', query(T, T0 + 3 * DAY + 2 * HOUR + 5, T0 + 3 * DAY + 20 * HOUR + 7, { groupBy: ['actor', 'source'], bucket: 'hour' }), 'rollup'],
        ['log and success', query(T, ragged.from, ragged.to, { filter: { log: ['audit', 'mcp'], success: false }, groupBy: ['action', 'category', 'service', 'log', 'outcome'], bucket: 'day' }), 'rollup'],
        ['successes only', query(T, ragged.from, ragged.to, { filter: { success: true }, groupBy: ['environment', 'outcome'] }), 'rollup'],
        ['its own dimension', query(T, ragged.from, ragged.to, { filter: { actionPrefix: ['secret.'], action: ['user.login'] }, groupBy: ['action', 'log', 'outcome'], bucket: 'hour' }), 'rollup'],
        ['actor ids with baselines', query(T, T0 + 4 * DAY, END - 3 * HOUR - 1, { filter: { actorId: ['u_alice', 'k_ci'] }, groupBy: ['actor'], baseline: true }), 'rollup'],
        ['a resource type, day buckets', query(T, ragged.from, ragged.to, { filter: { resourceType: ['secret'] }, groupBy: ['resource', 'outcome'], bucket: 'day' }), 'rollup'],
        ['a resource type, hour buckets (resources have no hour rows)', query(T, ragged.from, ragged.to, { filter: { resourceType: ['secret'] }, bucket: 'hour' }), 'scan'],
        ['a filter rollups cannot answer', query(T, ragged.from, ragged.to, { filter: { status: [403] }, groupBy: [...ALL], bucket: 'day', baseline: true }), 'scan'],
        ['two dimensions', query(T, ragged.from, ragged.to, { filter: { action: ['secret.read'], source: ['api', 'cli'] }, groupBy: ['actor'] }), 'scan'],
        ['a dimension grouped by another', query(T, ragged.from, ragged.to, { filter: { source: ['api'] }, groupBy: ['actor'] }), 'scan'],
        ['nothing matches', query(T, ragged.from, ragged.to, { filter: { action: ['no.such'] }, groupBy: ['action'], bucket: 'day', baseline: true }), 'rollup'],
      ];
      it.each(cases)('%s', async (_name, q, plan) => {
        expect((await checkBothPaths(q)).counts).toBe(plan);
      });

      it('answers groups by log, outcome and the filtered dimension from rollups, and baselines by actor', async () => {
        const plan = await checkBothPaths(query(T, T0, END, { filter: { actorId: ['u_bob'] }, groupBy: ['actor', 'log', 'outcome'], baseline: true }));
        expect(plan).toEqual({ counts: 'rollup', baselines: 'rollup' });
        const other = await checkBothPaths(query(T, T0, END, { filter: { category: ['secrets'] }, baseline: true }));
        expect(other).toEqual({ counts: 'rollup', baselines: 'scan' });
      });
    });

    it('counts a late event for a past day in the next summary, baselines and top actors included', async () => {
      const T = 'sum-late';
      const END = T0 + 12 * DAY;
      await append(randomEvents(4, T, 1200, T0, END));
      const q = query(T, T0 + DAY, END, { groupBy: ['actor', 'log'], bucket: 'day', baseline: true });
      const before = await summarize(q);
      expect(withoutPlan(before)).toEqual(referenceSummary(stored, q));
      // Days already summarised (and so kept in memory by a store that caches them) get new events.
      await append([
        ...Array.from({ length: 40 }, (_, i) => preparedEvent({ tenant: T, actor: ALICE, atUs: T0 + 3 * DAY + i * MINUTE })),
        preparedEvent({ tenant: T, actor: { type: 'user', id: 'u_late', name: 'Late' }, atUs: T0 + 5 * DAY + HOUR, outcome: { success: false, status: 403 } }),
      ]);
      const after = await summarize(q);
      expect(withoutPlan(after)).toEqual(referenceSummary(stored, q));
      expect(after.plan).toEqual({ counts: 'rollup', baselines: 'rollup' });
      expect(after.groups.actor).not.toEqual(before.groups.actor);
    });

    it('counts, failure rates and every bucket of the range, zeros included', async () => {
      const T = 'sum-buckets';
      await append([
        preparedEvent({ tenant: T, atUs: T0 + HOUR + 5 * MINUTE }),
        preparedEvent({ tenant: T, atUs: T0 + HOUR + 30 * MINUTE, outcome: { success: false, status: 403 } }),
        preparedEvent({ tenant: T, atUs: T0 + 3 * HOUR + 59 * MINUTE }),
        preparedEvent({ tenant: T, atUs: T0 + 5 * HOUR }),
      ]);
      const hourly = await summarize(query(T, T0, T0 + 5 * HOUR, { bucket: 'hour', groupBy: ['outcome'] }));
      expect(hourly.count).toBe(3);
      expect(hourly.failures).toBe(1);
      expect(hourly.buckets!.map((b) => [b.startUs - T0, b.count, b.failures])).toEqual([
        [0, 0, 0],
        [HOUR, 2, 1],
        [2 * HOUR, 0, 0],
        [3 * HOUR, 1, 0],
        [4 * HOUR, 0, 0],
      ]);
      expect(hourly.groups.outcome).toEqual([
        { key: 'success', label: 'success', count: 2, failures: 0 },
        { key: 'failure', label: 'failure', count: 1, failures: 1 },
      ]);
      const daily = await summarize(query(T, T0 + HOUR + 10 * MINUTE, T0 + DAY + 1, { bucket: 'day' }));
      expect(daily.buckets).toEqual([
        { startUs: T0, count: 3, failures: 1 },
        { startUs: T0 + DAY, count: 0, failures: 0 },
      ]);
    });

    it('keeps the top N by count, ties by key', async () => {
      const T = 'sum-top';
      const events = (action: string, n: number) => Array.from({ length: n }, () => preparedEvent({ tenant: T, action }));
      await append([...events('b.x', 3), ...events('c.x', 5), ...events('a.x', 3), ...events('d.x', 1)]);
      const counts = async (top: number) =>
        (await summarize(query(T, T0, T0 + HOUR, { groupBy: ['action'], top }))).groups.action!.map((g) => [g.key, g.count]);
      expect(await counts(3)).toEqual([
        ['c.x', 5],
        ['a.x', 3],
        ['b.x', 3],
      ]);
      expect(await counts(2)).toEqual([
        ['c.x', 5],
        ['a.x', 3],
      ]);
    });

    it('keys actors by id and labels them as people see them', async () => {
      const T = 'sum-actors';
      const dave = { type: 'user' as const, id: 'u_dave', name: 'Dave' };
      await append([
        preparedEvent({ tenant: T, actor: ALICE }),
        preparedEvent({ tenant: T, actor: ALICE }),
        preparedEvent({ tenant: T, actor: CI_KEY, resource: { type: 'secret', path: 'prod/x', name: 'X' } }),
        preparedEvent({ tenant: T, actor: BOT, resource: undefined }),
        preparedEvent({ tenant: T, actor: dave, resource: { type: 'connector', id: 'c_9', name: 'Jira' } }),
      ]);
      const s = await summarize(query(T, T0, T0 + HOUR, { groupBy: ['actor', 'resource'] }));
      expect(s.groups.actor!.map((g) => [g.key, g.label, g.count])).toEqual([
        ['u_alice', 'alice@acme.example', 2],
        ['ag_bot', 'agent:deploy-bot', 1],
        ['k_ci', 'api-key:ci', 1],
        ['u_dave', 'Dave', 1],
      ]);
      expect(s.groups.resource!.map((g) => [g.key, g.label, g.count])).toEqual([
        ['secret:sec_1', 'prod/db/password', 2],
        ['connector:c_9', 'Jira', 1],
        ['secret:prod/x', 'prod/x', 1],
      ]);
    });

    describe('baselines', () => {
      const T = 'sum-baseline';
      // The summary ends mid-day, so "today" straddles two UTC days.
      const TO = T0 + 31 * DAY + 12 * HOUR;
      const TODAY = TO - DAY;
      const FIRST_DAY = Math.floor(TODAY / DAY) * DAY - 30 * DAY;
      beforeAll(async () => {
        const random = seededRandom(7);
        const usual = () => Array.from({ length: 30 }, () => 4 + Math.floor(random() * 6));
        const bob = { type: 'user' as const, id: 'u_bob', email: 'bob@acme.example' };
        const today = (actor: typeof ALICE, n: number, action = 'secret.read') =>
          Array.from({ length: n }, (_, i) => preparedEvent({ tenant: T, actor, action, atUs: TODAY + 1 + Math.floor((i * 1000 * MINUTE) / n) }));
        await append([
          ...dailyReads(8, T, ALICE, FIRST_DAY, usual()),
          ...dailyReads(9, T, bob, FIRST_DAY, usual()),
          ...today(ALICE, 6),
          ...today(bob, 45),
          ...today(BOT, 12),
          ...today(CI_KEY, 3),
          ...today(ALICE, 50, 'secret.update'),
        ]);
      });

      it('flags an actor whose reads jump, and first-seen actors busy today', async () => {
        const q = query(T, TO - 7 * DAY, TO, { filter: { action: ['secret.read'] }, baseline: true });
        const s = await summarize(q);
        expect(s.plan.baselines).toBe('scan');
        const byActor = new Map(s.baselines!.map((b) => [b.actorId, b]));
        expect(byActor.get('u_bob')).toMatchObject({ label: 'bob@acme.example', today: 45, flagged: true });
        expect(byActor.get('u_bob')!.z).toBeGreaterThan(10);
        expect(byActor.get('ag_bot')).toMatchObject({ label: 'agent:deploy-bot', today: 12, mean: 0, stddev: 0, z: 12, flagged: true });
        expect(byActor.get('u_alice')).toMatchObject({ today: 6, flagged: false });
        expect(byActor.get('k_ci')).toMatchObject({ today: 3, flagged: false });
        expect(s.baselines!.map((b) => b.actorId)).toEqual(['u_bob', 'ag_bot', 'k_ci', 'u_alice']);
        expect(withoutPlan(s)).toEqual(referenceSummary(stored, q));
      });

      it('counts only the filtered events: without the filter, the updates make Alice stand out', async () => {
        const q = query(T, TO - 7 * DAY, TO, { baseline: true, top: 2 });
        const s = await summarize(q);
        expect(s.plan.baselines).toBe('rollup');
        expect(s.baselines!.map((b) => [b.actorId, b.today, b.flagged]).sort()).toEqual([
          ['u_alice', 56, true],
          ['u_bob', 45, true],
        ]);
        expect(withoutPlan(s)).toEqual(referenceSummary(stored, q));
      });
    });

    it('never counts another tenant’s events', async () => {
      const mk = (tenant: string, n: number) => Array.from({ length: n }, (_, i) => preparedEvent({ tenant, atUs: T0 + i * MINUTE, actor: i % 2 ? ALICE : BOT }));
      await append([...mk('sum-iso-a', 7), ...mk('sum-iso-b', 11)]);
      const q = (tenant: string) => query(tenant, T0, T0 + DAY, { groupBy: ['actor', 'action'], bucket: 'day', baseline: true });
      const a = await summarize(q('sum-iso-a'));
      expect(a.count).toBe(7);
      expect(a.groups.actor!.reduce((s, g) => s + g.count, 0)).toBe(7);
      expect(a.baselines!.reduce((s, b) => s + b.today, 0)).toBe(7);
      expect((await summarize({ ...q('sum-iso-a'), plan: 'scan' })).count).toBe(7);
      const nobody = await summarize(q('sum-nobody'));
      expect(withoutPlan(nobody)).toEqual({
        count: 0,
        failures: 0,
        buckets: [{ startUs: T0, count: 0, failures: 0 }],
        groups: { actor: [], action: [] },
        baselines: [],
      });
    });

    it('stores no rollups for a request refused as a conflict', async () => {
      const T = 'sum-conflict';
      const event = preparedEvent({ tenant: T });
      await append([event]);
      const [refused] = await h.store.append([{ events: [preparedEvent({ tenant: T }), { ...event, action: 'other.action' }] }]);
      expect(refused!.ok).toBe(false);
      const s = await summarize(query(T, T0, T0 + HOUR, { groupBy: ['action'] }));
      expect(s.plan.counts).toBe('rollup');
      expect(s.count).toBe(1);
      expect(s.groups.action).toEqual([{ key: 'secret.read', label: 'secret.read', count: 1, failures: 0 }]);
    });

    it('refuses, before reading, a scan larger than the cap, and says what to do', async () => {
      const T = 'sum-cap';
      await append(Array.from({ length: 30 }, (_, i) => preparedEvent({ tenant: T, atUs: T0 + i * MINUTE, outcome: { success: true, status: 200 + (i % 2) } })));
      const narrow = query(T, T0, T0 + DAY, { filter: { status: [200] } });
      const err = await summarize(narrow, 29).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('VIGIL_ERR_VALIDATION');
      expect((err as VigilError).issues![0]).toMatchObject({ path: 'from' });
      expect((err as VigilError).message).toMatch(/would read 30 events and at most 29/);
      expect((await summarize(narrow, 30)).count).toBe(15);
      // Rollups answer a time-only summary whatever the cap.
      expect((await summarize(query(T, T0, T0 + DAY), 1)).count).toBe(30);
    });
  });
}
