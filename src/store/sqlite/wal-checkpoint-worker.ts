import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointWorkerData } from './wal-checkpoints.js';

/**
 * The WAL checkpointer's thread (wal-checkpoints.ts): every `intervalMs`, copies the pages
 * committed to the write-ahead log back into the database file, on a connection of its own.
 * PASSIVE never waits for the writer or readers: it copies what it can and tries again later.
 */
const { path, intervalMs, synchronous } = workerData as CheckpointWorkerData;
const port = parentPort!;
const db = new Database(path);
db.pragma(`synchronous = ${synchronous}`);
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), intervalMs);

port.on('message', (message: 'stop') => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  port.close();
});
