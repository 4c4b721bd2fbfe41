import type pg from 'pg';
import type { PreparedEvent } from '../../domain/event.js';
import { ipKeyHex } from '../../domain/ip.js';
import { nowMicros, parseTimeMicros } from '../../domain/time.js';
import { HASH_SIZE } from '../../integrity/hash.js';
import { appendLeaves, tileWidth, type AppendOutcome } from '../../integrity/tiles.js';
import { CRUD_CODE, LOG_CODE } from '../sqlite/codes.js';
import type { AppendRequest, AppendResult } from '../store.js';
import { copyLine, copyRows, type CopyValue } from './copy.js';
import type { Dictionary, EventIds } from './dictionary.js';
import { isRetryable } from './errors.js';
import type { Partitions } from './partitions.js';
import { transaction } from './pool.js';
import { idKey, Sequencer, type KnownEvent, type SealedEvent } from '../sequencer.js';
import type { TenantTree } from '../sqlite/tree-cache.js';
import type { LockedHead, TreeCache } from './tree-cache.js';

/** Columns of `events` in the order `eventValues` gives them. */
export const EVENT_COLUMNS = [
  'seq', 'occurred_us', 'tenant_id', 'action_id', 'category_id', 'actor_id', 'resource_id', 'source_id',
  'service_id', 'environment_id', 'method_id', 'uid', 'status', 'log', 'crud', 'success', 'ip',
  'request_id', 'session_id', 'reason', 'body',
] as const;

const KEY_COLUMNS = ['tenant_id', 'seq', 'occurred_us', 'uid'] as const;

/** An `events` row: the sealed body and the interned columns the filters use. */
export function eventValues(sealed: SealedEvent, ids: EventIds): CopyValue[] {
  const { event } = sealed;
  const ip = event.client?.ip === undefined ? null : ipKeyHex(event.client.ip);
  return [
    sealed.seq,
    sealed.occurredUs,
    sealed.tenantId,
    ids.action,
    ids.category,
    ids.actor,
    ids.resource,
    ids.source,
    ids.service,
    ids.environment,
    ids.method,
    event.id,
    event.outcome.status ?? null,
    LOG_CODE[event.log],
    CRUD_CODE[event.crud],
    event.outcome.success,
    ip === null ? null : Buffer.from(ip, 'hex'),
    event.request?.id ?? null,
    event.session_id ?? null,
    event.outcome.reason ?? null,
    sealed.body,
  ];
}

/** Attempts of one group commit when PostgreSQL reports a deadlock or serialization failure. */
const MAX_ATTEMPTS = 3;

/** SQLSTATE 23514 with this message: the row's month has no partition (one was dropped meanwhile). */
function isMissingPartition(err: unknown): boolean {
  return (err as { code?: unknown }).code === '23514' && /no partition of relation/.test((err as Error).message);
}

/**
 * The write path of the PostgreSQL store: one call is one transaction holding the events of many
 * requests (group commit), correct with any number of Vigil processes writing at once.
 */
export class Appender {
  constructor(
    private readonly pool: pg.Pool,
    private readonly dict: Dictionary,
    private readonly trees: TreeCache,
    private readonly partitions: Partitions,
  ) {}

  async append(requests: readonly AppendRequest[]): Promise<AppendResult[]> {
    const events = requests.flatMap((r) => r.events);
    if (events.length === 0) return requests.map(() => ({ ok: true, events: [] }));
    // Step 0, each committed on its own: the tenants (with empty tree heads) and the partitions
    // of the months written. Harmless if the group then fails.
    const tenantIds = await this.dict.tenants([...new Set(events.map((e) => e.tenant))].sort());
    const times = events.map((e) => parseTimeMicros(e.occurred_at)!);
    await this.partitions.ensure(times, nowMicros());
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(requests, tenantIds);
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS) throw err;
        if (isMissingPartition(err)) {
          await this.partitions.load();
          await this.partitions.ensure(times, nowMicros());
        } else if (!isRetryable(err)) {
          throw err;
        }
      }
    }
  }

  private async attempt(requests: readonly AppendRequest[], tenantIds: ReadonlyMap<string, number>): Promise<AppendResult[]> {
    const interning = this.dict.interning();
    const { results, grown } = await transaction(this.pool, async (client) => {
      // Step 1: lock every tenant's head, in tenant id order (the same in every process, so two
      // groups never wait on each other in a cycle). Until COMMIT no other writer of these
      // tenants, here or in another process, can pass this point: seq stays dense and unique.
      const heads = await lockHeads(client, [...new Set(tenantIds.values())].sort((a, b) => a - b));
      const trees = await this.trees.current(client, heads);
      // Step 2: sequence and seal; requests reusing an id with other content are refused alone.
      const known = await findKnown(client, requests, tenantIds);
      const sizes = new Map([...heads].map(([id, head]) => [id, head.size]));
      const sequencer = new Sequencer(tenantIds, sizes, known, nowMicros());
      const results = requests.map((request) => sequencer.add(request));
      // Step 3: write the events, their keys, the grown trees and heads.
      const ids = await interning.intern(client, sequencer.sealed);
      await copyRows(client, 'events', EVENT_COLUMNS, sequencer.sealed.map((s, i) => copyLine(eventValues(s, ids[i]!))));
      await copyRows(client, 'event_keys', KEY_COLUMNS, sequencer.sealed.map(keyLine));
      const grown = new Map<number, AppendOutcome>();
      for (const [tenantId, leaves] of sequencer.leaves) {
        const tree = trees.get(tenantId)!;
        grown.set(tenantId, appendLeaves(tree.size, tree.edge, leaves, tree.range));
      }
      await writeTrees(client, trees, grown);
      return { results, grown };
    });
    // Step 4: committed and durable — only now may this process's caches move forward.
    interning.publish();
    this.trees.publish(grown);
    return results;
  }
}

function keyLine(sealed: SealedEvent): string {
  return copyLine([sealed.tenantId, sealed.seq, sealed.occurredUs, sealed.event.id]);
}

async function lockHeads(client: pg.ClientBase, tenantIds: readonly number[]): Promise<Map<number, LockedHead>> {
  const { rows } = await client.query<{ tenant_id: number; size: number; root: Buffer }>(
    'SELECT tenant_id, size, root FROM tree_heads WHERE tenant_id = ANY($1::int[]) ORDER BY tenant_id FOR UPDATE',
    [tenantIds],
  );
  if (rows.length !== tenantIds.length) throw new Error('tree head missing for a tenant being appended to');
  return new Map(rows.map((r) => [r.tenant_id, { size: r.size, root: new Uint8Array(r.root) }]));
}

/** Stored events whose (tenant, id) the group reuses, by `idKey` (ids Vigil minted are not looked up). */
async function findKnown(
  client: pg.ClientBase,
  requests: readonly AppendRequest[],
  tenantIds: ReadonlyMap<string, number>,
): Promise<Map<string, KnownEvent>> {
  const events: PreparedEvent[] = requests.flatMap((r) => r.events.filter((_, i) => !r.mintedIds?.has(i)));
  if (events.length === 0) return new Map();
  const names = new Map([...tenantIds].map(([name, id]) => [id, name]));
  const { rows } = await client.query<{ tenant_id: number; uid: string; seq: number; body: string }>(
    // One index probe per id (LATERAL … LIMIT 1 keeps the planner from hashing all of
    // event_keys), and the body only for ids found, from the one partition that holds it.
    `SELECT k.tenant_id, k.uid::text AS uid, k.seq,
            (SELECT e.body FROM events e
              WHERE e.tenant_id = k.tenant_id AND e.occurred_us = k.occurred_us AND e.seq = k.seq) AS body
       FROM unnest($1::int[], $2::uuid[]) AS w(tenant_id, uid)
       CROSS JOIN LATERAL (
         SELECT * FROM event_keys k WHERE k.tenant_id = w.tenant_id AND k.uid = w.uid LIMIT 1) k`,
    [events.map((e) => tenantIds.get(e.tenant)), events.map((e) => e.id)],
  );
  return new Map(rows.map((r) => [idKey(names.get(r.tenant_id)!, r.uid), { seq: r.seq, body: r.body }]));
}

/**
 * Upserts every changed tile and moves the heads, in one statement (one round trip). Tiles only
 * grow, so each is sent as the hashes it gains since the locked head (`before`), all in one binary
 * parameter, and appended to its stored row: sent whole as hex text at every append, the partial
 * tiles were about 540 bytes per event on the wire, more than a third of what an append sends.
 * Every row's new length is checked against the tile computed here, so a stored row that is not
 * what the head says fails the transaction instead of keeping a wrong tile.
 */
async function writeTrees(
  client: pg.ClientBase,
  before: ReadonlyMap<number, TenantTree>,
  grown: ReadonlyMap<number, AppendOutcome>,
): Promise<void> {
  if (grown.size === 0) return;
  const tiles = [...grown].flatMap(([tenantId, tree]) =>
    tree.writes.map((w) => ({
      tenantId,
      level: w.level,
      index: w.index,
      length: w.hashes.length,
      added: w.hashes.subarray(tileWidth(before.get(tenantId)!.size, w) * HASH_SIZE),
    })),
  );
  tiles.sort((a, b) => a.tenantId - b.tenantId || a.level - b.level || a.index - b.index);
  const offsets: number[] = [];
  let offset = 0;
  for (const tile of tiles) {
    offsets.push(offset);
    offset += tile.added.length;
  }
  const heads = [...grown];
  const { rows } = await client.query<{ wrong: number }>(
    `WITH w AS (
       SELECT * FROM unnest($1::int[], $2::smallint[], $3::bigint[], $4::int[], $5::int[], $6::int[])
         AS w(tenant_id, level, idx, off, len, length)),
     grown AS (
       INSERT INTO merkle_tiles AS t (tenant_id, level, idx, hashes)
       SELECT tenant_id, level, idx, substring($7::bytea FROM off + 1 FOR len) FROM w ORDER BY tenant_id, level, idx
       ON CONFLICT (tenant_id, level, idx) DO UPDATE SET hashes = t.hashes || EXCLUDED.hashes
       RETURNING t.tenant_id, t.level, t.idx, length(t.hashes) AS length),
     heads AS (
       UPDATE tree_heads h SET size = u.size, root = substring($10::bytea FROM (u.n::int - 1) * ${HASH_SIZE} + 1 FOR ${HASH_SIZE})
         FROM unnest($8::int[], $9::bigint[]) WITH ORDINALITY AS u(tenant_id, size, n)
        WHERE h.tenant_id = u.tenant_id)
     SELECT count(*)::int AS wrong FROM w LEFT JOIN grown g USING (tenant_id, level, idx)
      WHERE g.length IS DISTINCT FROM w.length`,
    [
      tiles.map((t) => t.tenantId),
      tiles.map((t) => t.level),
      tiles.map((t) => t.index),
      offsets,
      tiles.map((t) => t.added.length),
      tiles.map((t) => t.length),
      Buffer.concat(tiles.map((t) => t.added)),
      heads.map(([id]) => id),
      heads.map(([, t]) => t.size),
      Buffer.concat(heads.map(([, t]) => t.root)),
    ],
  );
  if (rows[0]!.wrong !== 0) throw new Error(`${rows[0]!.wrong} Merkle tile(s) stored did not match the tree head they grew from`);
}
