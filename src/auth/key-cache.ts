import type { ApiKeyRecord } from '../domain/access.js';
import { BoundedCache } from '../domain/bounded-cache.js';
import type { Store } from '../store/store.js';

/** How long a key read from the store answers for it: the longest a revocation made by another server sharing the store takes to reach this one. */
const KEY_CACHE_MS = 1_000;

/** Keys remembered at most: past it, all are read again. */
const MAX_KEYS = 10_000;

/**
 * API keys as the request path reads them: each key is read from the store at most once every
 * `ttlMs` (a query per request was a tenth of the CPU of single-event ingest on PostgreSQL, where
 * every query is a round trip). Only keys that exist are remembered, so unknown ids cannot fill
 * it. A key revoked through this server is forgotten at once (`forget`); one revoked through
 * another server of the same PostgreSQL database stops working here within `ttlMs`. Expiry is
 * checked against the time of each request, not of the read.
 */
export class KeyCache implements Pick<Store, 'findKey'> {
  private readonly keys = new BoundedCache<string, { record: ApiKeyRecord; readAt: number }>(MAX_KEYS);

  constructor(
    private readonly store: Pick<Store, 'findKey'>,
    private readonly ttlMs = KEY_CACHE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async findKey(id: string): Promise<ApiKeyRecord | null> {
    const cached = this.keys.get(id);
    if (cached && this.now() - cached.readAt < this.ttlMs) return cached.record;
    const readAt = this.now();
    const record = await this.store.findKey(id);
    if (record) this.keys.set(id, { record, readAt });
    else this.keys.delete(id);
    return record;
  }

  /** Drops a key this server has just revoked, so that its next request reads the revocation. */
  forget(id: string): void {
    this.keys.delete(id);
  }
}
