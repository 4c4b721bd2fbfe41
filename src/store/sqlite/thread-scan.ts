import type Database from 'better-sqlite3';
import type { CursorPosition } from '../../domain/filter.js';
import { BodyCodec } from './body-codec.js';
import { openBulkReader } from './bulk-connection.js';
import { scanBody, scanRows, type CompiledScan, type ScanRow } from './page-reader.js';

/** A scan of a SQLite store that a thread reads on a connection of its own (`SqliteStore.threadScan`). */
export interface SqliteThreadScan {
  path: string;
  /** Which opening of the file by a store of this process: a file replaced at the same path is another. */
  opened: number;
  read: CompiledScan;
}

interface Reader {
  opened: number;
  db: Database.Database;
  bodies: BodyCodec;
}

/**
 * A thread's read-only connections to the stores it scans, one per file, kept from page to page
 * (opening one and loading its dictionaries costs about a millisecond). WAL lets them read every
 * committed transaction while the store's writer goes on; each page is its own read transaction,
 * as on the store's thread.
 */
export class ThreadScanner {
  private readonly readers = new Map<string, Reader>();

  /**
   * The `limit` rows of `scan` after `after`, as stored, and what decodes their bodies: where a
   * page ends is known before its bodies are decoded, so the next page's read can start sooner.
   */
  page(scan: SqliteThreadScan, limit: number, after?: CursorPosition): { rows: ScanRow[]; body: (row: ScanRow) => string } {
    const { db, bodies } = this.reader(scan);
    // Bodies written since the last page may name a dictionary the store made meanwhile.
    bodies.loadNewer(db);
    return { rows: scanRows(db, { ...scan.read, limit, ...(after ? { after } : {}) }), body: (row) => scanBody(row, bodies) };
  }

  close(): void {
    for (const { db } of this.readers.values()) db.close();
    this.readers.clear();
  }

  private reader({ path, opened }: SqliteThreadScan): Reader {
    const known = this.readers.get(path);
    if (known?.opened === opened) return known;
    known?.db.close();
    const db = openBulkReader(path);
    // Only reads: the count before a dictionary is built is never reached.
    const bodies = new BodyCodec(Infinity);
    bodies.open(db);
    const reader = { opened, db, bodies };
    this.readers.set(path, reader);
    return reader;
  }
}
