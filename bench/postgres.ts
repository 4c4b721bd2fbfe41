/** Throwaway PostgreSQL databases for the benchmark, created on the server and dropped after. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database `vigil_bench_<purpose>_<random>` on the server of `adminUrl`. */
export async function createDatabase(adminUrl: string, purpose: string): Promise<ThrowawayDatabase> {
  const name = `vigil_bench_${purpose}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A database name the benchmark may create and keep: `--database` (no quoting needed). */
const KEPT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The database `name` on the server of `adminUrl`, kept after the run (`--database`): created
 * empty when missing; `existed` says whether an earlier run had made it.
 */
export async function keptDatabase(adminUrl: string, name: string): Promise<{ url: string; existed: boolean }> {
  if (!KEPT_NAME.test(name)) throw new Error(`--database: expected a lower-case PostgreSQL name (letters, digits, _), got "${name}"`);
  const existed = await withAdmin(adminUrl, async (c) => {
    const found = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    if (!found) await c.query(`CREATE DATABASE ${name}`);
    return found;
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), existed };
}

/** The server's version, e.g. "15.20"; null when it cannot be reached. */
export async function serverVersion(adminUrl: string): Promise<string | null> {
  try {
    return await withAdmin(adminUrl, async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version);
  } catch {
    return null;
  }
}

/** Bytes of every table of the `public` schema, indexes and TOAST included (partitions are tables). */
export async function relationBytes(client: pg.ClientBase): Promise<Map<string, number>> {
  const { rows } = await client.query<{ name: string; bytes: string }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')`,
  );
  return new Map(rows.map((r) => [r.name, Number(r.bytes)]));
}
