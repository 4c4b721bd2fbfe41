import type Database from 'better-sqlite3';
import { BoundedCache } from '../../domain/bounded-cache.js';

/** Distinct statement texts kept per connection (IN lists of different lengths are different texts). */
const STATEMENTS_PER_CONNECTION = 512;

const caches = new WeakMap<Database.Database, BoundedCache<string, Database.Statement<unknown[], unknown>>>();

/**
 * `db.prepare(sql)`, compiled once per connection and text. Parsing and planning a statement costs
 * about what a point lookup does, and the store runs the same texts on every request (the key
 * lookup, a page of a trail, a proof's reads). Only for statements run to completion with `get`,
 * `all` or `run`: a statement being iterated is busy until its iterator ends.
 */
export function prepared<P extends unknown[] = unknown[], R = unknown>(db: Database.Database, sql: string): Database.Statement<P, R> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new BoundedCache(STATEMENTS_PER_CONNECTION)));
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement as unknown as Database.Statement<P, R>;
}
