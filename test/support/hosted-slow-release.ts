import type { MessagePort } from 'node:worker_threads';

/**
 * A module for shared threads (src/threads/thread-host.ts) in tests: answers each message with
 * 'up'; when its port closes it takes 200 ms to let go (as a connection's close may), then marks
 * `released[0]`.
 */
export function serve(port: MessagePort, released: Int32Array): void {
  port.on('message', () => port.postMessage('up'));
  port.once('close', () => {
    const until = Date.now() + 200;
    while (Date.now() < until);
    Atomics.store(released, 0, 1);
  });
}
