import { VigilError } from '../domain/errors.js';
import type { PreparedEvent } from '../domain/event.js';
import { presealEvent, sameContent, sameEvent, sealPresealed } from '../domain/seal.js';
import { parseTimeMicros } from '../domain/time.js';
import { EMPTY_ROOT, hashLeaf } from '../integrity/hash.js';
import type { AppendRequest, AppendResult, AppendedEvent, StoredForm } from './store.js';

/** An event already in the database, found by its id. */
export interface KnownEvent {
  seq: number;
  body: string;
}

/** An event this group stores: sealed at its seq, with its Merkle leaf. */
export interface SealedEvent {
  event: PreparedEvent;
  tenantId: number;
  seq: number;
  occurredUs: number;
  /** When the store received it (its `received_at`), in microseconds. */
  receivedUs: number;
  /** Its canonical JSON without seq and received_at (`presealEvent`): what the SQLite store compresses. */
  presealed: string;
  body: string;
  /** Its body as the store keeps it, when the ingest thread made that too. */
  stored?: StoredForm;
}

/** The key of an event id within its tenant (UUIDs compare case-insensitively, as the database does). */
export function idKey(tenant: string, id: string): string {
  return `${tenant}\0${id.toLowerCase()}`;
}

/**
 * Decides, for one group commit, what each request's events are: new (sealed at the next seq of
 * their tenant), duplicates of a stored or earlier event with the same content, or a conflict
 * (same id, other content) that refuses that request alone. Pure: the caller has locked the
 * tenants' heads (so `sizes` are the true next seqs) and looked up `stored` by id.
 */
export class Sequencer {
  /** Events to write, in seq order per tenant. */
  readonly sealed: SealedEvent[] = [];
  /** New leaf hashes per tenant id, in seq order. */
  readonly leaves = new Map<number, Uint8Array[]>();
  /** Events stored so far in this group, by `idKey`: later requests of the group see them. */
  private readonly pending = new Map<string, KnownEvent>();

  constructor(
    private readonly tenantIds: ReadonlyMap<string, number>,
    private readonly sizes: ReadonlyMap<number, number>,
    private readonly stored: Pick<ReadonlyMap<string, KnownEvent>, 'get'>,
    private readonly receivedUs: number,
    /** False only for the SQLite store's benchmark-only `integrity: false`: leaves stay unhashed. */
    private readonly hashLeaves = true,
  ) {}

  /** Step 1 checks the whole request for id reuse; step 2 seals its new events. Nothing is kept on a conflict. */
  add(request: AppendRequest): AppendResult {
    const local = new Map<string, number>();
    const plan: (KnownEvent | number | null)[] = [];
    for (const [i, event] of request.events.entries()) {
      const key = idKey(event.tenant, event.id);
      const defaulted = request.defaultedTimes?.has(i) ?? false;
      const earlier = local.get(key);
      const stored = earlier === undefined ? (this.pending.get(key) ?? this.stored.get(key)) : undefined;
      if (earlier !== undefined) {
        if (!sameEvent(request.events[earlier]!, event, defaulted)) return conflict(event, i);
        plan.push(earlier);
      } else if (stored) {
        if (!sameContent(stored.body, event, defaulted)) return conflict(event, i);
        plan.push(stored);
      } else {
        local.set(key, i);
        plan.push(null);
      }
    }
    const appended: AppendedEvent[] = [];
    for (const [i, event] of request.events.entries()) {
      const step = plan[i];
      if (step === null) appended.push({ id: event.id, seq: this.seal(event, request.presealed?.[i], request.stored?.[i]), duplicate: false });
      else if (typeof step === 'number') appended.push({ id: event.id, seq: appended[step]!.seq, duplicate: true });
      else appended.push({ id: event.id, seq: step!.seq, duplicate: true });
    }
    return { ok: true, events: appended };
  }

  /** `presealed` and `stored`: what the ingest thread made of the event, if it did. */
  private seal(event: PreparedEvent, presealed = presealEvent(event), stored?: StoredForm): number {
    const tenantId = this.tenantIds.get(event.tenant);
    if (tenantId === undefined) throw new Error(`tenant ${event.tenant} has no id`);
    let leaves = this.leaves.get(tenantId);
    if (!leaves) this.leaves.set(tenantId, (leaves = []));
    const seq = this.sizes.get(tenantId)! + leaves.length;
    const body = sealPresealed(presealed, seq, this.receivedUs);
    leaves.push(this.hashLeaves ? hashLeaf(body) : EMPTY_ROOT);
    this.pending.set(idKey(event.tenant, event.id), { seq, body });
    this.sealed.push({ event, tenantId, seq, occurredUs: parseTimeMicros(event.occurred_at)!, receivedUs: this.receivedUs, presealed, body, ...(stored ? { stored } : {}) });
    return seq;
  }
}

function conflict(event: PreparedEvent, index: number): AppendResult {
  return {
    ok: false,
    error: new VigilError(
      'VIGIL_ERR_CONFLICT',
      `events[${index}].id: ${event.id} was already stored with other content`,
      [{ path: `events[${index}].id`, message: 'already stored with other content' }],
    ),
  };
}
