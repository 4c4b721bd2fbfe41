import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

/**
 * The server's logger. Request logs carry method, url and status only; anything that could
 * hold a secret (the Authorization header, cookies, bodies) is redacted should it ever be logged.
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
    destination ?? process.stdout,
  );
}
