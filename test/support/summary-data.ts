import type { Actor, PreparedEvent, Resource } from '../../src/domain/event.js';
import { preparedEvent } from './events.js';

/** A small seeded PRNG (mulberry32), so generated data sets are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ALICE: Actor = { type: 'user', id: 'u_alice', name: 'Alice', email: 'alice@acme.example' };
export const CI_KEY: Actor = { type: 'api_key', id: 'k_ci', name: 'ci' };
export const BOT: Actor = { type: 'agent', id: 'ag_bot', name: 'deploy-bot' };
const ACTORS: Actor[] = [
  ALICE,
  { type: 'user', id: 'u_bob', name: 'Bob', email: 'bob@acme.example' },
  CI_KEY,
  BOT,
  { type: 'service_account', id: 'sa_sync', name: 'sync' },
  { type: 'user', id: 'u_dave', name: 'Dave' },
];
const ACTIONS: [string, string][] = [
  ['secret.read', 'secrets'],
  ['secret.update', 'secrets'],
  ['SECRET_SET', 'secrets'],
  ['policy.denied', 'policy'],
  ['user.login', 'auth'],
  ['mcp.tools.call', 'mcp'],
  ['project.update', 'projects'],
];
const RESOURCES: (Resource | undefined)[] = [
  { type: 'secret', id: 'sec_1', name: 'DB_PASSWORD', path: 'prod/db/password' },
  { type: 'secret', path: 'prod/api/token', name: 'API_TOKEN' },
  { type: 'connector', id: 'c_1', name: 'Salesforce' },
  undefined,
];
const LOG_NAMES = ['audit', 'request', 'user', 'mcp'] as const;
const SOURCES = ['dashboard', 'api', 'cli', 'agent', undefined] as const;
const SERVICES = ['github', 'slack', undefined] as const;
const ENVIRONMENTS = ['production', 'staging', undefined] as const;

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/**
 * `count` varied events of `tenant` at random times in [fromUs, toUs), in time order. Alice's
 * email changes half-way, so labels must come from her latest event.
 */
export function randomEvents(seed: number, tenant: string, count: number, fromUs: number, toUs: number): PreparedEvent[] {
  const random = seededRandom(seed);
  const times = Array.from({ length: count }, () => fromUs + Math.floor(random() * (toUs - fromUs))).sort((a, b) => a - b);
  const middle = (fromUs + toUs) / 2;
  return times.map((atUs) => {
    const [action, category] = pick(random, ACTIONS);
    let actor = pick(random, ACTORS);
    if (actor === ALICE && atUs > middle) actor = { ...ALICE, email: 'alice@new.example' };
    const success = random() > 0.15;
    const resource = pick(random, RESOURCES);
    const source = pick(random, SOURCES);
    const service = pick(random, SERVICES);
    const environment = pick(random, ENVIRONMENTS);
    return preparedEvent({
      tenant,
      atUs,
      log: pick(random, LOG_NAMES),
      action,
      category,
      actor,
      resource,
      outcome: success ? { success, status: 200 } : { success, status: pick(random, [403, 429, 500]) },
      ...(source ? { source } : {}),
      ...(service ? { service } : {}),
      ...(environment ? { environment } : {}),
    });
  });
}

/** `perDay[d]` reads of `actor` on each day d (UTC, from `firstDayUs`), at random times within the day. */
export function dailyReads(seed: number, tenant: string, actor: Actor, firstDayUs: number, perDay: readonly number[]): PreparedEvent[] {
  const random = seededRandom(seed);
  const day = 86_400e6;
  return perDay.flatMap((n, d) =>
    Array.from({ length: n }, () =>
      preparedEvent({ tenant, actor, action: 'secret.read', atUs: firstDayUs + d * day + Math.floor(random() * day) }),
    ),
  );
}
