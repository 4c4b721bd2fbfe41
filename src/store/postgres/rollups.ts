import type pg from 'pg';
import { integerArray } from './array-literal.js';
import { LOG_CODE } from '../sqlite/codes.js';
import { RollupDeltas } from '../rollups.js';
import type { EventIds } from './dictionary.js';
import type { SealedEvent } from '../sequencer.js';

/**
 * Adds an append group's events to the `rollups` table (migration 3, store/rollups.ts): each
 * (tenant, dimension, span, bucket, value, log) the group touches is upserted once, all in one
 * statement. Runs inside the append transaction, after the tenants' heads are locked, so two
 * writers of one tenant never upsert its rows at the same time.
 */
export async function writeRollups(client: pg.ClientBase, sealed: readonly SealedEvent[], ids: readonly EventIds[]): Promise<void> {
  const deltas = new RollupDeltas();
  sealed.forEach((s, i) => {
    const id = ids[i]!;
    deltas.add({
      tenantId: s.tenantId,
      tsUs: s.occurredUs,
      log: LOG_CODE[s.event.log],
      success: s.event.outcome.success,
      values: [id.action, id.category, id.actor, id.resource, id.source, id.service, id.environment],
    });
  });
  const rows = [...deltas.rows()];
  if (rows.length === 0) return;
  // In key order, so that concurrent groups (of other tenants) take row locks in one order.
  rows.sort((a, b) => a.tenantId - b.tenantId || a.dim - b.dim || a.span - b.span || a.startHour - b.startHour || a.valueId - b.valueId || a.log - b.log);
  const column = (key: keyof (typeof rows)[number]) => integerArray(rows.map((r) => r[key]));
  await client.query(
    `INSERT INTO rollups (tenant_id, dim, span, start_hour, value_id, log, count, failures)
     SELECT * FROM unnest($1::int[], $2::smallint[], $3::smallint[], $4::int[], $5::int[], $6::smallint[], $7::bigint[], $8::bigint[])
     ON CONFLICT (tenant_id, dim, span, start_hour, value_id, log)
     DO UPDATE SET count = rollups.count + EXCLUDED.count, failures = rollups.failures + EXCLUDED.failures`,
    [
      column('tenantId'),
      column('dim'),
      column('span'),
      column('startHour'),
      column('valueId'),
      column('log'),
      column('count'),
      column('failures'),
    ],
  );
}
