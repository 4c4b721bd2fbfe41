/**
 * One registry of coded errors. Every error Vigil returns over HTTP is a `VigilError` with one of
 * these codes; docs/api.md lists them all (a test checks that it does).
 */
export const ERRORS = {
  VIGIL_ERR_VALIDATION: { status: 400, title: 'Invalid input' },
  VIGIL_ERR_BAD_CURSOR: { status: 400, title: 'Invalid cursor' },
  VIGIL_ERR_UNAUTHENTICATED: { status: 401, title: 'Missing or invalid API key' },
  VIGIL_ERR_FORBIDDEN: { status: 403, title: 'Not allowed for this key' },
  VIGIL_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  VIGIL_ERR_CONFLICT: { status: 409, title: 'Event id reused with other content' },
  VIGIL_ERR_TOO_LARGE: { status: 413, title: 'Request or event too large' },
  VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  VIGIL_ERR_INTERNAL: { status: 500, title: 'Internal error' },
  VIGIL_ERR_UNAVAILABLE: { status: 503, title: 'Storage unavailable; nothing was stored, retry' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** One problem with one field of the input: `path` is a JSON path such as `events[3].actor.id`. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues?: FieldIssue[];

  constructor(code: ErrorCode, message: string, issues?: FieldIssue[]) {
    super(message);
    this.name = 'VigilError';
    this.code = code;
    this.status = ERRORS[code].status;
    if (issues) this.issues = issues;
  }
}

/** What an error says: its code, message and field issues (as answered, and as it crosses threads). */
export interface ErrorDetail {
  code: ErrorCode;
  message: string;
  issues?: FieldIssue[];
}

export function errorDetail(err: VigilError): ErrorDetail {
  return { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) };
}

/** The error a detail describes (an Error's own fields do not cross threads; its detail does). */
export function fromErrorDetail({ code, message, issues }: ErrorDetail): VigilError {
  return new VigilError(code, message, issues);
}

/** A 400 naming the fields that were wrong. */
export function invalid(issues: FieldIssue[]): VigilError {
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid input';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new VigilError('VIGIL_ERR_VALIDATION', summary + more, issues);
}
