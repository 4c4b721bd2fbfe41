import { parentPort } from 'node:worker_threads';
import type { HostRequest, Serve } from './thread-host.js';

/**
 * A shared thread (thread-host.ts): starts each module it is sent on the port that comes with it.
 * A module that cannot be loaded gets its port closed, which tells its owner. When a module's port
 * closes, the host is told by the module's number once the module has let go of what it holds.
 */
parentPort!.on('message', ({ id, url, port, data }: HostRequest) => {
  let closed = false;
  port.once('close', () => {
    closed = true;
    // After the module's own 'close' listeners, which run in this same emit.
    process.nextTick(() => parentPort!.postMessage(id));
  });
  import(url).then(
    (module: { serve: Serve<unknown> }) => {
      // Closed while it loaded: started, it would never hear of it.
      if (!closed) module.serve(port, data);
    },
    () => port.close(),
  );
});
