/**
 * The event: what a producer sends (`EventInput`), what Vigil keeps (`StoredEvent`).
 *
 * `StoredEvent` is the exact object whose RFC 8785 canonical JSON is stored and hashed into the
 * tenant's Merkle log; nothing may be added to it after sealing (see `seal.ts`).
 */

export const LOGS = ['audit', 'request', 'user', 'mcp'] as const;
export type LogName = (typeof LOGS)[number];

export const ACTOR_TYPES = ['user', 'service_account', 'api_key', 'agent', 'group', 'system', 'anonymous'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const SOURCES = ['dashboard', 'api', 'cli', 'sdk', 'agent', 'mcp_proxy', 'system'] as const;
export type Source = (typeof SOURCES)[number];

export const CRUDS = ['create', 'read', 'update', 'delete', 'other'] as const;
export type Crud = (typeof CRUDS)[number];

export const CLIENT_KINDS = ['browser', 'cli', 'sdk', 'mcp', 'other'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export type ContextValue = string | number | boolean;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface Actor {
  type: ActorType;
  id: string;
  name?: string;
  email?: string;
}

export interface Resource {
  type: string;
  id?: string;
  name?: string;
  path?: string;
}

export interface Outcome {
  success: boolean;
  status?: number | null;
  error_code?: string | null;
  reason?: string | null;
}

export interface RequestInfo {
  id?: string;
  method?: string;
  path?: string;
  duration_ms?: number;
}

export interface ClientInfo {
  ip?: string;
  user_agent?: string;
  /** Added by the server from `user_agent`. */
  kind?: ClientKind;
  /** Added by the server: a readable name such as "Chrome 131 on macOS", "CLI", "MCP / Python". */
  name?: string;
}

export interface Change {
  field: string;
  old?: JsonValue;
  new?: JsonValue;
}

/** What a producer sends. Validated by `validate.ts`; every field but `action` and `actor` is optional. */
export interface EventInput {
  id?: string;
  tenant?: string;
  log?: LogName;
  action: string;
  category?: string;
  occurred_at?: string;
  actor: Actor;
  resource?: Resource;
  source?: Source;
  service?: string;
  environment?: string;
  outcome?: Outcome;
  request?: RequestInfo;
  client?: ClientInfo;
  session_id?: string;
  changes?: Change[];
  context?: Record<string, ContextValue>;
}

/**
 * An event as Vigil keeps it: the input, normalised and redacted, plus what the server adds.
 * Times are RFC 3339 UTC strings with exactly six fractional digits (microseconds).
 */
export interface StoredEvent {
  id: string;
  tenant: string;
  seq: number;
  log: LogName;
  action: string;
  category: string;
  crud: Crud;
  occurred_at: string;
  received_at: string;
  actor: Actor;
  resource?: Resource;
  source?: Source;
  service?: string;
  environment?: string;
  outcome: Outcome;
  request?: RequestInfo;
  client?: ClientInfo;
  session_id?: string;
  changes?: Change[];
  context?: Record<string, ContextValue>;
  /** JSON paths whose values were replaced by redaction markers, e.g. `changes[0].new`. */
  redactions?: string[];
}

/**
 * An event that passed validation and redaction and waits to be sequenced: everything of
 * `StoredEvent` except `seq` and `received_at`, which the store assigns inside its transaction.
 */
export type PreparedEvent = Omit<StoredEvent, 'seq' | 'received_at'>;

/** A stored event as read back, with the hash of its leaf in the tenant's Merkle log. */
export interface ReadEvent extends StoredEvent {
  leaf_hash?: string;
}
