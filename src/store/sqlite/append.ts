import type Database from 'better-sqlite3';
import { ipKeyHex } from '../../domain/ip.js';
import { nowMicros } from '../../domain/time.js';
import { CompactRange } from '../../integrity/compact-range.js';
import { EMPTY_ROOT } from '../../integrity/hash.js';
import { appendLeaves, type AppendOutcome } from '../../integrity/tiles.js';
import { RollupDeltas } from '../rollups.js';
import { idKey, Sequencer, type KnownEvent, type SealedEvent } from '../sequencer.js';
import type { AppendRequest, AppendResult } from '../store.js';
import { CRUD_CODE, LOG_CODE } from './codes.js';
import { BODY_SQL, type BodyCodec } from './body-codec.js';
import type { BodyColumns } from './body-members.js';
import { ipColumn } from './ip-keys.js';
import type { DayRowsCache } from './day-rows-cache.js';
import { TERM, type Dictionary } from './dictionary.js';
import { rowIdSql } from './row-ids.js';
import { SqliteRollups } from './rollups.js';
import type { TenantTree, TreeCache } from './tree-cache.js';
import { uuidBytes } from './uuids.js';

/**
 * The write path of the embedded store: one call is one transaction holding the events of many
 * requests (group commit). Owned by SqliteStore, which is the only writer of its file, so the
 * in-memory tree heads are authoritative between calls. What to store is decided by the
 * Sequencer shared with the PostgreSQL store; this class only reads and writes SQLite.
 */
export class Appender {
  private readonly stmt;
  private readonly rollups: SqliteRollups;

  /** `integrity: false` skips leaf hashing and tile writes: a benchmark-only switch (SqliteStoreOptions). */
  constructor(
    private readonly db: Database.Database,
    private readonly dict: Dictionary,
    private readonly trees: TreeCache,
    private readonly bodies: BodyCodec,
    dayRows: DayRowsCache,
    private readonly integrity = true,
  ) {
    this.stmt = {
      byUid: db.prepare<[number, Buffer], KnownEvent>(`SELECT ${BODY_SQL} AS body, seq FROM events WHERE tenant_id = ? AND uid = ?`),
      insert: db.prepare(`INSERT INTO events (rid, tenant_id, seq, ts, uid, log, action_id, category_id, crud, actor_id,
        resource_id, source_id, service_id, environment_id, success, status, method_id, ip, request_id, session_id, received_lag_us, body)
        VALUES (${rowIdSql('?', '?')}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    };
    this.rollups = new SqliteRollups(db, dayRows);
  }

  /**
   * Sequences and stores every request that does not conflict, in one IMMEDIATE transaction.
   * Durable when it returns (the WAL is synced at commit with synchronous=FULL).
   */
  append(requests: readonly AppendRequest[]): AppendResult[] {
    let grown = new Map<number, TenantTree>();
    let committed = (): void => undefined;
    let sealed: readonly SealedEvent[] = [];
    let results: AppendResult[];
    try {
      results = this.db.transaction(() => {
        // Step 1: the tenants' next seqs and the events already stored under the ids sent.
        const sequencer = this.sequencer(requests);
        sealed = sequencer.sealed;
        // Step 2: decide each request (new, duplicate, or conflict refusing that request alone).
        const out = requests.map((request) => sequencer.add(request));
        // Step 3: write the new events, counting them for the summary rollups.
        const rollups = new RollupDeltas();
        for (const sealed of sequencer.sealed) this.insert(sealed, rollups);
        // Step 4: extend each tenant's Merkle tiles, in the same transaction as its events.
        grown = this.extendTrees(sequencer.leaves);
        // Step 5: the rollups, written with those of earlier appends about once a second.
        committed = this.rollups.stage(rollups, (tenantId) => (grown.get(tenantId) ?? this.trees.get(tenantId)).size);
        return out;
      }).immediate();
    } catch (err) {
      // Ids interned by the rolled-back transaction no longer exist.
      this.dict.forget();
      throw err;
    }
    // Step 6: committed — only now do the cached tree heads and the waiting rollups move forward.
    for (const [tenantId, tree] of grown) this.trees.set(tenantId, tree);
    committed();
    this.bodies.appended(this.db, sealed);
    return results;
  }

  /** Writes the rollups still waiting in memory (summaries read the table; purges and closing need it whole). */
  flushRollups(): void {
    this.rollups.flush((tenantId) => this.trees.get(tenantId).size);
  }

  /** At open: the rollups of events a crashed process had counted only in memory. */
  recoverRollups(): void {
    this.rollups.recover();
  }

  private sequencer(requests: readonly AppendRequest[]): Sequencer {
    const tenantIds = new Map<string, number>();
    const sizes = new Map<number, number>();
    const known = new Map<string, KnownEvent>();
    for (const { events, mintedIds } of requests) {
      for (const [i, event] of events.entries()) {
        let tenantId = tenantIds.get(event.tenant);
        if (tenantId === undefined) {
          tenantId = this.dict.tenant(event.tenant);
          tenantIds.set(event.tenant, tenantId);
          sizes.set(tenantId, this.trees.get(tenantId).size);
        }
        if (mintedIds?.has(i)) continue;
        const stored = this.stmt.byUid.get(tenantId, uuidBytes(event.id));
        if (stored) known.set(idKey(event.tenant, event.id), stored);
      }
    }
    return new Sequencer(tenantIds, sizes, known, nowMicros(), this.integrity);
  }

  private insert(sealed: SealedEvent, rollups: RollupDeltas): void {
    const { event, tenantId, seq, occurredUs, receivedUs } = sealed;
    const d = this.dict;
    const ip = event.client?.ip === undefined ? null : ipKeyHex(event.client.ip);
    const log = LOG_CODE[event.log];
    // In rollups.ts VALUE_DIMS order: action, category, actor, resource, source, service, environment.
    const values = [
      d.term(TERM.action, event.action),
      d.term(TERM.category, event.category),
      d.actor(tenantId, event.actor),
      event.resource ? d.resource(tenantId, event.resource) : null,
      d.optionalTerm(TERM.source, event.source),
      d.optionalTerm(TERM.service, event.service),
      d.optionalTerm(TERM.environment, event.environment),
    ] as const;
    const [action, category, actor, resource, source, service, environment] = values;
    const uid = uuidBytes(event.id);
    const columns: BodyColumns = {
      uidHex: uid.toString('hex'),
      ts: occurredUs,
      seq,
      sessionId: event.session_id ?? null,
      requestId: event.request?.id ?? null,
      receivedLagUs: receivedUs - occurredUs,
    };
    this.stmt.insert.run(
      // The row id's tenant and seq (row-ids.ts), then the columns'.
      tenantId,
      seq,
      tenantId,
      seq,
      occurredUs,
      uid,
      log,
      action,
      category,
      CRUD_CODE[event.crud],
      actor,
      resource,
      source,
      service,
      environment,
      event.outcome.success ? 1 : 0,
      event.outcome.status ?? null,
      d.optionalTerm(TERM.method, event.request?.method),
      ip === null ? null : ipColumn(ip),
      columns.requestId,
      columns.sessionId,
      columns.receivedLagUs,
      this.bodies.encode(sealed, columns),
    );
    rollups.add({ tenantId, tsUs: occurredUs, log, success: event.outcome.success, values });
  }

  /** Writes each tenant's new tiles and head; returns the new heads to publish after COMMIT. */
  private extendTrees(leaves: ReadonlyMap<number, Uint8Array[]>): Map<number, TenantTree> {
    const grown = new Map<number, TenantTree>();
    for (const [tenantId, tenantLeaves] of leaves) {
      const tree = this.trees.get(tenantId);
      const outcome: AppendOutcome = this.integrity
        ? appendLeaves(tree.size, tree.edge, tenantLeaves, tree.range)
        : { size: tree.size + tenantLeaves.length, root: EMPTY_ROOT, range: new CompactRange(), writes: [], edge: new Map() };
      this.trees.write(tenantId, tree.size, outcome);
      grown.set(tenantId, { size: outcome.size, root: outcome.root, edge: outcome.edge, range: outcome.range });
    }
    return grown;
  }
}
