/**
 * A real Vigil server in a child process, as an operator runs it: `vigil serve` (compiled, see
 * compile.ts) on 127.0.0.1 and a free port, the platform admin key set through VIGIL_ADMIN_KEY, request logs at the shipped
 * level (written to a file, as a log pipe would take them; its errors explain a failed measure), on SQLite or — with
 * VIGIL_DATABASE_URL — PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Node's flags for the server, read from `npm start` (package.json): the heap cap of docs/operations.md "Memory". */
export const SERVER_NODE_FLAGS = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts.start as string)
  .split(' ')
  .filter((word) => word.startsWith('--'));

export type StoreConfig = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

/** How the server runs: compiled JavaScript (bench/compile.ts), as in production, or from source through tsx. */
export type Runtime = { kind: 'compiled'; dir: string } | { kind: 'tsx' };

export interface ServerOptions {
  runtime: Runtime;
  store: StoreConfig;
  adminKey: string;
  logLevel: string;
  /** Where the server's stdout and stderr go (its request log). */
  logFile: string;
  /** Write a V8 CPU profile of the server into this directory when it stops. */
  profileDir?: string;
}

export interface RunningServer {
  url: string;
  pid: number;
  /** How it was started, for the report. */
  command: string;
  /** SIGTERM, then waits for a clean exit (the store is closed, the profile written). */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** The variables that point `vigil serve` (and its config loader) at `store`; an undefined value unsets one. */
export function storeEnv(store: StoreConfig): Record<string, string | undefined> {
  return store.kind === 'sqlite'
    ? { VIGIL_DATA_DIR: store.dataDir, VIGIL_DATABASE_URL: undefined }
    : { VIGIL_DATABASE_URL: store.url };
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    VIGIL_ADMIN_KEY: options.adminKey,
    VIGIL_LOG_LEVEL: options.logLevel,
  };
  Object.assign(env, storeEnv(options.store));
  const entry = ['src/cli/main.ts', 'serve'];
  const profile = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
  const runtime = options.runtime;
  const program = runtime.kind === 'tsx' ? ['--import', 'tsx', ...entry] : [path.join(runtime.dir, entry[0]!.replace(/\.ts$/, '.js')), ...entry.slice(1)];
  const args = [...SERVER_NODE_FLAGS, ...profile, ...program];
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = once(child, 'exit');
  // Never outlive the benchmark, however it ends.
  const kill = (): void => void child.kill('SIGKILL');
  process.on('exit', kill);
  void exited.then(() => process.off('exit', kill));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, options.logFile);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    pid: child.pid!,
    command: `node ${args.join(' ')}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The server's log lines at level error or above (pino: 50, 60), or its last lines when it wrote other text. */
export function serverErrors(logFile: string, max = 5): string {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
  const lines = text.split('\n').filter(Boolean);
  const errors = lines.filter((line) => /"level":[56]0/.test(line) || !line.startsWith('{'));
  return errors.slice(-max).join('\n').slice(-4000);
}

async function waitReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${serverErrors(logFile, 20)}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not become ready in 120 s: ${serverErrors(logFile, 20)}`);
}
