import { destination as pinoDestination, pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

/**
 * The server's logger. Request logs carry method, url and status only; anything that could
 * hold a secret (the Authorization header, cookies, bodies) is redacted should it ever be logged.
 * Standard output is written asynchronously, in batches: written line by line, synchronously,
 * the request log took 4% of the event loop under single-event load (BENCHMARKS.md, fifth
 * round). `vigil serve` flushes it before it exits.
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["idempotency-key"]', 'req.body', 'body', 'res.headers["set-cookie"]'],
        censor: '[REDACTED]',
      },
    },
    destination ?? pinoDestination({ dest: 1, sync: false }),
  );
}
