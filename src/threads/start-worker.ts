import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running the module `name` next to the module of `callerUrl` (its
 * `import.meta.url`): the compiled `.js` file, or under tsx and vitest the TypeScript source,
 * loaded through tsx's loader (Node 20 ignores `--import` in a worker's execArgv; tsx is a
 * development dependency, resolved from the working directory, the repository).
 */
export function startWorker(callerUrl: string, name: string, options: Pick<WorkerOptions, 'workerData'> = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const entry = JSON.stringify(new URL(`./${name}.ts`, callerUrl).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`, { ...options, eval: true });
}
