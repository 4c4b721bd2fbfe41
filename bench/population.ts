/**
 * Who and what exists in the benchmark's world: 100 tenants of Zipf-distributed size, each with
 * its users, API keys, agents and service accounts (Zipf-distributed activity), its secrets and
 * other resources (Zipf-distributed popularity), its office and CI address blocks, and the
 * product whose action names it uses (the five seed products). Every trait is a pure function of
 * the seed and the entity's rank, so the same seed builds the same world.
 */
import { actorDisplay } from '../src/domain/actor.js';
import type { Actor, Resource, Source } from '../src/domain/event.js';
import { hash32, hexId, Zipf } from './random.js';

/** The five seed products' ways of naming actions (docs/actions.md). */
export const STYLES = ['upper', 'dotted', 'agentvault', 'scaivault', 'krosyn'] as const;
export type Style = (typeof STYLES)[number];

export type ActorKind = 'user' | 'api_key' | 'agent' | 'service_account';

export interface ActorProfile {
  kind: ActorKind;
  actor: Actor;
  /** How the `actor` filter names it: email, `api-key:<name>` or `agent:<name>`. */
  display: string;
  /** Its usual user agent and the source that goes with it. */
  userAgent: string;
  source: Source;
  /** A second, occasional user agent (a user's CLI, an agent's MCP proxy). */
  altUserAgent: string;
  altSource: Source;
  /** Its usual address block, as the first three octets (a /24) of an IPv4 address. */
  home: string;
}

export type ResourceKind = 'secret' | 'project' | 'member' | 'api_key' | 'connector' | 'policy' | 'certificate' | 'lease' | 'setting';

export interface ResourceProfile {
  resource: Resource;
  /** For secrets: the environment the path names (`production`, `staging`, `development`). */
  environment?: string;
}

/** A pool of resources of one kind, with Zipf popularity. */
export interface ResourcePool {
  items: ResourceProfile[];
  zipf: Zipf;
}

export interface TenantProfile {
  index: number;
  name: string;
  style: Style;
  /** Expected share of all events. */
  share: number;
  actors: ActorProfile[];
  actorZipf: Zipf;
  resources: Record<ResourceKind, ResourcePool>;
  /** The tenant's two office blocks (/24) and its CI and cloud ranges, as CIDRs: its known addresses. */
  knownCidrs: string[];
}

const COMPANIES = [
  'acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne',
  'soylent', 'vandelay', 'dunder', 'pied-piper', 'aperture', 'black-mesa', 'massive', 'oscorp', 'gringotts', 'monarch',
  'nakatomi', 'virtucon', 'weyland', 'yoyodyne', 'zorg', 'bluth', 'contoso', 'fabrikam', 'northwind', 'tailspin',
  'litware', 'adventure', 'proseware', 'wingtip', 'woodgrove', 'fourth-coffee', 'lucerne', 'margie', 'alpine', 'blue-yonder',
];
const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'yara', 'zoe', 'omar', 'priya', 'chen', 'fatima', 'lars', 'ines', 'kenji'];
const LAST = ['smith', 'jones', 'garcia', 'nguyen', 'müller', 'rossi', 'kowalski', 'okafor', 'tanaka', 'silva', 'dubois', 'khan', 'larsen', 'haddad', 'novak', 'park'];
const KEY_NAMES = ['ci-deploy', 'terraform', 'k8s-sync', 'backup-job', 'github-actions', 'argo-cd', 'bi-export', 'etl-nightly', 'jenkins', 'render-hook'];
const AGENT_NAMES = ['claude-bot', 'cursor-agent', 'devin', 'support-copilot', 'triage-agent', 'sre-assistant', 'release-bot'];
const SERVICE_ACCOUNTS = ['payments-api', 'billing-worker', 'search-indexer', 'auth-service', 'notifier', 'ledger', 'scheduler'];
const APPS = ['payments', 'db', 'auth', 'search', 'billing', 'web', 'api', 'ml', 'queue', 'cache', 'email', 'analytics'];
const SECRET_NAMES = [
  'DB_PASSWORD', 'STRIPE_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'OPENAI_API_KEY', 'JWT_SIGNING_KEY', 'REDIS_URL',
  'SENDGRID_API_KEY', 'GITHUB_TOKEN', 'SLACK_WEBHOOK_URL', 'DATADOG_API_KEY', 'SENTRY_DSN', 'TWILIO_AUTH_TOKEN', 'ANTHROPIC_API_KEY',
];
const CONNECTORS = ['Slack', 'GitHub', 'Jira', 'Salesforce', 'Stripe', 'Zendesk', 'HubSpot', 'Linear', 'Notion', 'PagerDuty'];
const POLICIES = ['prod-readers', 'deny-outside-hours', 'no-prod-for-agents', 'ci-only', 'break-glass', 'pii-guard'];
const SETTINGS = ['session_timeout_minutes', 'sso_enforced', 'ip_allowlist', 'mfa_required', 'audit_retention_days', 'default_role'];
/** First octets of public-looking IPv4 blocks. */
const PUBLIC_OCTETS = [23, 34, 35, 44, 52, 54, 63, 64, 66, 72, 81, 85, 91, 98, 104, 109, 128, 141, 151, 159, 176, 185, 193, 195, 212, 213];

export const BROWSER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];
const CLI_AGENTS = ['infisical-cli/0.31.1', 'vault/1.15.2 (+https://www.vaultproject.io/; go1.21.3)', 'secryn-cli/2.4.0 (linux; amd64)', 'curl/8.5.0', 'terraform/1.9.5'];
const SDK_AGENTS = ['python-requests/2.31.0', 'Go-http-client/1.1', 'axios/1.7.7', 'secryn-sdk-node/3.2.1 node/20.11.0', 'Boto3/1.34.0 Python/3.12.1'];
const MCP_AGENTS = ['mcp-python-client/1.2.0', 'claude-code/1.0.44', 'Cursor/0.42.3', 'mcp-typescript-sdk/1.0.3 node/20.12.0'];

/** The CI provider's range every tenant's keys run from (known to every tenant). */
export const CI_CIDR = '140.82.112.0/20';

const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, Math.round(n)));
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function tenantName(index: number): string {
  const base = COMPANIES[index % COMPANIES.length]!;
  return index < COMPANIES.length ? base : `${base}-${Math.floor(index / COMPANIES.length) + 1}`;
}

/** The world of one seed: `tenants` tenants sized for `events` events in all. */
export class Population {
  readonly tenants: TenantProfile[];
  readonly tenantZipf: Zipf;

  constructor(
    readonly seed: number,
    tenants: number,
    events: number,
  ) {
    this.tenantZipf = new Zipf(tenants, 1.0);
    this.tenants = Array.from({ length: tenants }, (_, i) => this.tenant(i, this.tenantZipf.share(i) * events));
  }

  private tenant(index: number, expected: number): TenantProfile {
    const name = tenantName(index);
    const h = hash32(this.seed, index, 0x7e);
    const office = (k: number) => `${PUBLIC_OCTETS[(h >>> (k * 5)) % PUBLIC_OCTETS.length]!}.${(h >>> (8 + k * 3)) % 250}.${(index * 7 + k * 101) % 250}`;
    const homes = { office: [office(0), office(1)], ci: '140.82', cloud: `3.${index % 250}`, internal: `10.${index % 250}` };
    const actorCount = clamp(expected / 25, 12, 20_000);
    const actors = Array.from({ length: actorCount }, (_, rank) => this.actor(index, name, rank, homes));
    const sized = (per: number, lo: number, hi: number) => clamp(expected / per, lo, hi);
    const resources = {} as Record<ResourceKind, ResourcePool>;
    const pool = (kind: ResourceKind, count: number) => {
      const items = this.resources(index, name, kind, count);
      resources[kind] = { items, zipf: new Zipf(items.length, 1.0) };
    };
    pool('secret', sized(15, 10, 40_000));
    for (const kind of ['project', 'member', 'api_key', 'connector', 'policy', 'certificate', 'lease', 'setting'] as const) {
      pool(kind, sized(400, 3, 2_000));
    }
    return {
      index,
      name,
      style: STYLES[index % STYLES.length]!,
      share: this.tenantZipf.share(index),
      actors,
      actorZipf: new Zipf(actors.length, 1.1),
      resources,
      knownCidrs: [`${homes.office[0]}.0/24`, `${homes.office[1]}.0/24`, CI_CIDR, `${homes.cloud}.0.0/16`, '10.0.0.0/8'],
    };
  }

  /** Rank 0 is the tenant's busiest actor: its CI key; ranks 1–3 a user, an agent, a service account. */
  private actor(tenant: number, tenantName: string, rank: number, homes: { office: string[]; ci: string; cloud: string; internal: string }): ActorProfile {
    const h = hash32(this.seed, tenant, rank, 0xac);
    const kind: ActorKind =
      rank < 4 ? (['api_key', 'user', 'agent', 'service_account'] as const)[rank]! : h % 100 < 66 ? 'user' : h % 100 < 78 ? 'api_key' : h % 100 < 90 ? 'agent' : 'service_account';
    const id = hexId(10, this.seed, tenant, rank);
    const octet = (k: number) => (h >>> k) % 250;
    let actor: Actor;
    let profile: Omit<ActorProfile, 'kind' | 'actor' | 'display'>;
    switch (kind) {
      case 'user': {
        const first = FIRST[h % FIRST.length]!;
        const last = LAST[(h >>> 8) % LAST.length]!;
        actor = { type: 'user', id: `u_${id}`, name: `${capital(first)} ${capital(last)}`, email: `${first}.${last.replace('ü', 'ue')}${rank}@${tenantName}.example` };
        profile = {
          userAgent: BROWSER_AGENTS[(h >>> 16) % BROWSER_AGENTS.length]!, source: 'dashboard',
          altUserAgent: CLI_AGENTS[(h >>> 20) % CLI_AGENTS.length]!, altSource: 'cli',
          home: homes.office[h % 2]!,
        };
        break;
      }
      case 'api_key': {
        actor = { type: 'api_key', id: `key_${id}`, name: `${KEY_NAMES[h % KEY_NAMES.length]}-${rank}` };
        profile = {
          userAgent: SDK_AGENTS[(h >>> 16) % SDK_AGENTS.length]!, source: 'api',
          altUserAgent: CLI_AGENTS[(h >>> 20) % CLI_AGENTS.length]!, altSource: 'cli',
          home: h % 3 === 0 ? `${homes.cloud}.${octet(9)}` : `${homes.ci}.${112 + (h % 16)}`,
        };
        break;
      }
      case 'agent': {
        actor = { type: 'agent', id: `ag_${id}`, name: `${AGENT_NAMES[h % AGENT_NAMES.length]}-${rank}` };
        profile = {
          userAgent: MCP_AGENTS[(h >>> 16) % MCP_AGENTS.length]!, source: 'agent',
          altUserAgent: MCP_AGENTS[(h >>> 20) % MCP_AGENTS.length]!, altSource: 'mcp_proxy',
          home: `${homes.cloud}.${octet(9)}`,
        };
        break;
      }
      case 'service_account': {
        const name = `${SERVICE_ACCOUNTS[h % SERVICE_ACCOUNTS.length]}-${rank}`;
        actor = { type: 'service_account', id: `sa_${name}`, name };
        profile = {
          userAgent: SDK_AGENTS[(h >>> 16) % SDK_AGENTS.length]!, source: 'sdk',
          altUserAgent: SDK_AGENTS[(h >>> 20) % SDK_AGENTS.length]!, altSource: 'api',
          home: `${homes.internal}.${octet(9)}`,
        };
        break;
      }
    }
    return { kind, actor, display: actorDisplay(actor), ...profile };
  }

  private resources(tenant: number, tenantName: string, kind: ResourceKind, count: number): ResourceProfile[] {
    const taken = new Set<string>();
    return Array.from({ length: count }, (_, rank) => {
      const h = hash32(this.seed, tenant, rank, kind.length, kind.charCodeAt(0));
      const id = hexId(10, this.seed, tenant, rank, kind.charCodeAt(1));
      if (kind === 'secret') return this.secret(h, rank, id, taken);
      const named = (type: string, prefix: string, name: string): ResourceProfile => ({ resource: { type, id: `${prefix}_${id}`, name } });
      switch (kind) {
        case 'project': return named('project', 'proj', `${APPS[h % APPS.length]}-${rank}`);
        case 'member': return named('member', 'mem', `${FIRST[h % FIRST.length]}.${rank}@${tenantName}.example`);
        case 'api_key': return named('api_key', 'key', `${KEY_NAMES[h % KEY_NAMES.length]}-${rank}`);
        case 'connector': return named('connector', 'conn', `${CONNECTORS[h % CONNECTORS.length]} ${rank}`);
        case 'policy': return named('policy', 'pol', `${POLICIES[h % POLICIES.length]}-${rank}`);
        case 'certificate': return named('certificate', 'cert', `${APPS[h % APPS.length]}-${rank}.${tenantName}.example`);
        case 'lease': return named('lease', 'lease', `database/creds/${APPS[h % APPS.length]}-${rank}`);
        case 'setting': return named('setting', 'set', SETTINGS[rank % SETTINGS.length]!);
      }
    });
  }

  /** Secret 0 is `prod/payments/…`: the busiest secret lives under the path prefix the benchmark queries. */
  private secret(h: number, rank: number, id: string, taken: Set<string>): ResourceProfile {
    const env = rank === 0 ? 0 : h % 10 < 5 ? 0 : h % 10 < 8 ? 1 : 2;
    const app = rank === 0 ? 'payments' : APPS[(h >>> 4) % APPS.length]!;
    const name = SECRET_NAMES[(h >>> 12) % SECRET_NAMES.length]!;
    let path = `${['prod', 'staging', 'dev'][env]}/${app}/${name.toLowerCase()}`;
    if (taken.has(path)) path = `${path}_${rank}`;
    taken.add(path);
    return { resource: { type: 'secret', id: `sec_${id}`, name, path }, environment: ['production', 'staging', 'development'][env]! };
  }
}
