/**
 * The benchmark's data set: a seeded stream of realistic events, as producers send them to
 * `POST /v1/events`. 100 tenants of Zipf-distributed volume (population.ts), the four logs, the
 * seed products' actions in their own spellings, 90 days of history with office hours and quiet
 * weekends, ~10% failures and denials with reasons, addresses from each tenant's offices and CI
 * ranges (and a few from nowhere known), real user agents, and field changes on updates.
 *
 * The stream is generated as it is consumed (never held in memory) and is the same for the same
 * options: event i is the i-th draw of one seeded generator, and times increase with i (with a
 * few seconds of producer jitter), so the last events of the stream are the most recent.
 */
import { classifyAction } from '../src/domain/catalogue.js';
import type { Change, ContextValue, EventInput, LogName, Outcome } from '../src/domain/event.js';
import { formatMicros } from '../src/domain/time.js';
import { Population, type ActorKind, type ActorProfile, type ResourceKind, type Style, type TenantProfile } from './population.js';
import { pick, seeded, Weighted, type Random } from './random.js';

export const HOUR_US = 3_600e6;
export const DAY_US = 86_400e6;

export interface DatasetOptions {
  seed: number;
  events: number;
  tenants: number;
  days: number;
  /** The end of the history (exclusive), microseconds. */
  endUs: number;
}

/** An event as sent, with the fields the benchmark always fills in. */
export type BenchEvent = EventInput & { tenant: string; occurred_at: string; outcome: Outcome; log: LogName };

/** What a producer does, before its product names it. */
type Op =
  | 'secret_read' | 'secret_list' | 'secret_set' | 'secret_create' | 'secret_delete' | 'secret_rotate'
  | 'project_update' | 'member_invite' | 'member_role' | 'key_create' | 'key_revoke' | 'setting_update'
  | 'connector_update' | 'policy_update' | 'variable_set' | 'cert_issue' | 'lease_create'
  | 'login' | 'logout' | 'mfa' | 'session_refresh'
  | 'agent_access' | 'token_refresh' | 'policy_denied'
  | 'mcp_initialize' | 'mcp_tools_list' | 'mcp_tools_call'
  | 'api_request';

interface OpSpec {
  log: LogName;
  resource: ResourceKind | null;
  /** Chance of failing (policy.denied always fails). */
  fails: number;
}

const OPS: Record<Op, OpSpec> = {
  secret_read: { log: 'audit', resource: 'secret', fails: 0.09 },
  secret_list: { log: 'audit', resource: 'secret', fails: 0.05 },
  secret_set: { log: 'audit', resource: 'secret', fails: 0.06 },
  secret_create: { log: 'audit', resource: 'secret', fails: 0.04 },
  secret_delete: { log: 'audit', resource: 'secret', fails: 0.05 },
  secret_rotate: { log: 'audit', resource: 'secret', fails: 0.05 },
  project_update: { log: 'audit', resource: 'project', fails: 0.04 },
  member_invite: { log: 'audit', resource: 'member', fails: 0.03 },
  member_role: { log: 'audit', resource: 'member', fails: 0.05 },
  key_create: { log: 'audit', resource: 'api_key', fails: 0.03 },
  key_revoke: { log: 'audit', resource: 'api_key', fails: 0.03 },
  setting_update: { log: 'audit', resource: 'setting', fails: 0.05 },
  connector_update: { log: 'audit', resource: 'connector', fails: 0.06 },
  policy_update: { log: 'audit', resource: 'policy', fails: 0.04 },
  variable_set: { log: 'audit', resource: 'project', fails: 0.04 },
  cert_issue: { log: 'audit', resource: 'certificate', fails: 0.06 },
  lease_create: { log: 'audit', resource: 'lease', fails: 0.06 },
  login: { log: 'user', resource: null, fails: 0.15 },
  logout: { log: 'user', resource: null, fails: 0 },
  mfa: { log: 'user', resource: null, fails: 0.1 },
  session_refresh: { log: 'user', resource: null, fails: 0.04 },
  agent_access: { log: 'audit', resource: 'secret', fails: 0.11 },
  token_refresh: { log: 'audit', resource: 'connector', fails: 0.08 },
  policy_denied: { log: 'audit', resource: 'secret', fails: 1 },
  mcp_initialize: { log: 'mcp', resource: null, fails: 0.03 },
  mcp_tools_list: { log: 'mcp', resource: null, fails: 0.02 },
  mcp_tools_call: { log: 'mcp', resource: 'connector', fails: 0.12 },
  api_request: { log: 'request', resource: 'secret', fails: 0.12 },
};

/** Each product's spelling of each operation; what a product does not name falls back to `dotted`. */
const NAMES: Record<Style, Partial<Record<Op, string>>> = {
  upper: {
    secret_read: 'SECRET_READ', secret_list: 'SECRET_LIST', secret_set: 'SECRET_SET', secret_create: 'SECRET_SET',
    secret_delete: 'SECRET_DELETE', secret_rotate: 'SECRET_SET', project_update: 'PROJECT_UPDATE', member_invite: 'TEAM_INVITE',
    member_role: 'TEAM_ROLE_CHANGE', key_create: 'API_KEY_CREATE', key_revoke: 'API_KEY_REVOKE', variable_set: 'VARIABLE_SET',
    login: 'USER_LOGIN', logout: 'USER_LOGOUT', mfa: 'USER_2FA_ENABLE',
  },
  dotted: {
    secret_read: 'secret.read', secret_list: 'secret.list', secret_set: 'secret.update', secret_create: 'secret.create',
    secret_delete: 'secret.delete', secret_rotate: 'secret.rotate', project_update: 'project.update', member_invite: 'member.invited',
    member_role: 'member.role_changed', key_create: 'api_key.created', key_revoke: 'api_key.revoked', setting_update: 'setting.updated',
    connector_update: 'connector.updated', policy_update: 'policy.updated', variable_set: 'variable.set', cert_issue: 'certificate.issued',
    lease_create: 'lease.created', login: 'user.login', logout: 'user.logout', mfa: 'user.2fa.enable', session_refresh: 'session.refreshed',
    agent_access: 'agent.access', token_refresh: 'token.refresh', policy_denied: 'policy.denied', mcp_initialize: 'mcp.initialize',
    mcp_tools_list: 'mcp.tools.list', mcp_tools_call: 'mcp.tools.call', api_request: 'api.request',
  },
  agentvault: { secret_read: 'secret.access', secret_set: 'secret.updated', secret_create: 'secret.created', secret_delete: 'secret.deleted' },
  scaivault: {
    secret_read: 'read', secret_list: 'list', secret_set: 'write', secret_create: 'write', secret_delete: 'delete', secret_rotate: 'rotate',
    policy_update: 'policy_update', cert_issue: 'pki_issue', lease_create: 'dynamic_generate',
  },
  krosyn: {
    secret_create: 'secret.created', secret_set: 'secret.updated', secret_delete: 'secret.deleted', connector_update: 'connector.updated',
    setting_update: 'organization_setting.updated', member_role: 'member.updated', member_invite: 'member.invited',
  },
};

/** Every action name the data set uses. */
export const ACTION_NAMES: readonly string[] = [...new Set(Object.values(NAMES).flatMap((names) => Object.values(names)))].sort();

/** The action names whose catalogue verb is `read` (the baseline has no `crud` column to filter on). */
export const READ_ACTIONS: readonly string[] = ACTION_NAMES.filter((name) => classifyAction(name).crud === 'read');

function actionName(style: Style, op: Op): string {
  return NAMES[style][op] ?? NAMES.dotted[op]!;
}

/** What each kind of actor does, and how often. */
const BEHAVIOUR: Record<ActorKind, Weighted<Op>> = {
  user: new Weighted<Op>([
    ['secret_read', 30], ['secret_list', 8], ['secret_set', 6], ['secret_create', 2], ['secret_delete', 1], ['secret_rotate', 1],
    ['project_update', 2], ['member_invite', 1], ['member_role', 1], ['key_create', 0.5], ['key_revoke', 0.3], ['setting_update', 0.5],
    ['connector_update', 1], ['policy_update', 0.5], ['variable_set', 1], ['login', 8], ['logout', 4], ['mfa', 0.3],
    ['session_refresh', 3], ['api_request', 18], ['policy_denied', 0.5],
  ]),
  api_key: new Weighted<Op>([['secret_read', 55], ['secret_list', 8], ['secret_set', 6], ['secret_rotate', 1], ['api_request', 30]]),
  service_account: new Weighted<Op>([
    ['secret_read', 50], ['secret_list', 6], ['secret_set', 4], ['lease_create', 3], ['cert_issue', 2], ['api_request', 30],
  ]),
  agent: new Weighted<Op>([
    ['agent_access', 35], ['secret_read', 10], ['policy_denied', 8], ['mcp_tools_call', 30], ['mcp_initialize', 3],
    ['mcp_tools_list', 4], ['token_refresh', 8], ['api_request', 2],
  ]),
};

const FAILURES = new Weighted<[number, string, string]>([
  [[403, 'forbidden', 'policy:prod-readers'], 4], [[403, 'forbidden', 'ip_not_allowed'], 1], [[403, 'forbidden', 'insufficient_scope'], 2],
  [[401, 'unauthenticated', 'expired_token'], 2], [[429, 'rate_limited', 'rate_limit'], 1], [[404, 'not_found', 'not_found'], 2],
  [[500, 'internal', 'upstream_timeout'], 0.3],
]);
const DENIALS = new Weighted<[number, string]>([[[403, 'time_window'], 4], [[429, 'rate_limit'], 2], [[403, 'policy:no-prod-for-agents'], 3], [[403, 'ip_not_allowed'], 1]]);
const METHODS = new Weighted<string>([['GET', 70], ['POST', 15], ['PUT', 8], ['DELETE', 4], ['PATCH', 3]]);
const SERVICES = ['github', 'slack', 'openai', 'stripe', 'aws', 'linear', 'notion', 'gcp'];
const TOOLS = ['github.create_issue', 'slack.post_message', 'linear.create_ticket', 'notion.search', 'stripe.list_charges'];
const ROLES = ['viewer', 'developer', 'admin', 'owner'];

/** Events per hour of the week, relative: office hours busy, nights and weekends quiet. */
function hourWeight(hourOfHistory: number, startDay: number): number {
  const day = (startDay + Math.floor(hourOfHistory / 24)) % 7; // 0 = Thursday for the epoch; 2, 3 = Saturday, Sunday
  const hour = hourOfHistory % 24;
  const weekend = day === 2 || day === 3;
  const base = hour >= 8 && hour < 18 ? 3 : hour >= 6 && hour < 22 ? 1.2 : 0.4;
  return weekend ? base * 0.35 : base;
}

/**
 * Maps the i-th of n events to a time: the history's hours get shares of the events in proportion
 * to their weight, and within an hour events are spread evenly. Increasing in i.
 */
class Timeline {
  private readonly cumulative: Float64Array;
  private readonly startUs: number;

  constructor(options: DatasetOptions) {
    const hours = options.days * 24;
    this.startUs = options.endUs - options.days * DAY_US;
    const startDay = Math.floor(this.startUs / DAY_US);
    this.cumulative = new Float64Array(hours);
    let total = 0;
    for (let h = 0; h < hours; h++) this.cumulative[h] = total += hourWeight(h, startDay);
    for (let h = 0; h < hours; h++) this.cumulative[h]! /= total;
  }

  at(q: number): number {
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! <= q) lo = mid + 1;
      else hi = mid;
    }
    const before = lo === 0 ? 0 : this.cumulative[lo - 1]!;
    const within = (q - before) / (this.cumulative[lo]! - before);
    return this.startUs + lo * HOUR_US + Math.floor(within * HOUR_US);
  }
}

/** The investigations' subjects: the largest tenant's busiest secret, user, key and agent. */
export interface Subjects {
  tenant: string;
  secretPath: string;
  userEmail: string;
  /** `api-key:<name>` and the address blocks the tenant knows it from. */
  apiKey: string;
  knownCidrs: string[];
  agent: string;
  pathPrefix: string;
  /** Start of the 10-minute incident window. */
  incidentUs: number;
}

export class Dataset {
  readonly population: Population;
  private readonly timeline: Timeline;

  constructor(readonly options: DatasetOptions) {
    this.population = new Population(options.seed, options.tenants, options.events);
    this.timeline = new Timeline(options);
  }

  get largest(): TenantProfile {
    return this.population.tenants[0]!;
  }

  subjects(): Subjects {
    const t = this.largest;
    const first = (kind: ActorKind) => t.actors.find((a) => a.kind === kind)!;
    const incidentDay = Math.floor(this.options.endUs / DAY_US) * DAY_US - 3 * DAY_US;
    return {
      tenant: t.name,
      secretPath: t.resources.secret.items[0]!.resource.path!,
      userEmail: first('user').actor.email!,
      apiKey: first('api_key').display,
      knownCidrs: t.knownCidrs,
      agent: first('agent').display,
      pathPrefix: 'prod/payments/',
      incidentUs: incidentDay + 14 * HOUR_US + 25 * 60e6,
    };
  }

  /** Events `from` ≤ i < `to` of the stream (the generator replays the draws before `from`). */
  *events(from = 0, to = this.options.events): Generator<BenchEvent> {
    const random = seeded(this.options.seed);
    const n = this.options.events;
    for (let i = 0; i < to; i++) {
      const event = this.event(random, (i + 0.5) / n);
      if (i >= from) yield event;
    }
  }

  private event(random: Random, q: number): BenchEvent {
    const population = this.population;
    const tenant = population.tenants[population.tenantZipf.draw(random)]!;
    const profile = tenant.actors[tenant.actorZipf.draw(random)]!;
    const op = BEHAVIOUR[profile.kind].draw(random);
    const spec = OPS[op];
    // Producers report a few seconds late, so arrival order is almost, not exactly, time order.
    const atUs = this.timeline.at(q) - Math.floor(random() * 3e6);
    const alt = random() < 0.25;
    const event: BenchEvent = {
      tenant: tenant.name,
      log: spec.log,
      action: actionName(tenant.style, op),
      occurred_at: formatMicros(atUs),
      actor: profile.actor,
      source: op.startsWith('mcp_') ? 'mcp_proxy' : alt ? profile.altSource : profile.source,
      outcome: outcome(random, op, spec),
      client: { ip: address(random, profile), user_agent: alt ? profile.altUserAgent : profile.userAgent },
    };
    if (spec.resource) {
      const pool = tenant.resources[spec.resource];
      const item = pool.items[pool.zipf.draw(random)]!;
      event.resource = item.resource;
      if (item.environment) event.environment = item.environment;
    }
    if (op === 'api_request' || profile.kind === 'api_key' || profile.kind === 'service_account') {
      const method = op === 'api_request' ? METHODS.draw(random) : 'GET';
      event.request = { id: `req_${randomHex(random)}`, method, path: `/v1/secrets/${event.resource?.path ?? 'list'}`, duration_ms: Math.round(random() * 8000 + 40) / 100 };
    }
    if (profile.kind === 'user' || op.startsWith('mcp_')) {
      event.session_id = `s_${tenant.index}_${profile.actor.id}_${Math.floor(atUs / (8 * HOUR_US))}`;
    }
    if (profile.kind === 'agent' || op === 'connector_update' || op === 'token_refresh') event.service = pick(random, SERVICES);
    const changes = changesOf(random, op);
    if (changes) event.changes = changes;
    const context = contextOf(random, op);
    if (context) event.context = context;
    return event;
  }
}

function randomHex(random: Random): string {
  return Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0') + Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0');
}

function outcome(random: Random, op: Op, spec: OpSpec): Outcome {
  if (op === 'policy_denied') {
    const [status, reason] = DENIALS.draw(random);
    return { success: false, status, error_code: 'policy_denied', reason };
  }
  if (random() < spec.fails) {
    const [status, code, reason] = FAILURES.draw(random);
    return { success: false, status, error_code: code, reason };
  }
  return { success: true, status: op.endsWith('create') || op === 'cert_issue' || op === 'lease_create' ? 201 : 200 };
}

/** Mostly the actor's usual block; sometimes the tenant's VPN or another office; rarely anywhere (IPv4 or IPv6). */
function address(random: Random, profile: ActorProfile): string {
  const r = random();
  const host = 1 + Math.floor(random() * 254);
  if (r < 0.9) return `${profile.home}.${host}`;
  if (r < 0.97) return `10.${Math.floor(random() * 250)}.${Math.floor(random() * 250)}.${host}`;
  if (r < 0.99) return `${100 + Math.floor(random() * 120)}.${Math.floor(random() * 250)}.${Math.floor(random() * 250)}.${host}`;
  return `2001:db8:${Math.floor(random() * 65535).toString(16)}::${host.toString(16)}`;
}

function changesOf(random: Random, op: Op): Change[] | undefined {
  const n = () => 1 + Math.floor(random() * 20);
  switch (op) {
    case 'secret_set':
    case 'secret_rotate': {
      const version = n();
      const changes: Change[] = [{ field: 'version', old: version, new: version + 1 }];
      if (random() < 0.3) changes.push({ field: 'rotation_days', old: 30, new: 90 });
      return changes;
    }
    case 'secret_create':
      return [{ field: 'version', new: 1 }, { field: 'rotation_days', new: 30 }];
    case 'secret_delete':
      return [{ field: 'version', old: n() }];
    case 'member_role': {
      const from = Math.floor(random() * ROLES.length);
      return [{ field: 'role', old: ROLES[from]!, new: ROLES[(from + 1) % ROLES.length]! }];
    }
    case 'connector_update': {
      const changes: Change[] = [{ field: 'retries', old: 3, new: 5 }, { field: 'timeout_ms', old: 5000, new: n() * 1000 }];
      // Now and then a producer sends a credential in a change: Vigil must redact it.
      if (random() < 0.05) changes.push({ field: 'api_token', old: `xoxb-${randomHex(random)}-${randomHex(random)}`, new: `xoxb-${randomHex(random)}-${randomHex(random)}` });
      return changes;
    }
    case 'setting_update':
      return [{ field: 'session_timeout_minutes', old: 30, new: 60 }];
    case 'policy_update':
      return [{ field: 'rules', old: ['read:prod/*'], new: ['read:prod/*', 'deny:prod/payments/*'] }];
    case 'project_update':
      return [{ field: 'description', old: 'Payments service', new: 'Payments and billing service' }];
    default:
      return undefined;
  }
}

function contextOf(random: Random, op: Op): Record<string, ContextValue> | undefined {
  switch (op) {
    case 'secret_rotate':
      return { rotation_reason: random() < 0.8 ? 'scheduled' : 'suspected_leak', automatic: true };
    case 'mcp_tools_call':
      return { tool: pick(random, TOOLS), arguments_bytes: Math.floor(random() * 4000) };
    case 'login':
      return { method: random() < 0.7 ? 'sso' : 'password', mfa: random() < 0.8 };
    default:
      return undefined;
  }
}
