import { once } from 'node:events';
import type Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../threads/start-worker.js';

export interface CheckpointWorkerData {
  path: string;
  intervalMs: number;
  synchronous: string;
}

/** How often the thread copies the log back. */
const INTERVAL_MS = 50;
/**
 * The writer still checkpoints once the log reaches this many pages (40 MB): a backstop for when
 * the thread falls behind (its copy never finishes between two commits of a busy writer, or a
 * long read holds it back). The pages the thread already copied are not copied again.
 */
const BACKSTOP_PAGES = 10_000;
/** SQLite's own default, restored if the thread fails. */
const WRITER_PAGES = 1_000;

/**
 * WAL checkpoints on a thread of their own. By default SQLite's writer copies the log back into
 * the database file itself, inside the COMMIT that crosses 1,000 pages: for single events that
 * was about 15% of the event loop's CPU and about 40% of the bytes written (BENCHMARKS.md, fifth
 * round), and a stall for the requests waiting on that commit. A checkpoint changes no data and
 * no durability (a commit is durable once in the log), so it can run beside the writer: this
 * thread checkpoints every 50 ms, and the writer keeps a checkpoint of its own only as a
 * backstop. If the thread fails, the writer goes back to checkpointing every 1,000 pages.
 */
export class BackgroundCheckpoints {
  private exited = false;
  private stopping = false;

  private constructor(
    private readonly worker: Worker,
    db: Database.Database,
  ) {
    // An error is followed by the exit; any exit that stop() did not ask for hands checkpoints back to the writer.
    worker.on('error', () => undefined);
    worker.once('exit', () => {
      this.exited = true;
      if (!this.stopping && db.open) db.pragma(`wal_autocheckpoint = ${WRITER_PAGES}`);
    });
  }

  static start(db: Database.Database, path: string, synchronous: string): BackgroundCheckpoints {
    const worker = startWorker(import.meta.url, 'wal-checkpoint-worker', {
      workerData: { path, intervalMs: INTERVAL_MS, synchronous } satisfies CheckpointWorkerData,
    });
    worker.unref();
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    return new BackgroundCheckpoints(worker, db);
  }

  /** Stops the thread and closes its connection (before the writer's, which then removes the log). */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.stopping = true;
    const exit = once(this.worker, 'exit');
    // Held while it stops: an unreferenced thread would let a process with nothing else to do
    // exit here, before the store is closed.
    this.worker.ref();
    this.worker.postMessage('stop');
    await exit;
  }
}
