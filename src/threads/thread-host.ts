import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { moduleUrl, startWorker } from './start-worker.js';

/**
 * What a hosted module exports as `serve`: it answers on `port` until that port closes, then lets
 * go of what it holds, synchronously in its 'close' listener (its owner waits for that before,
 * say, closing the database the module read). Its thread is shared, so it catches its own errors;
 * to give up, it lets go and closes its port.
 */
export type Serve<Data> = (port: MessagePort, data: Data) => void;

/** What the host thread (host-worker.ts) is sent to start a module. */
export interface HostRequest {
  /** Sent back by the thread once the module has let go after its port closed. */
  id: number;
  url: string;
  port: MessagePort;
  data: unknown;
}

/** A module running on a host thread, reached through its own port. */
export class HostedModule {
  private closing = false;

  constructor(
    readonly port: MessagePort,
    private readonly host: HostThread,
    private readonly released: Promise<void>,
    private readonly gone: () => void,
  ) {
    // Neither the port nor the thread keeps the process alive (see ref()).
    port.unref();
    // Closed by the module (it gave up) or with its thread: gone, unless close() asked for it.
    port.once('close', () => {
      if (this.closing) return;
      this.lost();
      void this.host.drop(this);
    });
  }

  /** Handles the module's messages. (Adding a listener refs a port: it is unref'd again.) */
  listen(handler: (message: unknown) => void): void {
    this.port.on('message', handler);
    this.port.unref();
  }

  /** Keeps the process alive until unref() or close(): while the module does something the process waits for. */
  ref(): void {
    this.port.ref();
  }

  /** Lets the process exit again while the module waits. */
  unref(): void {
    this.port.unref();
  }

  /** Its thread, for tests that make it fail. */
  get thread(): Worker {
    return this.host.worker;
  }

  /** The module is gone without close(): its owner is told, once. */
  lost(): void {
    if (this.closing) return;
    this.closing = true;
    this.gone();
  }

  /**
   * Closes the port and resolves once the module has let go of what it holds (or its thread is
   * gone), then stops the thread if no other module uses it.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.port.close();
    await this.host.hold(this.released);
    await this.host.drop(this);
  }
}

class HostThread {
  readonly worker: Worker;
  readonly modules = new Set<HostedModule>();
  exited = false;
  /** What settles each module's `released`, by its number. */
  private readonly releases = new Map<number, () => void>();
  private nextId = 0;
  private holds = 0;

  constructor(
    private readonly releaseMs: number,
    private readonly onExit: () => void,
  ) {
    this.worker = startWorker(import.meta.url, 'host-worker');
    this.worker.on('message', (id: number) => {
      this.releases.get(id)?.();
      this.releases.delete(id);
    });
    // After listening, which refs the thread's port.
    this.worker.unref();
    // An error is followed by the exit, which tells every module on the thread.
    this.worker.on('error', () => undefined);
    this.worker.once('exit', () => {
      this.exited = true;
      this.onExit();
      for (const release of this.releases.values()) release();
      this.releases.clear();
      for (const module of this.modules) module.lost();
      this.modules.clear();
    });
  }

  /** A number for a new module, and a promise settled once it has let go after its port closed. */
  track(): { id: number; released: Promise<void> } {
    const id = this.nextId++;
    const released = new Promise<void>((resolve) => this.releases.set(id, resolve));
    return { id, released };
  }

  /**
   * Awaits `released` with the process kept alive (it may be stopping, with nothing else to do).
   * A module that has not let go after `releaseMs` (its thread stuck) has its thread stopped, so
   * that closing always ends.
   */
  async hold(released: Promise<void>): Promise<void> {
    if (this.holds++ === 0) this.worker.ref();
    const stuck = setTimeout(() => void this.worker.terminate(), this.releaseMs);
    try {
      await released;
    } finally {
      clearTimeout(stuck);
      if (--this.holds === 0) this.worker.unref();
    }
  }

  async drop(module: HostedModule): Promise<void> {
    if (!this.modules.delete(module) || this.modules.size > 0 || this.exited) return;
    this.onExit();
    await this.worker.terminate();
  }
}

/**
 * Threads shared by modules of different parts of Vigil, each module talking over a port of its
 * own: on a SQLite store the WAL checkpointer (one timer) and the first export thread run on one
 * thread rather than two, which saves the ~9 MB a Node thread costs before it does anything
 * (BENCHMARKS.md, eleventh round). Modules ask for a thread by number (`slot`); a thread starts
 * with its first module and stops with its last. The modules of a thread share its time: they do
 * work that waits its turn well (a checkpoint every 50 ms, export pages of ~10 ms).
 */
export class ThreadHosts {
  private readonly threads = new Map<number, HostThread>();

  /** `releaseMs`: how long a closed module may take to let go before its thread is stopped. */
  constructor(private readonly releaseMs = 5_000) {}

  /**
   * Runs `serve` of the module `name` next to `callerUrl` (as startWorker resolves it) with
   * `data`, on thread `slot`. `gone` is called once if the module stops without `close()`: it
   * closed its port (gave up), or its thread stopped (which closes the port too, often first).
   */
  start<Data>(slot: number, callerUrl: string, name: string, data: Data, gone: () => void): HostedModule {
    let host = this.threads.get(slot);
    if (!host || host.exited) {
      const started: HostThread = new HostThread(this.releaseMs, () => {
        if (this.threads.get(slot) === started) this.threads.delete(slot);
      });
      host = started;
      this.threads.set(slot, host);
    }
    const { port1, port2 } = new MessageChannel();
    const { id, released } = host.track();
    const module = new HostedModule(port1, host, released, gone);
    host.modules.add(module);
    host.worker.postMessage({ id, url: moduleUrl(callerUrl, name).href, port: port2, data } satisfies HostRequest, [port2]);
    return module;
  }

  /** Threads running now. */
  get running(): number {
    return this.threads.size;
  }
}

/** The process's shared threads. */
export const THREAD_HOSTS = new ThreadHosts();
