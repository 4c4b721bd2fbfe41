import type { MessagePort } from 'node:worker_threads';

/**
 * A module for shared threads (src/threads/thread-host.ts) in tests: answers each message with
 * 'up'; when its port closes it takes `ms` to let go (as a connection's close may; Infinity: it
 * never does), then marks `released[0]`.
 */
export function serve(port: MessagePort, { released, ms }: { released: Int32Array; ms: number }): void {
  port.on('message', () => port.postMessage('up'));
  port.once('close', () => {
    const until = Date.now() + ms;
    while (Date.now() < until);
    Atomics.store(released, 0, 1);
  });
}
