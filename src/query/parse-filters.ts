import { invalid, type FieldIssue } from '../domain/errors.js';
import { ACTOR_TYPES, CRUDS, LOGS, SOURCES, type ActorType, type Crud, type LogName, type Source } from '../domain/event.js';
import type { EventFilter, Order } from '../domain/filter.js';
import { parseRangeMicros, parseTimeMicros } from '../domain/time.js';
import { ipRange } from './ip-range.js';

/** A query string as Fastify parses it: repeated parameters arrive as arrays. */
export type RawQuery = Record<string, unknown>;

/** A read request, validated: what to match, in which order, how many, where to resume. */
export interface ParsedQuery {
  filter: EventFilter;
  order: Order;
  limit: number;
  cursor?: string;
  /** The tenant a platform key names (`tenant=`); checked against the key by auth. */
  tenant?: string;
  /** The relative range as written (`7d`), when the time window came from `range=`. */
  range?: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Values one parameter may carry (repeated or comma-separated). */
export const MAX_VALUES = 100;
/** Characters in one filter value. */
export const MAX_VALUE_LENGTH = 2048;

/** Older names some host products use, accepted as synonyms. */
const ALIASES: Record<string, string> = { identity_id: 'actor_id', identity_type: 'actor_type', source_ip: 'ip' };

interface Draft {
  filter: EventFilter;
  order: Order;
  limit: number;
  cursor?: string;
  tenant?: string;
  range?: string;
  from?: number;
  to?: number;
}

/** Reports a problem with a value of the parameter being read. */
type Report = (message: string) => void;

interface Param {
  /** Several values allowed (OR), repeated or comma-separated. */
  multi: boolean;
  /** One line for OpenAPI and the CLI's help. */
  doc: string;
  apply(values: string[], draft: Draft, report: Report): void;
}

const list = <K extends keyof EventFilter>(key: K, doc: string, check?: (v: string) => string | null): Param => ({
  multi: true,
  doc,
  apply(values, draft, report) {
    const bad = check ? values.filter((v) => check(v) !== null) : [];
    for (const v of bad) report(check!(v)!);
    if (bad.length === 0) (draft.filter[key] as unknown) = values;
  },
});

const oneOf = <T extends string>(allowed: readonly T[]) => (v: string): string | null =>
  (allowed as readonly string[]).includes(v) ? null : `"${v}" is not one of ${allowed.join(', ')}`;

const text = (key: 'resource' | 'pathPrefix' | 'q', doc: string): Param => ({
  multi: false,
  doc,
  apply([v], draft) {
    draft.filter[key] = v!;
  },
});

/** Every query parameter the read endpoints take, by name. */
const PARAMS: Record<string, Param> = {
  from: { multi: false, doc: 'Inclusive lower bound on occurred_at, RFC 3339.', apply: ([v], d, report) => (d.from = time(v!, report)) },
  to: { multi: false, doc: 'Exclusive upper bound on occurred_at, RFC 3339.', apply: ([v], d, report) => (d.to = time(v!, report)) },
  range: {
    multi: false,
    doc: 'Relative window ending now: 24h, 7d, 30d, 90d, any Nm/Nh/Nd.',
    apply([v], d, report) {
      if (parseRangeMicros(v!) === null) report(`"${v}" is not a range such as 24h, 7d, 30d, 90d or 15m`);
      else d.range = v!;
    },
  },
  log: list('log', `${LOGS.join(', ')}; absent: all four.`, oneOf<LogName>(LOGS)),
  category: list('category', 'Category such as secrets, policy, vigil.'),
  action: {
    multi: true,
    doc: 'Exact action, or a prefix ending in * (secret.*).',
    apply(values, d, report) {
      const exact = values.filter((v) => !v.endsWith('*'));
      const prefixes = values.filter((v) => v.endsWith('*')).map((v) => v.slice(0, -1));
      for (const v of [...exact, ...prefixes]) if (v.includes('*')) report(`"${v}": "*" is allowed only at the end`);
      if (prefixes.includes('')) report('"*" alone matches everything; leave action out instead');
      if (exact.length) d.filter.action = exact;
      if (prefixes.length) d.filter.actionPrefix = prefixes;
    },
  },
  crud: list('crud', CRUDS.join(', '), oneOf<Crud>(CRUDS)),
  actor: list('actor', 'Actor email, name, api-key:<name> or agent:<name> (case-insensitive).'),
  actor_id: list('actorId', 'Exact actor id (alias identity_id).'),
  actor_type: list('actorType', `${ACTOR_TYPES.join(', ')} (alias identity_type).`, oneOf<ActorType>(ACTOR_TYPES)),
  resource_type: list('resourceType', 'Exact resource type.'),
  resource_id: list('resourceId', 'Exact resource id.'),
  resource: text('resource', 'Substring of resource name, id or path (case-insensitive).'),
  path_prefix: text('pathPrefix', 'Resources whose path starts with this.'),
  source: list('source', SOURCES.join(', '), oneOf<Source>(SOURCES)),
  service: list('service', 'Service such as github, openai.'),
  environment: list('environment', 'Environment such as production.'),
  success: {
    multi: false,
    doc: 'true or false.',
    apply([v], d, report) {
      if (v === 'true' || v === 'false') d.filter.success = v === 'true';
      else report(`"${v}" is not true or false`);
    },
  },
  status: {
    multi: true,
    doc: 'HTTP status (403) or class (4xx).',
    apply(values, d, report) {
      for (const v of values) {
        if (/^[1-5]xx$/i.test(v)) (d.filter.statusClass ??= []).push(Number(v[0]));
        else if (/^[1-5]\d\d$/.test(v)) (d.filter.status ??= []).push(Number(v));
        else report(`"${v}" is not an HTTP status (such as 403) or class (such as 4xx)`);
      }
    },
  },
  method: {
    multi: true,
    doc: 'HTTP method.',
    apply(values, d, report) {
      const bad = values.filter((v) => !/^[A-Za-z]{1,32}$/.test(v));
      for (const v of bad) report(`"${v}" is not an HTTP method`);
      d.filter.method = values.map((v) => v.toUpperCase());
    },
  },
  ip: ipParam('ip', 'Client address or CIDR block (alias source_ip).'),
  not_ip: ipParam('notIp', 'Excludes these addresses or CIDR blocks; events without an ip do not match.'),
  request_id: list('requestId', 'Exact request id.'),
  session_id: list('sessionId', 'Exact session id.'),
  q: text('q', 'Free text over action, actor, resource and reason.'),
  limit: {
    multi: false,
    doc: 'Page size, 1 to 1000; default 100.',
    apply([v], d, report) {
      const n = /^\d{1,5}$/.test(v!) ? Number(v) : NaN;
      if (n >= 1 && n <= MAX_LIMIT) d.limit = n;
      else report(`must be an integer from 1 to ${MAX_LIMIT}, got "${v}"`);
    },
  },
  cursor: { multi: false, doc: 'next_cursor of the previous page (same filters, order and tenant).', apply: ([v], d) => (d.cursor = v!) },
  order: {
    multi: false,
    doc: 'desc (newest first, default) or asc.',
    apply([v], d, report) {
      if (v === 'asc' || v === 'desc') d.order = v;
      else report(`"${v}" is not desc or asc`);
    },
  },
  tenant: { multi: false, doc: 'The tenant to read; required with a platform key.', apply: ([v], d) => (d.tenant = v!) },
};

/** One parameter `parseQuery` accepts, for OpenAPI, docs and the CLI's flags. */
export interface QueryParameter {
  name: string;
  multi: boolean;
  doc: string;
  /** The parameter this one is another name for. */
  aliasOf?: string;
}

export const QUERY_PARAMETERS: readonly QueryParameter[] = [
  ...Object.entries(PARAMS).map(([name, p]) => ({ name, multi: p.multi, doc: p.doc })),
  ...Object.entries(ALIASES).map(([name, of]) => ({ name, multi: PARAMS[of]!.multi, doc: `Alias of ${of}.`, aliasOf: of })),
];

function ipParam(key: 'ip' | 'notIp', doc: string): Param {
  return {
    multi: true,
    doc,
    apply(values, d, report) {
      const ranges = values.map((v) => ipRange(v));
      ranges.forEach((r, i) => r === null && report(`"${values[i]}" is not an IP address or CIDR block`));
      if (ranges.every((r) => r !== null)) d.filter[key] = ranges;
    },
  };
}

function time(text: string, report: Report): number | undefined {
  const us = parseTimeMicros(text);
  if (us === null) report(`"${text}" is not an RFC 3339 time such as 2026-11-21T14:30:00Z`);
  return us ?? undefined;
}

/**
 * Parses the query string of a read (`GET /v1/audit/logs` and the trails) into a filter.
 * Every problem is reported at once, each naming its parameter; unknown parameters are refused
 * rather than ignored, so a typo never silently widens a query. `nowUs` anchors `range=`.
 */
export function parseQuery(raw: RawQuery, nowUs: number): ParsedQuery {
  const issues: FieldIssue[] = [];
  const draft: Draft = { filter: {}, order: 'desc', limit: DEFAULT_LIMIT };
  for (const [name, values] of collectValues(raw, issues)) {
    const report: Report = (message) => issues.push({ path: name, message });
    PARAMS[name]!.apply(values, draft, report);
  }
  resolveWindow(draft, nowUs, issues);
  if (issues.length > 0) throw invalid(issues);
  return {
    filter: normalise(draft.filter),
    order: draft.order,
    limit: draft.limit,
    ...(draft.cursor === undefined ? {} : { cursor: draft.cursor }),
    ...(draft.tenant === undefined ? {} : { tenant: draft.tenant }),
    ...(draft.range === undefined ? {} : { range: draft.range }),
  };
}

/** Values per known parameter (aliases folded in), after the checks every parameter shares. */
function collectValues(raw: RawQuery, issues: FieldIssue[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const unknown = Object.keys(raw).filter((name) => !(name in PARAMS) && !(name in ALIASES));
  if (unknown.length > 0) {
    issues.push({ path: unknown.join(', '), message: `unknown query parameter${unknown.length > 1 ? 's' : ''}` });
  }
  for (const [given, value] of Object.entries(raw)) {
    const name = ALIASES[given] ?? given;
    const param = PARAMS[name];
    if (!param || value === undefined) continue;
    const texts = (Array.isArray(value) ? value : [value]).map(String);
    const values = param.multi ? texts.flatMap((t) => t.split(',')) : texts;
    const problem = checkValues(values, param.multi);
    if (problem) issues.push({ path: given, message: problem });
    else out.set(name, [...(out.get(name) ?? []), ...values]);
  }
  return out;
}

function checkValues(values: string[], multi: boolean): string | null {
  if (!multi && values.length > 1) return 'takes one value';
  if (values.length > MAX_VALUES) return `takes at most ${MAX_VALUES} values`;
  if (values.some((v) => v.length === 0)) return 'must not be empty';
  if (values.some((v) => v.length > MAX_VALUE_LENGTH)) return `values are limited to ${MAX_VALUE_LENGTH} characters`;
  return null;
}

function resolveWindow(draft: Draft, nowUs: number, issues: FieldIssue[]): void {
  if (draft.range !== undefined) {
    if (draft.from !== undefined || draft.to !== undefined) {
      issues.push({ path: 'range', message: 'cannot be combined with from or to' });
      return;
    }
    draft.filter.fromUs = nowUs - parseRangeMicros(draft.range)!;
    return;
  }
  if (draft.from !== undefined && draft.to !== undefined && draft.to <= draft.from) {
    issues.push({ path: 'to', message: 'must be later than from' });
  }
  if (draft.from !== undefined) draft.filter.fromUs = draft.from;
  if (draft.to !== undefined) draft.filter.toUs = draft.to;
}

/** Sorts and de-duplicates every list, so that equal queries are equal as data (cursor binding). */
function normalise(filter: EventFilter): EventFilter {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filter)) {
    out[key] = Array.isArray(value) ? dedupe(value) : value;
  }
  return out as EventFilter;
}

function dedupe(values: unknown[]): unknown[] {
  const byKey = new Map(values.map((v) => [JSON.stringify(v), v]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k));
}
