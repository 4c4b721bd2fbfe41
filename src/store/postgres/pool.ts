import pg from 'pg';

const INT8_OID = 20;

/**
 * bigint columns (seq, occurred_us, sizes) as JS numbers: every value Vigil stores in one is below
 * 2^53 (microsecond times until the year 2255, sequence numbers), so nothing is rounded.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PoolOptions {
  url: string;
  /** Connections kept open at most. */
  size: number;
}

/**
 * A connection pool that recovers by itself: a connection that fails is dropped, and the next
 * request opens a new one. Waiting for a connection is bounded, so a database that does not
 * answer turns into an error (VIGIL_ERR_UNAVAILABLE) instead of a request that hangs.
 */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.size,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'vigil',
    keepAlive: true,
    // Vigil's statements are short and index-driven; JIT compiling them costs more than it saves
    // (a 5,000-id lookup paid ~100 ms of JIT for 1 ms of work). A transaction left idle by a
    // stuck process would hold its tenants' head locks: the server ends it after a minute, and a
    // writer waits at most 30 s for a lock before answering 503.
    options: '-c jit=off -c idle_in_transaction_session_timeout=60000 -c lock_timeout=30000',
    types,
  });
  // An idle connection that dies (server restart, pg_terminate_backend) is reported here; the pool
  // has already dropped it, and the next query reports any outage to its caller.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction on one connection: COMMIT when it resolves, rolled back when it throws. */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  });
}

/**
 * Runs `fn` on one connection of the pool. A connection that fails is destroyed rather than put
 * back (destroying it also rolls back whatever transaction was open on it).
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection lost between two queries is reported as an 'error' event, not to any query:
  // the next query on it fails, which is where the caller hears of it.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  try {
    const result = await fn(client);
    client.off('error', ignore);
    client.release();
    return result;
  } catch (err) {
    client.off('error', ignore);
    client.release(err instanceof Error ? err : true);
    throw err;
  }
}
