import { once } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { ThreadHosts, type HostedModule } from '../src/threads/thread-host.js';

interface Echo {
  threadId: number;
  data: unknown;
  message: string;
}

async function ask(module: HostedModule, message: string): Promise<Echo> {
  const reply = once(module.port, 'message') as Promise<[Echo]>;
  module.port.postMessage(message);
  return (await reply)[0];
}

describe('shared threads', () => {
  const echo = (hosts: ThreadHosts, slot: number, data: unknown, gone = vi.fn()) => hosts.start(slot, import.meta.url, 'support/hosted-echo', data, gone);

  it('run the modules of one slot on one thread and those of another on theirs, each on its own port with its own data', async () => {
    const hosts = new ThreadHosts();
    const [a, b, c] = [echo(hosts, 0, 'a'), echo(hosts, 0, { b: 2 }), echo(hosts, 1, 'c')];
    try {
      const [ra, rb, rc] = await Promise.all([ask(a, 'to a'), ask(b, 'to b'), ask(c, 'to c')]);
      expect(ra).toMatchObject({ data: 'a', message: 'to a' });
      expect(rb).toMatchObject({ data: { b: 2 }, message: 'to b' });
      expect(rc).toMatchObject({ data: 'c', message: 'to c' });
      expect(rb.threadId).toBe(ra.threadId);
      expect(rc.threadId).not.toBe(ra.threadId);
      expect(hosts.running).toBe(2);
    } finally {
      await Promise.all([a, b, c].map((module) => module.close()));
    }
  });

  it('stop a thread with its last module, and start a new one for the next', async () => {
    const hosts = new ThreadHosts();
    const [a, b] = [echo(hosts, 0, 'a'), echo(hosts, 0, 'b')];
    const first = (await ask(a, 'hello')).threadId;
    const exit = once(a.thread, 'exit');
    await a.close();
    expect(hosts.running).toBe(1);
    expect((await ask(b, 'still there')).threadId).toBe(first);
    await b.close();
    await exit;
    expect(hosts.running).toBe(0);
    const c = echo(hosts, 0, 'c');
    expect((await ask(c, 'again')).threadId).not.toBe(first);
    await c.close();
  });

  it('close a module once it has let go of what it holds, alone on its thread or beside another', async () => {
    const hosts = new ThreadHosts();
    const flag = () => new Int32Array(new SharedArrayBuffer(4));
    const [alone, shared] = [flag(), flag()];
    const a = hosts.start(0, import.meta.url, 'support/hosted-slow-release', { released: alone, ms: 200 }, vi.fn());
    const b = hosts.start(1, import.meta.url, 'support/hosted-slow-release', { released: shared, ms: 200 }, vi.fn());
    const neighbour = echo(hosts, 1, 'neighbour');
    // Started, all three (a module closed before it starts has nothing to let go of).
    await Promise.all([a, b, neighbour].map((module) => ask(module, 'up')));
    // The thread of slot 0 ends with its module: the release must not be cut short.
    await a.close();
    expect(Atomics.load(alone, 0)).toBe(1);
    await b.close();
    expect(Atomics.load(shared, 0)).toBe(1);
    await neighbour.close();
  });

  it('stop the thread of a module that does not let go in time, telling the others on it', async () => {
    const hosts = new ThreadHosts(300);
    const released = new Int32Array(new SharedArrayBuffer(4));
    const stuck = hosts.start(0, import.meta.url, 'support/hosted-slow-release', { released, ms: Infinity }, vi.fn());
    const goneNeighbour = vi.fn();
    const neighbour = echo(hosts, 0, 'neighbour', goneNeighbour);
    await Promise.all([ask(stuck, 'up'), ask(neighbour, 'up')]);
    const exit = once(stuck.thread, 'exit');
    await stuck.close();
    await exit;
    expect(Atomics.load(released, 0)).toBe(0);
    expect(goneNeighbour).toHaveBeenCalledOnce();
    expect(hosts.running).toBe(0);
    await neighbour.close();
  });

  it('tell the owner of a module that closes its port, and keep the thread for the others', async () => {
    const hosts = new ThreadHosts();
    const [goneA, goneB] = [vi.fn(), vi.fn()];
    const [a, b] = [echo(hosts, 0, 'a', goneA), echo(hosts, 0, 'b', goneB)];
    try {
      a.port.postMessage('close');
      await vi.waitFor(() => expect(goneA).toHaveBeenCalledOnce());
      expect((await ask(b, 'fine')).data).toBe('b');
      expect(goneB).not.toHaveBeenCalled();
      expect(hosts.running).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect(hosts.running).toBe(0);
  });

  it('tell every module of a thread that stops, once, and start a new thread for the next module', async () => {
    const hosts = new ThreadHosts();
    const [goneA, goneB] = [vi.fn(), vi.fn()];
    const [a, b] = [echo(hosts, 0, 'a', goneA), echo(hosts, 0, 'b', goneB)];
    const crashed = (await ask(a, 'hello')).threadId;
    // Not once(): it would reject with the thread's error, which comes before its exit.
    const exit = new Promise((resolve) => a.thread.once('exit', resolve));
    a.port.postMessage('crash');
    await exit;
    await vi.waitFor(() => expect(goneB).toHaveBeenCalledOnce());
    expect(goneA).toHaveBeenCalledOnce();
    expect(hosts.running).toBe(0);
    await Promise.all([a.close(), b.close()]);
    expect(goneA).toHaveBeenCalledOnce();
    const c = echo(hosts, 0, 'c');
    expect((await ask(c, 'after')).threadId).not.toBe(crashed);
    await c.close();
  });

  it('close the port of a module that cannot be loaded', async () => {
    const hosts = new ThreadHosts();
    const gone = vi.fn();
    const missing = hosts.start(0, import.meta.url, 'support/no-such-module', null, gone);
    await vi.waitFor(() => expect(gone).toHaveBeenCalledOnce());
    expect(hosts.running).toBe(0);
    await missing.close();
  });
});
