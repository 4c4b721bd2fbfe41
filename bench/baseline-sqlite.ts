/**
 * The usual design on SQLite (better-sqlite3, WAL, synchronous=FULL: the same durability as
 * Vigil's SQLite store). Address blocks are matched by a JavaScript SQL function, as an
 * application on SQLite would have to.
 */
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import ipaddr from 'ipaddr.js';
import { formatMicros } from '../src/domain/time.js';
import type { BaselineRow, BaselineStore, StoredRow } from './baseline.js';
import type { BaselineFilter } from './queries.js';

const COLUMNS = 'id, tenant, occurred_at, received_at, log, action, actor, resource, ip, payload';
const TABLE = `(
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  log TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  resource TEXT,
  ip TEXT,
  payload TEXT NOT NULL
)`;
const INDEXES = `
  CREATE INDEX audit_events_time ON audit_events (tenant, occurred_at);
  CREATE INDEX audit_events_actor ON audit_events (tenant, actor, occurred_at);
  CREATE INDEX audit_events_resource ON audit_events (tenant, resource, occurred_at);
  CREATE INDEX audit_events_action ON audit_events (tenant, action, occurred_at);`;

function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

function values(row: BaselineRow, receivedAt: string): unknown[] {
  return [row.id, row.tenant, row.occurredAt, receivedAt, row.log, row.action, row.actor, row.resource, row.ip, row.payload];
}

/** `in_cidr(ip, cidr)`: 1 when the address lies in the block (IPv4 and IPv6), else 0. */
function registerInCidr(db: Database.Database): void {
  const blocks = new Map<string, [ipaddr.IPv4 | ipaddr.IPv6, number]>();
  db.function('in_cidr', { deterministic: true }, (ip: unknown, cidr: unknown) => {
    if (typeof ip !== 'string' || typeof cidr !== 'string') return 0;
    let block = blocks.get(cidr);
    if (!block) blocks.set(cidr, (block = ipaddr.parseCIDR(cidr)));
    const address = ipaddr.process(ip);
    return address.kind() === block[0].kind() && address.match(block) ? 1 : 0;
  });
}

export class SqliteBaseline implements BaselineStore {
  readonly kind = 'sqlite' as const;
  private db!: Database.Database;
  private insertRow!: Database.Statement;
  readonly file: string;

  constructor(private readonly dir: string) {
    this.file = path.join(dir, 'baseline.db');
  }

  async open(): Promise<void> {
    this.db = openDatabase(this.file);
    this.db.exec(`CREATE TABLE audit_events ${TABLE}; ${INDEXES}`);
    registerInCidr(this.db);
    this.insertRow = this.db.prepare(`INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  async close(): Promise<void> {
    if (this.db?.open) this.db.close();
  }

  async insert(rows: BaselineRow[]): Promise<void> {
    const receivedAt = formatMicros(Date.now() * 1000);
    this.db.transaction(() => {
      for (const row of rows) this.insertRow.run(...values(row, receivedAt));
    })();
  }

  async page(tenant: string, filter: BaselineFilter, offset: number, limit: number): Promise<StoredRow[]> {
    const { sql, params } = where(tenant, filter);
    return this.db
      .prepare(`SELECT id, payload FROM audit_events WHERE ${sql} ORDER BY occurred_at DESC LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as StoredRow[];
  }

  async summary(tenant: string, fromUs: number, toUs: number): Promise<void> {
    const range = 'tenant = ? AND occurred_at >= ? AND occurred_at < ?';
    const params = [tenant, formatMicros(fromUs), formatMicros(toUs)];
    this.db.prepare(`SELECT action, count(*), sum(json_extract(payload, '$.outcome.success') = 0) FROM audit_events WHERE ${range} GROUP BY action`).all(...params);
    this.db.prepare(`SELECT actor, count(*) AS n FROM audit_events WHERE ${range} GROUP BY actor ORDER BY n DESC LIMIT 10`).all(...params);
    this.db.prepare(`SELECT substr(occurred_at, 1, 10) AS day, count(*) FROM audit_events WHERE ${range} GROUP BY day`).all(...params);
  }

  async footprint(): Promise<{ bytes: number; rows: number }> {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    const rows = this.db.prepare('SELECT count(*) FROM audit_events').pluck().get() as number;
    return { bytes: fileBytes(this.file), rows };
  }

  async bulkCeiling(batches: AsyncIterable<BaselineRow[]>): Promise<number> {
    const file = path.join(this.dir, 'ceiling.db');
    const db = openDatabase(file);
    try {
      db.exec(`CREATE TABLE raw ${TABLE.replace(' PRIMARY KEY', '')}`);
      const insert = db.prepare(`INSERT INTO raw (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      let rows = 0;
      let busy = 0;
      for await (const batch of batches) {
        const t = performance.now();
        const receivedAt = formatMicros(Date.now() * 1000);
        db.transaction(() => {
          for (const row of batch) insert.run(...values(row, receivedAt));
        })();
        busy += performance.now() - t;
        rows += batch.length;
      }
      return rows / (busy / 1000);
    } finally {
      db.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    }
  }
}

/** Bytes of a SQLite database file and its WAL. */
export function fileBytes(file: string): number {
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return size(file) + size(`${file}-wal`);
}

function where(tenant: string, f: BaselineFilter): { sql: string; params: unknown[] } {
  const parts = ['tenant = ?'];
  const params: unknown[] = [tenant];
  const add = (sql: string, ...values: unknown[]) => {
    parts.push(sql);
    params.push(...values);
  };
  if (f.fromUs !== undefined) add('occurred_at >= ?', formatMicros(f.fromUs));
  if (f.toUs !== undefined) add('occurred_at < ?', formatMicros(f.toUs));
  if (f.actor !== undefined) add('actor = ?', f.actor);
  if (f.resource !== undefined) add('resource = ?', f.resource);
  if (f.resourcePrefix !== undefined) add("resource LIKE ? || '%'", f.resourcePrefix);
  if (f.actions !== undefined) add(`action IN (${f.actions.map(() => '?').join(', ')})`, ...f.actions);
  if (f.resourceType !== undefined) add("json_extract(payload, '$.resource.type') = ?", f.resourceType);
  if (f.environment !== undefined) add("json_extract(payload, '$.environment') = ?", f.environment);
  if (f.success !== undefined) add("json_extract(payload, '$.outcome.success') = ?", f.success ? 1 : 0);
  if (f.notCidrs !== undefined) add(`ip IS NOT NULL AND ${f.notCidrs.map(() => 'NOT in_cidr(ip, ?)').join(' AND ')}`, ...f.notCidrs);
  return { sql: parts.join(' AND '), params };
}
