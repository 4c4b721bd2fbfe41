import type { Crud, LogName } from './event.js';

/**
 * A parsed, validated query over one tenant's events. Every list is an OR of its values; the
 * fields are ANDed. Produced by `query/parse-filters.ts` from the query string; translated to SQL
 * by each store. Pure data: no store-specific parts.
 */
export interface EventFilter {
  /** Inclusive lower bound on occurred_at, microseconds. */
  fromUs?: number;
  /** Exclusive upper bound on occurred_at, microseconds. */
  toUs?: number;
  log?: LogName[];
  category?: string[];
  /** Exact actions. */
  action?: string[];
  /** Action prefixes, from `action=secret.*` (stored without the `*`). */
  actionPrefix?: string[];
  crud?: Crud[];
  /** Matches actor email, name, or `api-key:<name>` / `agent:<name>` display, case-insensitive. */
  actor?: string[];
  actorId?: string[];
  actorType?: string[];
  resourceType?: string[];
  resourceId?: string[];
  /** Case-insensitive substring of resource name, id or path. */
  resource?: string;
  /** Exact resource path or name (the secret trail `/v1/audit/secrets/{path}`). */
  resourcePath?: string[];
  pathPrefix?: string;
  source?: string[];
  service?: string[];
  environment?: string[];
  success?: boolean;
  /** Exact statuses, and classes such as 4 for `4xx`. */
  status?: number[];
  statusClass?: number[];
  method?: string[];
  /** Addresses and CIDR ranges, each as an inclusive range of 16-byte IPv6 (IPv4-mapped) keys. */
  ip?: IpRange[];
  requestId?: string[];
  sessionId?: string[];
  /** Free text over action, actor, resource and reason (case-insensitive substring). */
  q?: string;
  /**
   * Excludes events whose client ip lies in any of these ranges; events without an ip do not
   * match. Answers "what did this key do from addresses we do not know" in one call.
   */
  notIp?: IpRange[];
  /**
   * One identity named however the caller knows it: exact actor id, or any of the actor's
   * aliases (`actorAliases`: email, name, display), case-insensitively. Used by the identity
   * trail when the id is an email, e.g. `/v1/audit/identities/user:person@acme.example`.
   */
  actorIdOrAlias?: string[];
}

export interface IpRange {
  /** 32 hex characters. */
  lo: string;
  hi: string;
}

export type Order = 'desc' | 'asc';

/** A position in a tenant's log for keyset pagination: the last event returned. */
export interface CursorPosition {
  occurredUs: number;
  seq: number;
}

export interface EventQuery {
  tenant: string;
  filter: EventFilter;
  order: Order;
  limit: number;
  /** Resume strictly after this position in `order`. */
  after?: CursorPosition;
}
