import { v7 as uuidv7 } from 'uuid';
import type { PreparedEvent } from '../../src/domain/event.js';
import { formatMicros } from '../../src/domain/time.js';

/** A base time for test data: 2026-11-01T00:00:00Z in microseconds. */
export const T0 = Date.UTC(2026, 10, 1) * 1000;
export const MINUTE = 60e6;
export const DAY = 86_400e6;

/** A prepared event (as `prepareEvent` would return) with sensible defaults. */
export function preparedEvent(overrides: Partial<PreparedEvent> & { atUs?: number } = {}): PreparedEvent {
  const { atUs, ...rest } = overrides;
  return {
    id: uuidv7(),
    tenant: 'acme',
    log: 'audit',
    action: 'secret.read',
    category: 'secrets',
    crud: 'read',
    occurred_at: formatMicros(atUs ?? T0),
    actor: { type: 'user', id: 'u_1', name: 'Alice', email: 'alice@acme.example' },
    resource: { type: 'secret', id: 'sec_1', name: 'DB_PASSWORD', path: 'prod/db/password' },
    outcome: { success: true, status: 200 },
    ...rest,
  };
}
