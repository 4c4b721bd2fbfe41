import Database from 'better-sqlite3';
import type { BodyCodec } from './body-codec.js';

/** Page cache of the bulk connection: enough for index pages, too small to hold table data. */
const BULK_CACHE_KIB = 2048;

/** A read-only connection to the store at `path` for bulk reads, here or on another thread (thread-scan.ts). */
export function openBulkReader(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = -${BULK_CACHE_KIB}`);
  return db;
}

/**
 * A second, read-only connection to the store's file for bulk reads (exports, archives). A 1M-row
 * export reads ~1 GB of pages; through the main connection it would fill that connection's 64 MiB
 * page cache with pages nobody reads again, evicting the index pages ingest and queries need, and
 * holding that memory. WAL lets this connection read every committed transaction while the main
 * one writes. A `:memory:` database has no file to share, so it uses the main connection.
 */
export class BulkConnection {
  private db: Database.Database | null = null;

  constructor(
    private readonly path: string,
    private readonly main: Database.Database,
    private readonly bodies: BodyCodec,
  ) {}

  get(): Database.Database {
    if (this.path === ':memory:') return this.main;
    if (!this.db) {
      this.db = openBulkReader(this.path);
      this.bodies.register(this.db);
    }
    return this.db;
  }

  close(): void {
    if (this.db?.open) this.db.close();
    this.db = null;
  }
}
