import { VigilError } from '../../domain/errors.js';

/**
 * SQLSTATEs that mean "the database cannot take this now" rather than "this request is wrong":
 * connection exceptions (class 08), insufficient resources (53: too many clients, disk full),
 * operator intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 starting up),
 * system errors (58), a lock not had within lock_timeout (55P03) and the two transaction
 * rollbacks that a retry resolves (40001, 40P01).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|58|57P0[1-3]|55P03|40001|40P01)/;

/** Socket errors of Node and the messages pg uses when a connection drops or cannot be had. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE = /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable/i;

/** SQLSTATEs for which the whole write transaction is simply tried again. */
const RETRY_SQLSTATE = new Set(['40001', '40P01']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when `err` says the database is unreachable or refusing work for now. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof VigilError) return err.code === 'VIGIL_ERR_UNAVAILABLE';
  const code = codeOf(err);
  if (code !== undefined && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
  // AggregateError (a connect to several addresses) carries the socket errors inside.
  if (err instanceof AggregateError) return err.errors.some(isUnavailable);
  return err instanceof Error && UNAVAILABLE_MESSAGE.test(err.message);
}

/** True for a serialization failure or deadlock: nothing was stored and a new attempt may pass. */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && RETRY_SQLSTATE.has(code);
}

/** Turns unavailability errors into VIGIL_ERR_UNAVAILABLE (HTTP 503); other errors pass unchanged. */
export function translate(err: unknown): unknown {
  if (err instanceof VigilError || !isUnavailable(err)) return err;
  const code = codeOf(err);
  const detail = code ?? (err instanceof Error ? err.message : String(err));
  return new VigilError('VIGIL_ERR_UNAVAILABLE', `database unavailable (${detail}); retry later`);
}

/** Runs a database call, rejecting with VIGIL_ERR_UNAVAILABLE when the database cannot answer. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translate(err);
  }
}
