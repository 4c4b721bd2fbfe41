/**
 * The usual design on PostgreSQL: `payload jsonb`, `ip inet`, a uuid primary key, the server's
 * default settings (synchronous_commit on, JIT as configured), multi-row INSERTs for batches and
 * one autocommit INSERT per single event, on a pool as large as the concurrency asked.
 */
import pg from 'pg';
import { copyLine, copyRows } from '../src/store/postgres/copy.js';
import { formatMicros } from '../src/domain/time.js';
import type { BaselineRow, BaselineStore, StoredRow } from './baseline.js';
import { relationBytes } from './postgres.js';
import type { BaselineFilter } from './queries.js';

const COLUMNS = ['id', 'tenant', 'occurred_at', 'log', 'action', 'actor', 'resource', 'ip', 'payload'] as const;
const TABLE = `(
  id uuid PRIMARY KEY,
  tenant text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  log text NOT NULL,
  action text NOT NULL,
  actor text NOT NULL,
  resource text,
  ip inet,
  payload jsonb NOT NULL
)`;
const INDEXES = `
  CREATE INDEX audit_events_time ON audit_events (tenant, occurred_at);
  CREATE INDEX audit_events_actor ON audit_events (tenant, actor, occurred_at);
  CREATE INDEX audit_events_resource ON audit_events (tenant, resource, occurred_at);
  CREATE INDEX audit_events_action ON audit_events (tenant, action, occurred_at);`;

function values(row: BaselineRow): (string | null)[] {
  return [row.id, row.tenant, row.occurredAt, row.log, row.action, row.actor, row.resource, row.ip, row.payload];
}

/** PostgreSQL's protocol counts a statement's parameters in 16 bits. */
const ROWS_PER_STATEMENT = Math.floor(65_535 / COLUMNS.length);

function insertSql(rows: number): string {
  const tuples = Array.from({ length: rows }, (_, r) => `(${COLUMNS.map((_, c) => `$${r * COLUMNS.length + c + 1}`).join(', ')})`);
  return `INSERT INTO audit_events (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`;
}

export class PostgresBaseline implements BaselineStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(connections: number, url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: connections, application_name: 'vigil-bench-baseline' });
    // Dropping the database right after pool.end() can reach a closing connection first: not an error.
    this.pool.on('error', () => undefined);
  }

  async open(): Promise<void> {
    await this.pool.query(`CREATE TABLE audit_events ${TABLE}; ${INDEXES}`);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  /** Statistics as autovacuum would have gathered them on a table in service. */
  async analyze(): Promise<void> {
    await this.pool.query('ANALYZE audit_events');
  }

  /** One transaction: one statement, or several when the rows have more parameters than one statement may bind. */
  async insert(rows: BaselineRow[]): Promise<void> {
    if (rows.length <= ROWS_PER_STATEMENT) return void (await this.pool.query(insertSql(rows.length), rows.flatMap(values)));
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
        await client.query(insertSql(chunk.length), chunk.flatMap(values));
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async page(tenant: string, filter: BaselineFilter, offset: number, limit: number): Promise<StoredRow[]> {
    const { sql, params } = where(tenant, filter);
    const n = params.length;
    const { rows } = await this.pool.query<StoredRow>(
      `SELECT id, payload::text AS payload FROM audit_events WHERE ${sql} ORDER BY occurred_at DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params, limit, offset],
    );
    return rows;
  }

  async summary(tenant: string, fromUs: number, toUs: number): Promise<void> {
    const range = 'tenant = $1 AND occurred_at >= $2 AND occurred_at < $3';
    const params = [tenant, formatMicros(fromUs), formatMicros(toUs)];
    await this.pool.query(`SELECT action, count(*), count(*) FILTER (WHERE (payload->'outcome'->>'success')::boolean = false) FROM audit_events WHERE ${range} GROUP BY action`, params);
    await this.pool.query(`SELECT actor, count(*) AS n FROM audit_events WHERE ${range} GROUP BY actor ORDER BY n DESC LIMIT 10`, params);
    await this.pool.query(`SELECT date_trunc('day', occurred_at) AS day, count(*) FROM audit_events WHERE ${range} GROUP BY day`, params);
  }

  async footprint(): Promise<{ bytes: number; rows: number }> {
    const client = await this.pool.connect();
    try {
      const bytes = (await relationBytes(client)).get('audit_events') ?? 0;
      const rows = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]!.n);
      return { bytes, rows };
    } finally {
      client.release();
    }
  }

  async bulkCeiling(batches: AsyncIterable<BaselineRow[]>): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query(`CREATE TABLE raw ${TABLE.replace(' PRIMARY KEY', '')}`);
      let rows = 0;
      let busy = 0;
      for await (const batch of batches) {
        const lines = batch.map((row) => copyLine(values(row)));
        const t = performance.now();
        await copyRows(client, 'raw', COLUMNS, lines);
        busy += performance.now() - t;
        rows += batch.length;
      }
      return rows / (busy / 1000);
    } finally {
      await client.query('DROP TABLE IF EXISTS raw');
      client.release();
    }
  }
}

function where(tenant: string, f: BaselineFilter): { sql: string; params: unknown[] } {
  const parts = ['tenant = $1'];
  const params: unknown[] = [tenant];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    parts.push(sql(`$${params.length}`));
  };
  if (f.fromUs !== undefined) add((p) => `occurred_at >= ${p}`, formatMicros(f.fromUs));
  if (f.toUs !== undefined) add((p) => `occurred_at < ${p}`, formatMicros(f.toUs));
  if (f.actor !== undefined) add((p) => `actor = ${p}`, f.actor);
  if (f.resource !== undefined) add((p) => `resource = ${p}`, f.resource);
  if (f.resourcePrefix !== undefined) add((p) => `resource LIKE ${p} || '%'`, f.resourcePrefix);
  if (f.actions !== undefined) add((p) => `action = ANY(${p})`, f.actions);
  if (f.resourceType !== undefined) add((p) => `payload->'resource'->>'type' = ${p}`, f.resourceType);
  if (f.environment !== undefined) add((p) => `payload->>'environment' = ${p}`, f.environment);
  if (f.success !== undefined) add((p) => `(payload->'outcome'->>'success')::boolean = ${p}`, f.success);
  if (f.notCidrs !== undefined) add((p) => `ip IS NOT NULL AND NOT (ip <<= ANY(${p}::inet[]))`, f.notCidrs);
  return { sql: parts.join(' AND '), params };
}
