import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describePostgres, type TestDatabase } from '../../../test/support/postgres.js';
import { integerArray } from './array-literal.js';

describePostgres('integerArray: integer array parameters as PostgreSQL reads them', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('round-trips smallint, int and bigint arrays, negatives, the largest safe integer and the empty array', async () => {
    const big = [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0];
    const { rows } = await client.query<{ s: number[]; i: number[]; b: string[]; e: number[] }>(
      'SELECT $1::smallint[] AS s, $2::int[] AS i, $3::bigint[] AS b, $4::int[] AS e',
      [integerArray([1, -2, 32767]), integerArray([7, 2147483647]), integerArray(big), integerArray([])],
    );
    expect(rows[0]).toEqual({ s: [1, -2, 32767], i: [7, 2147483647], b: big.map(String), e: [] });
  });

  it('unnests row by row like the driver-encoded arrays it replaces', async () => {
    const { rows } = await client.query<{ a: number; b: number }>('SELECT * FROM unnest($1::int[], $2::int[]) AS u(a, b)', [
      integerArray([1, 2, 3]),
      integerArray([10, 20, 30]),
    ]);
    expect(rows).toEqual([
      { a: 1, b: 10 },
      { a: 2, b: 20 },
      { a: 3, b: 30 },
    ]);
  });
});

it('refuses what is not a safe integer, naming it, rather than sending a malformed array', () => {
  for (const bad of [1.5, Number.NaN, Infinity, 2 ** 53, undefined as unknown as number]) {
    expect(() => integerArray([1, bad])).toThrow(`not an integer for an integer array: ${bad}`);
  }
});
