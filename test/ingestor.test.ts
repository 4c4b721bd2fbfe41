import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../src/ingest/ingestor.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { AppendRequest, Store } from '../src/store/store.js';
import { preparedEvent } from './support/events.js';

/** A real store that counts its transactions. */
async function countingStore(): Promise<{ store: Store; groups: number[] }> {
  const store = new SqliteStore({ path: ':memory:' });
  await store.open();
  const groups: number[] = [];
  const append = store.append.bind(store);
  store.append = async (requests: AppendRequest[]) => {
    groups.push(requests.length);
    return append(requests);
  };
  return { store, groups };
}

describe('Ingestor (group commit)', () => {
  let store: Store | undefined;
  afterEach(async () => store?.close());

  it('shares one transaction among concurrent requests and keeps their order', async () => {
    const counted = await countingStore();
    store = counted.store;
    const ingestor = new Ingestor(store);
    const results = await Promise.all(
      Array.from({ length: 64 }, () => ingestor.submit({ events: [preparedEvent({ tenant: 'gc' })] })),
    );
    expect(results.map((r) => (r.ok ? r.events[0]!.seq : -1))).toEqual([...Array(64).keys()]);
    expect(counted.groups.length).toBeLessThan(64);
    expect(counted.groups.reduce((a, b) => a + b, 0)).toBe(64);
  });

  it('waits for requests that keep arriving, a turn at a time, but flushes a lone request at the first turn', async () => {
    const counted = await countingStore();
    store = counted.store;
    const ingestor = new Ingestor(store);
    const event = () => ({ events: [preparedEvent({ tenant: 'turns' })] });
    // Requests arriving as a busy server's do, from I/O in successive turns of the event loop:
    // two in the first, then one in each of the next two turns. One transaction.
    const { port1, port2 } = new MessageChannel();
    const sent: Promise<unknown>[] = [];
    await new Promise<void>((resolve) => {
      port2.on('message', (n: number) => {
        sent.push(ingestor.submit(event()));
        if (n === 0) sent.push(ingestor.submit(event()));
        if (n < 2) setImmediate(() => port1.postMessage(n + 1));
        else resolve();
      });
      port1.postMessage(0);
    });
    await Promise.all(sent);
    port1.close();
    expect(counted.groups).toEqual([4]);
    // A lone request: committed at the first turn, alone.
    await ingestor.submit(event());
    expect(counted.groups).toEqual([4, 1]);
    // A request every turn, without end: a group still closes after a few turns.
    const endless: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      endless.push(ingestor.submit(event()));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(endless);
    expect(counted.groups.slice(2).reduce((a, b) => a + b, 0)).toBe(12);
    expect(Math.max(...counted.groups.slice(2))).toBeLessThanOrEqual(5);
  });

  it('caps a group at maxGroupEvents but never splits a request', async () => {
    const counted = await countingStore();
    store = counted.store;
    const ingestor = new Ingestor(store, { maxGroupEvents: 10 });
    const batch = () => ({ events: Array.from({ length: 6 }, () => preparedEvent({ tenant: 'cap' })) });
    await Promise.all([ingestor.submit(batch()), ingestor.submit(batch()), ingestor.submit({ events: Array.from({ length: 25 }, () => preparedEvent({ tenant: 'cap' })) })]);
    expect(counted.groups).toEqual([1, 1, 1]);
    expect((await store.treeHead('cap')).size).toBe(37);
  });

  it('fails every request of a group whose transaction fails, and recovers after', async () => {
    const real = new SqliteStore({ path: ':memory:' });
    await real.open();
    store = real;
    const ingestor = new Ingestor(real);
    const append = real.append.bind(real);
    let failNext = true;
    real.append = async (requests) => {
      if (failNext) {
        failNext = false;
        throw new Error('disk I/O error');
      }
      return append(requests);
    };
    const first = await Promise.allSettled([
      ingestor.submit({ events: [preparedEvent({ tenant: 'f' })] }),
      ingestor.submit({ events: [preparedEvent({ tenant: 'f' })] }),
    ]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await real.treeHead('f')).size).toBe(0);
    const after = await ingestor.submit({ events: [preparedEvent({ tenant: 'f' })] });
    expect(after.ok && after.events[0]!.seq).toBe(0);
  });

  it('refuses new work with VIGIL_ERR_UNAVAILABLE when the queue is full, storing nothing of it', async () => {
    const real = new SqliteStore({ path: ':memory:' });
    await real.open();
    store = real;
    const ingestor = new Ingestor(real, { maxQueuedEvents: 5 });
    const accepted = ingestor.submit({ events: Array.from({ length: 5 }, () => preparedEvent({ tenant: 'full' })) });
    await expect(ingestor.submit({ events: [preparedEvent({ tenant: 'full' })] })).rejects.toMatchObject({
      code: 'VIGIL_ERR_UNAVAILABLE',
    });
    await accepted;
    await ingestor.drain();
    expect((await real.treeHead('full')).size).toBe(5);
  });
});
