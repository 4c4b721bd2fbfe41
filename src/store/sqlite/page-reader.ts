import type Database from 'better-sqlite3';
import type { CursorPosition, EventFilter, Order } from '../../domain/filter.js';
import type { EventRow } from '../store.js';
import type { BodyCodec } from './body-codec.js';
import type { StoredBody } from './body-decoder.js';
import { daysOf } from './days.js';
import type { CompiledFilter } from './filter-sql.js';
import { rowIdSql } from './row-ids.js';
import { prepared } from './statements.js';

/**
 * A query once its filter is compiled (filter-sql.ts): plain data, so a thread with a connection
 * of its own can read its pages too (thread-scan.ts).
 */
export interface CompiledScan {
  tenantId: number;
  where: CompiledFilter;
  /** The query's time range: it bounds the days a day-first index is read for. */
  range: Pick<EventFilter, 'fromUs' | 'toUs'>;
  order: Order;
}

/** One page of a compiled scan. */
export interface PageRead extends CompiledScan {
  limit: number;
  /** Resume strictly after this position in `order`. */
  after?: CursorPosition;
}

/** A scan's columns: the body as stored and the columns it leaves out, decoded in JavaScript (1–2 µs per row less than in SQL). */
const SCAN_COLUMNS = 'seq, ts, body, lower(hex(uid)), session_id, request_id, received_lag_us';
/** A row of `SCAN_COLUMNS`, read raw: an array costs less than an object of seven members. */
export type ScanRow = [seq: number, ts: number, body: StoredBody, uidHex: string, sessionId: string | null, requestId: string | null, receivedLagUs: number | null];

/** One page of `read`'s events as stored, bodies not yet decoded (`scanBody`). */
export function scanRows(db: Database.Database, read: PageRead): ScanRow[] {
  return readPage<ScanRow>(db, read, SCAN_COLUMNS, true);
}

/** The canonical JSON of a row of `scanRows`, decoded by `bodies`. */
export function scanBody([seq, ts, body, uidHex, sessionId, requestId, receivedLagUs]: ScanRow, bodies: BodyCodec): string {
  return bodies.decode(body, { uidHex, ts, seq, sessionId, requestId, receivedLagUs });
}

/** One page of `read`'s events, with their bodies decoded by `bodies`: what exports and archives walk. */
export function scanPage(db: Database.Database, read: PageRead, bodies: BodyCodec): EventRow[] {
  return scanRows(db, read).map((row) => ({ seq: row[0], occurredUs: row[1], body: scanBody(row, bodies) }));
}

/** One page of `read`, as rows of `columns` (arrays when `raw`), in the page's order: `(ts, rid)`, the API's `(occurred_at, seq)`. */
export function readPage<Row>(db: Database.Database, read: PageRead, columns: string, raw = false): Row[] {
  const dir = read.order === 'asc' ? 'ASC' : 'DESC';
  const params = [...read.where.params];
  let sql = read.where.sql;
  if (read.after) {
    sql += ` AND (ts, rid) ${read.order === 'asc' ? '>' : '<'} (?, ${rowIdSql('?', '?')})`;
    params.push(read.after.occurredUs, read.tenantId, read.after.seq);
  }
  const page = (from: string, daySql: string, dayParams: number[], limit: number): Row[] =>
    prepared(db, `SELECT ${columns} FROM ${from} WHERE ${sql}${daySql} ORDER BY ts ${dir}, rid ${dir} LIMIT ?`)
      .raw(raw)
      .all(...params, ...dayParams, limit) as Row[];
  if (read.where.dayIndex === null) return page('events', '', [], read.limit);
  // One seek per day of the range, in the page's order, until the page is full. The index is
  // named: without statistics the planner may take the time index for its order, and read the
  // whole range again for each day.
  const rows: Row[] = [];
  for (const day of pageDays(db, read)) {
    rows.push(...page(`events INDEXED BY ${read.where.dayIndex}`, ' AND day = ?', [day], read.limit - rows.length));
    if (rows.length >= read.limit) break;
  }
  return rows;
}

/** The days a page of `read` may read, in its order: its range, the cursor and the tenant's first and last events bound them. */
function pageDays(db: Database.Database, read: PageRead): number[] {
  const edge = (order: 'ASC' | 'DESC') =>
    prepared<[number], { ts: number }>(db, `SELECT ts FROM events WHERE tenant_id = ? ORDER BY ts ${order} LIMIT 1`).get(read.tenantId)?.ts;
  const [first, last] = [edge('ASC'), edge('DESC')];
  if (first === undefined || last === undefined) return [];
  const { fromUs, toUs } = read.range;
  let lo = Math.max(first, fromUs ?? first);
  let hi = Math.min(last, toUs === undefined ? last : toUs - 1);
  if (read.after && read.order === 'asc') lo = Math.max(lo, read.after.occurredUs);
  if (read.after && read.order !== 'asc') hi = Math.min(hi, read.after.occurredUs);
  if (lo > hi) return [];
  const days = daysOf(lo, hi + 1);
  return read.order === 'asc' ? days : days.reverse();
}
