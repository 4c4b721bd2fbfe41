import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { ApiKeyRecord } from '../domain/access.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { KeyCache } from './key-cache.js';

const key = (id: string): ApiKeyRecord => ({
  id,
  tenant: 'acme',
  role: 'writer',
  name: `key ${id}`,
  secretHash: 'ab'.repeat(32),
  createdAt: '2026-11-01T00:00:00.000Z',
  createdBy: null,
  revokedAt: null,
  expiresAt: null,
});

describe('KeyCache', () => {
  let store: SqliteStore;
  let now: number;
  let reads: MockInstance<SqliteStore['findKey']>;
  let cache: KeyCache;

  beforeEach(async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.open();
    await store.insertKey(key('k1'));
    now = 1_000_000;
    reads = vi.spyOn(store, 'findKey');
    cache = new KeyCache(store, 1_000, () => now);
  });
  afterEach(async () => {
    await store.close();
  });

  it('reads a key from the store at most once per interval', async () => {
    expect((await cache.findKey('k1'))?.name).toBe('key k1');
    now += 999;
    expect((await cache.findKey('k1'))?.name).toBe('key k1');
    expect(reads).toHaveBeenCalledTimes(1);
    now += 1;
    await cache.findKey('k1');
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('sees a revocation made elsewhere (another server) once the interval is over', async () => {
    await cache.findKey('k1');
    await store.revokeKey('k1', '2026-11-02T00:00:00.000Z');
    expect((await cache.findKey('k1'))?.revokedAt).toBeNull();
    now += 1_000;
    expect((await cache.findKey('k1'))?.revokedAt).toBe('2026-11-02T00:00:00.000Z');
  });

  it('reads a forgotten key again at once', async () => {
    await cache.findKey('k1');
    await store.revokeKey('k1', '2026-11-02T00:00:00.000Z');
    cache.forget('k1');
    expect((await cache.findKey('k1'))?.revokedAt).toBe('2026-11-02T00:00:00.000Z');
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('does not remember ids that name no key, so a key made later is found', async () => {
    expect(await cache.findKey('k2')).toBeNull();
    expect(await cache.findKey('k2')).toBeNull();
    expect(reads).toHaveBeenCalledTimes(2);
    await store.insertKey(key('k2'));
    expect((await cache.findKey('k2'))?.id).toBe('k2');
  });
});
