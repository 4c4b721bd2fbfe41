import Database from 'better-sqlite3';
import type { MessagePort } from 'node:worker_threads';
import type { CheckpointWorkerData } from './wal-checkpoints.js';

/**
 * The WAL checkpointer, run on a shared thread (wal-checkpoints.ts, src/threads/thread-host.ts):
 * every `intervalMs`, copies the pages committed to the write-ahead log back into the database
 * file, on a connection of its own. PASSIVE never waits for the writer or readers: it copies what
 * it can and tries again later. When its port closes it closes its connection; failing, it closes
 * its port too, which tells the store (a failure hands checkpoints back to the writer).
 */
export function serve(port: MessagePort, { path, intervalMs, synchronous }: CheckpointWorkerData): void {
  let db: Database.Database | undefined;
  let timer: NodeJS.Timeout | undefined;
  const release = (): void => {
    clearInterval(timer);
    if (db?.open) db.close();
  };
  const giveUp = (): void => {
    release();
    port.close();
  };
  port.once('close', release);
  try {
    const connection = (db = new Database(path));
    connection.pragma(`synchronous = ${synchronous}`);
    timer = setInterval(() => {
      try {
        connection.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        giveUp();
      }
    }, intervalMs);
  } catch {
    giveUp();
  }
}
