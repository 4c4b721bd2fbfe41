import { describe, expect, it } from 'vitest';
import { VigilError } from '../src/domain/errors.js';
import { isRetryable, translate } from '../src/store/postgres/errors.js';

const withCode = (code: string, message = `error ${code}`) => Object.assign(new Error(message), { code });

describe('PostgreSQL errors as Vigil errors', () => {
  it.each([
    ['admin shutdown', withCode('57P01')],
    ['server starting up', withCode('57P03')],
    ['too many clients', withCode('53300')],
    ['disk full', withCode('53100')],
    ['connection failure', withCode('08006')],
    ['lock timeout', withCode('55P03')],
    ['deadlock (after its retries)', withCode('40P01')],
    ['connection refused', withCode('ECONNREFUSED')],
    ['connection reset', withCode('ECONNRESET')],
    ['every address refused', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
    ['connection dropped', new Error('Connection terminated unexpectedly')],
    ['pool wait timed out', new Error('timeout exceeded when trying to connect')],
  ])('%s → VIGIL_ERR_UNAVAILABLE (503)', (_name, err) => {
    const out = translate(err);
    expect(out).toBeInstanceOf(VigilError);
    expect((out as VigilError).code).toBe('VIGIL_ERR_UNAVAILABLE');
    expect((out as VigilError).status).toBe(503);
  });

  it.each([
    ['unique violation', withCode('23505')],
    ['bad uuid text', withCode('22P02')],
    ['a bug', new TypeError('x is undefined')],
  ])('%s passes unchanged', (_name, err) => {
    expect(translate(err)).toBe(err);
  });

  it('retries only deadlocks and serialization failures', () => {
    expect(isRetryable(withCode('40P01'))).toBe(true);
    expect(isRetryable(withCode('40001'))).toBe(true);
    expect(isRetryable(withCode('57P01'))).toBe(false);
    expect(isRetryable(new Error('x'))).toBe(false);
  });
});
