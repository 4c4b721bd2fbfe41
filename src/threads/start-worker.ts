import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module `name` next to the module of `callerUrl` (its
 * `import.meta.url`): the compiled `.js` file, or under tsx and vitest the TypeScript source,
 * loaded through tsx's loader (Node 20 ignores `--import` in a worker's execArgv; tsx is a
 * development dependency, resolved from the working directory, the repository).
 */
export function startWorker(callerUrl: string, name: string): Worker {
  const url = moduleUrl(callerUrl, name);
  if (!callerUrl.endsWith('.ts')) return new Worker(url);
  const entry = JSON.stringify(url.href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true });
}

/** The module `name` next to the module of `callerUrl`: TypeScript beside TypeScript (tsx, vitest), else JavaScript. */
export function moduleUrl(callerUrl: string, name: string): URL {
  return new URL(`./${name}.${callerUrl.endsWith('.ts') ? 'ts' : 'js'}`, callerUrl);
}
