import { threadId, type MessagePort } from 'node:worker_threads';

/**
 * A module for shared threads (src/threads/thread-host.ts) in tests: answers each message with
 * its thread, its data and the message; 'close' closes its port, 'crash' throws out of a timer,
 * which stops its thread.
 */
export function serve(port: MessagePort, data: unknown): void {
  port.on('message', (message: string) => {
    if (message === 'close') return port.close();
    if (message === 'crash') return void setTimeout(() => {
      throw new Error('crashed on purpose');
    });
    port.postMessage({ threadId, data, message });
  });
}
