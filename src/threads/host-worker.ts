import { parentPort } from 'node:worker_threads';
import type { HostRequest, Serve } from './thread-host.js';

/**
 * A shared thread (thread-host.ts): starts each module it is sent on the port that comes with it.
 * A module that cannot be loaded gets its port closed, which tells its owner.
 */
parentPort!.on('message', ({ url, port, data }: HostRequest) => {
  import(url).then(
    (module: { serve: Serve<unknown> }) => module.serve(port, data),
    () => port.close(),
  );
});
