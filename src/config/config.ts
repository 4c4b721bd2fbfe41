import path from 'node:path';
import { invalid, type FieldIssue } from '../domain/errors.js';

/** The server's settings, read once from the environment at start. */
export interface Config {
  /** TCP port (`PORT`, default 8080; 0 picks a free port). */
  port: number;
  /** Listen address (`HOST`, default 0.0.0.0). */
  host: string;
  /** Where the embedded store keeps its files (`VIGIL_DATA_DIR`, default ./data), absolute. */
  dataDir: string;
  /** A platform admin key to install at start instead of generating one (`VIGIL_ADMIN_KEY`). */
  adminKey: string | undefined;
  /** `postgres://…` selects the PostgreSQL store (`VIGIL_DATABASE_URL`); absent: SQLite. */
  databaseUrl: string | undefined;
  /** Connections per process to PostgreSQL (VIGIL_DATABASE_POOL_SIZE, default 10). */
  databasePoolSize: number;
  /** SQLite's sync at commit (VIGIL_SQLITE_SYNCHRONOUS): FULL (default) survives power loss, NORMAL a crash. */
  sqliteSynchronous: 'FULL' | 'NORMAL';
  /** pino level (`VIGIL_LOG_LEVEL`, default info). */
  logLevel: LogLevel;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Env = Record<string, string | undefined>;

/** Reads the config from `env`; throws a VIGIL_ERR_VALIDATION naming every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const issues: FieldIssue[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };

  const port = parsePort(value('PORT') ?? '8080');
  if (port === null) issues.push({ path: 'PORT', message: `must be an integer from 0 to 65535, got "${env.PORT}"` });

  const logLevel = value('VIGIL_LOG_LEVEL') ?? 'info';
  if (!isLogLevel(logLevel)) {
    issues.push({ path: 'VIGIL_LOG_LEVEL', message: `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"` });
  }

  const databaseUrl = value('VIGIL_DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    issues.push({ path: 'VIGIL_DATABASE_URL', message: 'must start with postgres:// or postgresql://' });
  }

  const poolSize = Number(value('VIGIL_DATABASE_POOL_SIZE') ?? '10');
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    issues.push({ path: 'VIGIL_DATABASE_POOL_SIZE', message: `must be an integer from 1 to 1000, got "${env.VIGIL_DATABASE_POOL_SIZE}"` });
  }

  const sqliteSynchronous = (value('VIGIL_SQLITE_SYNCHRONOUS') ?? 'FULL').toUpperCase();
  if (sqliteSynchronous !== 'FULL' && sqliteSynchronous !== 'NORMAL') {
    issues.push({ path: 'VIGIL_SQLITE_SYNCHRONOUS', message: `must be FULL or NORMAL, got "${env.VIGIL_SQLITE_SYNCHRONOUS}"` });
  }

  if (issues.length > 0) throw invalid(issues);
  return {
    port: port!,
    host: value('HOST') ?? '0.0.0.0',
    dataDir: path.resolve(value('VIGIL_DATA_DIR') ?? './data'),
    adminKey: value('VIGIL_ADMIN_KEY'),
    databaseUrl,
    databasePoolSize: poolSize,
    sqliteSynchronous: sqliteSynchronous as 'FULL' | 'NORMAL',
    logLevel: logLevel as LogLevel,
  };
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}
