import type Database from 'better-sqlite3';
import { THREAD_HOSTS, type HostedModule } from '../../threads/thread-host.js';

export interface CheckpointWorkerData {
  path: string;
  intervalMs: number;
  synchronous: string;
}

/** The shared thread the checkpoints run on: the first export thread's (src/export/encoder-pool.ts). */
const CHECKPOINT_THREAD = 0;
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
 * WAL checkpoints beside the event loop, on a shared thread (src/threads/thread-host.ts). By
 * default SQLite's writer copies the log back into the database file itself, inside the COMMIT
 * that crosses 1,000 pages: for single events that was about 15% of the event loop's CPU and
 * about 40% of the bytes written (BENCHMARKS.md, fifth round), and a stall for the requests
 * waiting on that commit. A checkpoint changes no data and no durability (a commit is durable
 * once in the log), so it can run beside the writer: the thread checkpoints every 50 ms, and the
 * writer keeps a checkpoint of its own only as a backstop. If the checkpoints fail or their
 * thread stops, the writer goes back to checkpointing every 1,000 pages.
 */
export class BackgroundCheckpoints {
  private stopping = false;
  private readonly module: HostedModule;

  private constructor(db: Database.Database, path: string, synchronous: string) {
    const data: CheckpointWorkerData = { path, intervalMs: INTERVAL_MS, synchronous };
    // Any end that stop() did not ask for (a failed checkpoint, the thread gone) hands checkpoints back to the writer.
    this.module = THREAD_HOSTS.start(CHECKPOINT_THREAD, import.meta.url, 'wal-checkpoint-worker', data, () => {
      if (!this.stopping && db.open) db.pragma(`wal_autocheckpoint = ${WRITER_PAGES}`);
    });
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  }

  static start(db: Database.Database, path: string, synchronous: string): BackgroundCheckpoints {
    return new BackgroundCheckpoints(db, path, synchronous);
  }

  /** Stops the checkpoints and closes their connection (before the writer's, which then removes the log). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.module.close();
  }
}
