/** The machine and software a run measured, so that figures are never read without them. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import Database from 'better-sqlite3';
import { calibrationLine, type Calibration } from './calibrate.js';
import { serverVersion } from './postgres.js';
import { REPO } from './server.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  os: string;
  node: string;
  sqlite: string;
  postgres: string | null;
  /** HEAD, with `-dirty` when the working tree has changes. */
  commit: string;
  /** 1, 5 and 15-minute load averages when the run began and ended: other work on the machine. */
  loadAtStart: number[];
  loadAtEnd?: number[];
  /** The machine's speed when the run began (older reports have none). */
  calibration?: Calibration;
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export async function describeMachine(databaseUrl: string | null): Promise<Machine> {
  const db = new Database(':memory:');
  const sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();
  const dirty = git('status', '--porcelain', '--untracked-files=no') === '' ? '' : '-dirty';
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    sqlite,
    postgres: databaseUrl === null ? null : await serverVersion(databaseUrl),
    commit: `${git('rev-parse', '--short=12', 'HEAD')}${dirty}`,
    loadAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function machineLine(m: Machine): string {
  const load = (l: number[] | undefined) => (l ? l.join(' ') : '?');
  return [
    `${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.os}`,
    `Node ${m.node}, SQLite ${m.sqlite}${m.postgres ? `, PostgreSQL ${m.postgres}` : ''}, commit ${m.commit}`,
    `load average at start ${load(m.loadAtStart)}, at end ${load(m.loadAtEnd)} (1, 5, 15 min)`,
    ...(m.calibration ? [calibrationLine(m.calibration)] : []),
  ].join('; ');
}
