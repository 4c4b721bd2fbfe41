import { VigilError } from '../domain/errors.js';
import type { AppendRequest, AppendResult, BodyDictionary, Store } from '../store/store.js';

export interface IngestorOptions {
  /** Most events sequenced in one transaction. */
  maxGroupEvents?: number;
  /** Most events waiting for a transaction before new requests are refused with 503. */
  maxQueuedEvents?: number;
}

interface Waiting {
  request: AppendRequest;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

/** Turns of the event loop a group may wait for more requests while they keep arriving. */
const GATHER_TURNS = 3;

/**
 * Group commit (the write path's entry point). Requests join the current pool and wait; one
 * straight-line flush sequences the whole pool in a single store transaction, so concurrent
 * requests share one fsync. At most one flush runs at a time per process; requests that arrive
 * during a flush form the next pool.
 *
 * Errors: a conflicting request fails alone (its result says so); a storage failure fails every
 * request of that pool — none of their events was stored — and the next pool tries again.
 */
export class Ingestor {
  private pool: Waiting[] = [];
  private queuedEvents = 0;
  private flushing: Promise<void> | null = null;
  private readonly maxGroupEvents: number;
  private readonly maxQueuedEvents: number;

  constructor(
    private readonly store: Store,
    options: IngestorOptions = {},
  ) {
    this.maxGroupEvents = options.maxGroupEvents ?? 10_000;
    // Three full groups: enough to keep the writer busy, and a bounded heap (docs/operations.md, Memory).
    this.maxQueuedEvents = options.maxQueuedEvents ?? 30_000;
  }

  /** Resolves once the request's events are durably stored (or refused as a whole). */
  submit(request: AppendRequest): Promise<AppendResult> {
    if (this.queuedEvents + request.events.length > this.maxQueuedEvents) {
      return Promise.reject(new VigilError('VIGIL_ERR_UNAVAILABLE', 'ingest queue full; nothing was stored, retry'));
    }
    return new Promise((resolve, reject) => {
      this.pool.push({ request, resolve, reject });
      this.queuedEvents += request.events.length;
      this.schedule();
    });
  }

  /** The dictionary the store would have the ingest thread compress bodies with (`Store.threadDictionary`). */
  threadDictionary(): BodyDictionary | undefined {
    return this.store.threadDictionary?.();
  }

  /** Waits until every submitted request has been settled. */
  async drain(): Promise<void> {
    while (this.flushing || this.pool.length > 0) {
      this.schedule();
      await this.flushing;
    }
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = new Promise((done) => this.gather(this.queuedEvents, GATHER_TURNS, () => void this.flush().finally(done)));
    this.flushing.then(() => {
      this.flushing = null;
      if (this.pool.length > 0) this.schedule();
    });
  }

  /**
   * Calls `then` after the turn of the event loop in which requests stopped arriving (at most
   * `turns` more turns). Every request already parsed in this turn joins the pool; so do those of
   * the next turn while they keep coming. Under load, clients answered by the last commit send
   * their next requests while this pool is being parsed, and they arrive a turn later: without
   * waiting for them, a busy server commits in two alternating halves of its connections, paying
   * the fixed cost of a transaction twice. An idle server flushes at the first turn.
   */
  private gather(queuedBefore: number, turns: number, then: () => void): void {
    setImmediate(() => {
      const arrived = this.queuedEvents > queuedBefore;
      if (arrived && turns > 0 && this.queuedEvents < this.maxGroupEvents) this.gather(this.queuedEvents, turns - 1, then);
      else then();
    });
  }

  private async flush(): Promise<void> {
    const group = this.takeGroup();
    if (group.length === 0) return;
    try {
      const results = await this.store.append(group.map((w) => w.request));
      group.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      for (const w of group) w.reject(err);
    }
  }

  /** The oldest requests up to maxGroupEvents (always at least one). */
  private takeGroup(): Waiting[] {
    let events = 0;
    let n = 0;
    while (n < this.pool.length && (n === 0 || events + this.pool[n]!.request.events.length <= this.maxGroupEvents)) {
      events += this.pool[n]!.request.events.length;
      n++;
    }
    const group = this.pool.splice(0, n);
    this.queuedEvents -= events;
    return group;
  }
}
