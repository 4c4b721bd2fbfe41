import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../threads/start-worker.js';
import type { ExportFormatName } from './format.js';

/** One piece of an export to encode: stored bodies, in order. */
export interface EncodeRequest {
  id: number;
  format: ExportFormatName;
  bodies: readonly string[];
}

/** The encoded bytes of a request, or why it failed. */
export type EncodeReply = { id: number; parts: Uint8Array[] } | { id: number; error: string };

interface Pending {
  resolve(parts: Buffer[]): void;
  reject(error: Error): void;
}

/**
 * Threads that encode exports (src/export/encode-worker.ts). Parsing each stored body and
 * writing its CSV cells is most of an export's CPU; on the event loop it held ingest and queries
 * back for as long as an export ran, and capped the export at what one core encodes. The main
 * thread keeps the reading (SQLite connections and the PostgreSQL pool live there) and the
 * socket; the bodies cross to a thread and the bytes come back moved, not copied.
 *
 * A thread starts with the first piece it is given and stops after `idleMs` without work, so a
 * server that does not export runs none. Threads never keep the process alive.
 */
export class EncoderPool {
  private readonly threads: EncoderThread[] = [];

  constructor(
    /**
     * Threads at most: one core is left to the event loop, which reads and sends (on 2 cores a
     * second thread exported no faster: BENCHMARKS.md). A piece in flight per thread keeps
     * each busy while the next is read.
     */
    readonly size = Math.max(1, Math.min(4, availableParallelism() - 1)),
    private readonly idleMs = 30_000,
  ) {}

  /**
   * The bytes of `bodies` in `format`, in parts (in order): one thread's work, so pieces of one
   * export may run in parallel.
   */
  encode(format: ExportFormatName, bodies: readonly string[]): Promise<Buffer[]> {
    return this.pick().run(format, bodies);
  }

  /** Threads running now. */
  get running(): number {
    return this.threads.length;
  }

  /** Stops every thread; pieces still in flight fail. */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.stop()));
  }

  /** An idle thread, a new one while below `size`, else the least busy. */
  private pick(): EncoderThread {
    const idle = this.threads.find((thread) => thread.busy === 0);
    if (idle) return idle;
    if (this.threads.length < this.size) {
      const thread = new EncoderThread(this.idleMs, () => this.threads.splice(this.threads.indexOf(thread), 1));
      this.threads.push(thread);
      return thread;
    }
    return this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
  }
}

class EncoderThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private gone = false;

  constructor(
    private readonly idleMs: number,
    private readonly removed: () => void,
  ) {
    this.worker = startWorker(import.meta.url, 'encode-worker');
    this.worker.unref();
    this.worker.on('message', (reply: EncodeReply) => this.settle(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the export encoding thread stopped (exit code ${code})`)));
  }

  get busy(): number {
    return this.pending.size;
  }

  run(format: ExportFormatName, bodies: readonly string[]): Promise<Buffer[]> {
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    return new Promise<Buffer[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, format, bodies } satisfies EncodeRequest);
    });
  }

  async stop(): Promise<void> {
    this.leave();
    await this.worker.terminate();
  }

  private settle(reply: EncodeReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ('error' in reply) pending.reject(new Error(`export encoding failed: ${reply.error}`));
    else pending.resolve(reply.parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
    if (this.pending.size === 0) {
      this.idleTimer = setTimeout(() => void this.stop(), this.idleMs);
      this.idleTimer.unref();
    }
  }

  /** The thread is gone (or broken): its pieces fail and the pool forgets it. */
  private fail(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.leave();
  }

  /** Out of the pool at once, so that no new piece goes to a thread on its way out. */
  private leave(): void {
    clearTimeout(this.idleTimer);
    if (this.gone) return;
    this.gone = true;
    this.removed();
  }
}

/** The process's export threads, shared by downloads and export jobs. */
export const EXPORT_ENCODERS = new EncoderPool();
