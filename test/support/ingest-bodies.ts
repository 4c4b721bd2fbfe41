/** Request bodies for the ingest tests: batches that exercise redaction, defaulted times and derived ids. */
import { THREAD_BODY_LENGTH } from '../../src/http/routes/events.js';

export const awsKey = 'AKIAIOSFODNN7EXAMPLE';
export const actor = { type: 'user', id: 'u_1', email: 'alice@acme.example' };

/** An event as a producer sends it. */
export const event = (over: Record<string, unknown> = {}) => ({ action: 'SECRET_READ', actor, ...over });

/** A batch whose events exercise redaction, defaulted times and derived ids. */
export const batch = (n = 20) => ({
  events: Array.from({ length: n }, (_, i) =>
    event({
      ...(i % 2 === 0 ? { occurred_at: '2026-11-21T10:00:00Z' } : {}),
      context: { note: `rotated ${awsKey} #${i}` },
      changes: [{ field: 'password', old: `old-${i}`, new: `new-${i}` }],
    }),
  ),
});

/** `body` as JSON text: as it is, or padded with whitespace (still the same JSON) to reach the ingest thread. */
export const text = (body: unknown, large: boolean) => JSON.stringify(body) + (large ? ' '.repeat(THREAD_BODY_LENGTH) : '');

