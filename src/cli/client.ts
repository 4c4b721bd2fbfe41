/** A small client of the Vigil HTTP API for the CLI (Node's global fetch). */

export interface ClientOptions {
  /** Base URL such as http://localhost:8080. */
  url: string;
  /** An API key (`vk_…`). */
  key: string | undefined;
}

export interface ApiIssue {
  path: string;
  message: string;
}

/** An error answer of the API, or a failure to reach it. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly issues: ApiIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class ApiClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  /** Sends a request; resolves with the parsed JSON answer, rejects with ApiError. */
  async request<T>(method: string, path: string, init: { body?: unknown; query?: URLSearchParams; headers?: Record<string, string> } = {}): Promise<T> {
    const response = await this.fetch(method, path, init.query, init);
    const text = await response.text();
    const json = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!response.ok) throw fromErrorBody(response.status, json);
    return json as T;
  }

  /** Sends a request and returns the response as is (for streamed answers); rejects with ApiError only when the server cannot be reached. */
  async fetch(method: string, path: string, query?: URLSearchParams, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
    if (!this.options.key) throw new ApiError('no API key: pass --key or set VIGIL_KEY', 0, 'CLI');
    const search = query && [...query].length > 0 ? `?${query}` : '';
    try {
      return await fetch(`${this.base}${path}${search}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.key}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new ApiError(`cannot reach ${this.base}: ${cause}`, 0, 'CLI');
    }
  }
}

/** The ApiError of an error answer's status and JSON body. */
export function fromErrorBody(status: number, json: unknown): ApiError {
  const error = (json as { error?: { code?: string; message?: string; issues?: ApiIssue[] } } | undefined)?.error;
  return new ApiError(error?.message ?? `HTTP ${status}`, status, error?.code ?? `HTTP_${status}`, error?.issues ?? []);
}

/** An API error as lines for the terminal: the message, then one line per issue. */
export function describeError(err: ApiError): string {
  const head = err.code === 'CLI' ? err.message : `${err.code} (${err.status}): ${err.message}`;
  return [head, ...err.issues.slice(0, 20).map((i) => `  ${i.path}: ${i.message}`)].join('\n');
}
