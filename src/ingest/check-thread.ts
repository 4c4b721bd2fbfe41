import { THREAD_HOSTS, type HostedModule, type ThreadHosts } from '../threads/thread-host.js';
import { fromErrorDetail, VigilError } from '../domain/errors.js';
import type { BodyDictionary } from '../store/store.js';
import type { Checked } from './check-events.js';
import type { CheckedJson, CheckReply, CheckRequest, CheckThreadData, DictionaryMessage, StoredBodies } from './check-worker.js';

/**
 * The shared thread the checks run on: the first export thread's, which on SQLite runs the WAL
 * checkpoints too (src/threads/thread-host.ts), so that ingest costs no thread of its own and an
 * export during a burst of batches no more memory. What the checks keep there — the redaction,
 * user agent and address caches, bounded — raised an export's peak after 1,000,000 events in
 * batches by ~9 MB; a thread of its own that ends after 5 s without batches kept ~8 of them
 * (BENCHMARKS.md, nineteenth round).
 */
const INGEST_SLOT = 0;

/** The body was not JSON (the caller answers as Fastify's own parser would). */
export class NotJsonError extends Error {}

interface Pending {
  resolve(checked: Checked[]): void;
  reject(error: Error): void;
}

/**
 * Parses and checks large request bodies on another thread (check-worker.ts, on the shared thread
 * INGEST_SLOT names), so that the event loop, which sequences and stores every group, spends its
 * time on that alone. The module starts with the first body and leaves its thread after `idleMs`
 * without one; the thread stops with its last module, which on PostgreSQL (no checkpoints) gives
 * its memory back soon after a burst of batches: 5 s rather than 30 lowered an export's peak after
 * 1,000,000 events in batches from 217 to 206 MB there. Starting again costs a few tens of
 * milliseconds, once per burst.
 */
export class CheckThread {
  private module: HostedModule | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The dictionary the running module has. */
  private dictionaryId: number | undefined;

  constructor(
    private readonly data: CheckThreadData,
    private readonly idleMs = 5_000,
    private readonly hosts: ThreadHosts = THREAD_HOSTS,
  ) {}

  /** Bodies in flight. */
  get busy(): number {
    return this.pending.size;
  }

  /**
   * The checked items of `text`, presealed, and with their bodies compressed against `dictionary`
   * when one is given; throws a VigilError when the whole request is refused, NotJsonError when it
   * is not JSON.
   */
  check(text: string, request: Omit<CheckRequest, 'id' | 'text' | 'dictionaryId'>, dictionary?: BodyDictionary): Promise<Checked[]> {
    clearTimeout(this.idleTimer);
    const module = (this.module ??= this.start());
    const id = this.nextId++;
    if (this.pending.size === 0) module.ref();
    if (dictionary && dictionary.id !== this.dictionaryId) {
      module.port.postMessage({ dictionary } satisfies DictionaryMessage);
      this.dictionaryId = dictionary.id;
    }
    return new Promise<Checked[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      module.port.postMessage({ id, text, ...request, ...(dictionary ? { dictionaryId: dictionary.id } : {}) } satisfies CheckRequest);
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const module = this.module;
    this.module = undefined;
    this.fail(new VigilError('VIGIL_ERR_UNAVAILABLE', 'the ingest thread stopped; nothing was stored, retry'));
    await module?.close();
  }

  private start(): HostedModule {
    this.dictionaryId = undefined;
    const module = this.hosts.start(INGEST_SLOT, import.meta.url, 'check-worker', this.data, () => {
      if (this.module === module) this.module = undefined;
      this.fail(new VigilError('VIGIL_ERR_UNAVAILABLE', 'the ingest thread stopped; nothing was stored, retry'));
    });
    module.listen((reply) => this.settle(reply as CheckReply));
    return module;
  }

  private settle(reply: CheckReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ('checked' in reply) {
      pending.resolve(received(JSON.parse(reply.checked) as CheckedJson[], reply.presealed, reply.stored));
    }
    else if ('refused' in reply) pending.reject(fromErrorDetail(reply.refused));
    else pending.reject(new NotJsonError('not JSON'));
    if (this.pending.size === 0) {
      this.module?.unref();
      this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
      this.idleTimer.unref();
    }
  }

  private fail(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** The items of a reply as `check` answers them, each accepted one with its presealed text and stored form. */
function received(items: CheckedJson[], presealed: string[], stored: StoredBodies | undefined): Checked[] {
  let accepted = 0;
  return items.map((item) => {
    if ('error' in item) return { index: item.index, error: fromErrorDetail(item.error) };
    const at = accepted++;
    if (!stored) return { ...item, presealed: presealed[at]! };
    const from = stored.ends[at - 1] ?? 0;
    const body = Buffer.from(stored.bytes.buffer, stored.bytes.byteOffset + from, stored.ends[at]! - from);
    return { ...item, presealed: presealed[at]!, stored: { dictionaryId: stored.dictionaryId, body } };
  });
}
