/**
 * Calls to the Vigil API from the dashboard. The session cookie (httpOnly) authenticates; the
 * page never sees a key. Requests that change state carry the CSRF header the server requires.
 */
import type { Change, StoredEvent } from '../../src/domain/event.js';

export type { Change, StoredEvent };

/** The CSRF header of `src/http/routes/session.ts`. */
const CSRF_HEADER = 'X-Vigil-CSRF';

/** Who is signed in (`GET /v1/session`). */
export interface SessionView {
  name: string;
  role: string;
  /** `null`: a platform key; every read names a tenant. */
  tenant: string | null;
  expires_at: string;
}

/** A page of `GET /v1/audit/logs`. */
export interface EventPage {
  data: StoredEvent[];
  next_cursor: string | null;
}

/** One entry of a summary group (`groups.action[i]`…). */
export interface SummaryGroupEntry {
  key: string;
  label: string;
  count: number;
  failures: number;
  failure_rate: number;
}

/**
 * `GET /v1/audit/summary` as docs/api.md documents it (the server's type is `SummaryResponse`
 * of src/query/summary.ts, which the browser build cannot import: it pulls in server code).
 */
export interface SummaryResponse {
  from: string;
  to: string;
  total: number;
  failures: number;
  failure_rate: number;
  buckets?: { start: string; count: number; failures: number }[];
  groups: Partial<Record<'action' | 'actor' | 'service' | 'environment' | 'resource' | 'category' | 'source' | 'outcome' | 'log', SummaryGroupEntry[]>>;
  baselines?: { actor: string; actor_id: string; today: number; mean: number; stddev: number; z: number; flagged: boolean }[];
}

/** A failed call, as the API's `{error: {code, message, issues}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let onUnauthenticated: () => void = () => {};

/** Called when any call answers 401: the session ended, so the app shows the sign-in form. */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Do not report a 401 to the app (checking whether a session exists). */
  quiet401?: boolean;
}

export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers[CSRF_HEADER] = '1';
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (response.status === 204) return undefined as T;
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    if (response.status === 401 && !options.quiet401) onUnauthenticated();
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText);
  }
  return json as T;
}

/** `?a=1&b=2` for a path, or nothing when there are no parameters. */
export function withQuery(path: string, query: URLSearchParams): string {
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
