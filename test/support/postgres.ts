import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import pg from 'pg';
import { describe } from 'vitest';

/** The server the PostgreSQL tests use; each test file creates and drops its own databases there. */
export const TEST_DATABASE_URL = process.env.VIGIL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Why the server cannot be used, or null when it answers. */
async function unreachableReason(): Promise<string | null> {
  try {
    await withAdmin((c) => c.query('SELECT 1'));
    return null;
  } catch (err) {
    return err instanceof Error ? err.message || err.constructor.name : String(err);
  }
}

const reason = await unreachableReason();

/**
 * `describe` when the test server answers. When it does not: in CI (CI set) the suite fails,
 * loudly; elsewhere it is skipped with a message saying why and how to start the server.
 */
export function describePostgres(name: string, body: () => void): void {
  if (reason === null) {
    describe(name, body);
    return;
  }
  const message = `PostgreSQL at ${TEST_DATABASE_URL} is unreachable (${reason})`;
  if (process.env.CI) throw new Error(`${message}; CI requires it (set VIGIL_TEST_DATABASE_URL or start the server)`);
  console.warn(
    `SKIPPED "${name}": ${message}. Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
  );
  describe.skip(name, body);
}

export interface TestDatabase {
  /** URL of the new, empty database. */
  url: string;
  /** Drops it, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** A new empty database on the test server, named `vigil_test_<random>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A TCP proxy on 127.0.0.1 in front of the test server, to cut and restore the database link. */
export interface TcpProxy {
  /** URL of `database` through the proxy. */
  url(database: string): string;
  /** Stops listening and cuts every open connection (the database "goes away"). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(): Promise<TcpProxy> {
  const target = new URL(TEST_DATABASE_URL);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return {
    url(database) {
      const url = new URL(database);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut: stop,
    restore: () => listen(port),
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
