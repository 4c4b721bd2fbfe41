import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../src/auth/principal.js';
import { VigilError } from '../src/domain/errors.js';
import { formatMicros } from '../src/domain/time.js';
import { SummaryService } from '../src/query/summary.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { DAY, MINUTE, T0, preparedEvent } from './support/events.js';
import { ALICE, BOT } from './support/summary-data.js';

const NOW = T0 + 2 * DAY;
const viewer = (tenant: string | null): Principal => ({ keyId: 'k', name: 'dash', role: 'viewer', tenant });

describe('SummaryService', () => {
  let dir: string;
  let store: SqliteStore;
  let service: SummaryService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-summary-service-'));
    store = new SqliteStore({ path: join(dir, 'vigil.db') });
    await store.open();
    service = new SummaryService(store, { now: () => NOW, maxScanRows: 3 });
    const at = (minutesAgo: number) => NOW - minutesAgo * MINUTE;
    await store.append([
      {
        events: [
          preparedEvent({ tenant: 'acme', atUs: at(90), actor: ALICE }),
          preparedEvent({ tenant: 'acme', atUs: at(80), actor: ALICE, outcome: { success: false, status: 403, reason: 'time_window' } }),
          preparedEvent({ tenant: 'acme', atUs: at(70), actor: BOT, action: 'policy.denied', category: 'policy', outcome: { success: false, status: 403 } }),
          preparedEvent({ tenant: 'acme', atUs: at(10), actor: BOT, log: 'mcp', action: 'mcp.tools.call', category: 'mcp' }),
          preparedEvent({ tenant: 'other', atUs: at(10), actor: ALICE }),
        ],
      },
    ]);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the documented shape for the caller’s tenant', async () => {
    const body = await service.summary(viewer('acme'), { range: '2h', bucket: 'hour', group_by: 'action,actor,log', top: '2', baseline: 'actor' });
    expect(body).toEqual({
      from: formatMicros(NOW - 120 * MINUTE),
      to: formatMicros(NOW),
      total: 4,
      failures: 2,
      failure_rate: 0.5,
      buckets: [
        { start: formatMicros(NOW - 120 * MINUTE), count: 3, failures: 2 },
        { start: formatMicros(NOW - 60 * MINUTE), count: 1, failures: 0 },
      ],
      groups: {
        action: [
          { key: 'secret.read', label: 'secret.read', count: 2, failures: 1, failure_rate: 0.5 },
          { key: 'mcp.tools.call', label: 'mcp.tools.call', count: 1, failures: 0, failure_rate: 0 },
        ],
        actor: [
          { key: 'ag_bot', label: 'agent:deploy-bot', count: 2, failures: 1, failure_rate: 0.5 },
          { key: 'u_alice', label: 'alice@acme.example', count: 2, failures: 1, failure_rate: 0.5 },
        ],
        log: [
          { key: 'audit', label: 'audit', count: 3, failures: 2, failure_rate: 0.6667 },
          { key: 'mcp', label: 'mcp', count: 1, failures: 0, failure_rate: 0 },
        ],
      },
      baselines: [
        { actor: 'agent:deploy-bot', actor_id: 'ag_bot', today: 2, mean: 0, stddev: 0, z: 2, flagged: false },
        { actor: 'alice@acme.example', actor_id: 'u_alice', today: 2, mean: 0, stddev: 0, z: 2, flagged: false },
      ],
    });
  });

  it('lets a platform key name the tenant, and no key read another tenant', async () => {
    expect((await service.summary(viewer(null), { tenant: 'other' })).total).toBe(1);
    await expect(service.summary(viewer('acme'), { tenant: 'other' })).rejects.toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
    await expect(service.summary(viewer(null), {})).rejects.toMatchObject({ code: 'VIGIL_ERR_VALIDATION', issues: [{ path: 'tenant' }] });
    await expect(service.summary({ ...viewer('acme'), role: 'writer' }, {})).rejects.toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN' });
  });

  it('refuses a filtered summary that would read more than its cap', async () => {
    const err = await service.summary(viewer('acme'), { range: '2d', status: '403', group_by: 'actor' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect(err).toMatchObject({ code: 'VIGIL_ERR_VALIDATION', issues: [{ path: 'from' }] });
    expect((await service.summary(viewer('acme'), { range: '2d', success: 'false', group_by: 'actor' })).total).toBe(2);
  });
});
