import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { canSee } from '../auth/narrowing.js';
import { readTenant, requirePermission, type Principal } from '../auth/principal.js';
import { invalid, VigilError } from '../domain/errors.js';
import type { CheckpointRecord, EventRow, Store } from '../store/store.js';
import { encodeBase64 } from './base64.js';
import { parseCheckpoint } from './checkpoint.js';
import type { Checkpointer } from './checkpointer.js';
import { ProofError } from './errors.js';
import { HASH_SIZE, hashLeaf } from './hash.js';
import { formatVerifierKey, parseNote } from './note.js';
import { consistencyProof, inclusionProof, rootAt, type ReadTiles } from './proof-tiles.js';
import type { TileTrees } from './tile-trees.js';
import { TILE_WIDTH } from './tiles.js';

/** A signed checkpoint as the API serves it. Hashes are standard base64, as in the note. */
export interface CheckpointView {
  origin: string;
  size: number;
  root: string;
  /** The C2SP signed note, exactly as signed. */
  note: string;
  created_at: string;
}

export interface VerifierKeyView {
  /** `name+keyid+base64(0x01 ‖ public key)`. */
  key: string;
  name: string;
  algorithm: 'ed25519';
}

export interface InclusionView {
  seq: number;
  id: string;
  leaf_hash: string;
  size: number;
  root: string;
  proof: string[];
}

export interface ConsistencyView {
  from: number;
  to: number;
  root_from: string;
  root_to: string;
  proof: string[];
}

/** What `GET /v1/audit/logs/{id}` adds to the event: its inclusion in the latest checkpoint. */
export interface EventProofView {
  size: number;
  root: string;
  checkpoint: string;
  hashes: string[];
}

export interface TenantParams {
  tenant?: string;
}
export interface InclusionParams extends TenantParams {
  id?: string;
  seq?: number;
  size?: number;
}
export interface ConsistencyParams extends TenantParams {
  from: number;
  to?: number;
}
export interface SeqRangeParams extends TenantParams {
  from_seq?: number;
  to_seq?: number;
}

/** Rows and tiles read per store call while streaming. */
const ROWS_PER_READ = 2000;
const TILES_PER_READ = 64;
/**
 * The integrity read API: checkpoints, the verifier key, inclusion and consistency proofs, and
 * the two streams `vigil verify` recomputes the log from (the stored events and the tree's leaf
 * hashes, both in seq order). Proofs come from the stored tiles; nothing here trusts the event
 * rows for the tree. Reads are not recorded, like every read of the log.
 */
export class ProofService {
  constructor(
    private readonly store: Store,
    private readonly checkpointer: Checkpointer,
    private readonly tileTrees: TileTrees,
  ) {}

  /** The tenant's latest checkpoint; signs the first one if the tenant has events and none yet. */
  async checkpoint(principal: Principal, params: TenantParams): Promise<CheckpointView> {
    requirePermission(principal, 'read');
    const tenant = readTenant(principal, params.tenant);
    const record = await this.checkpointer.covering(tenant, 1);
    if (!record) throw new VigilError('VIGIL_ERR_NOT_FOUND', noCheckpoint(tenant, this.checkpointer.alarm(tenant)));
    return checkpointView(record);
  }

  verifierKey(principal: Principal): VerifierKeyView {
    requirePermission(principal, 'read');
    const { verifier } = this.checkpointer;
    return { key: formatVerifierKey(verifier), name: verifier.name, algorithm: 'ed25519' };
  }

  /** The inclusion proof of one stored event (by id or seq) in the tree of `size` (default: the latest checkpoint's). */
  async inclusion(principal: Principal, params: InclusionParams): Promise<InclusionView> {
    requirePermission(principal, 'read');
    const tenant = readTenant(principal, params.tenant);
    const row = await this.findEvent(principal, tenant, params);
    const size = params.size ?? (await this.coveringSize(tenant, row.seq + 1));
    await this.checkWithinTree(tenant, size, 'size');
    const [read, memo] = [this.tiles(tenant), this.tileTrees.of(tenant)];
    const proof = await mapProofError(() => inclusionProof(read, row.seq, size, memo), { leafIndex: 'size', treeSize: 'size' });
    const id = (JSON.parse(row.body) as { id: string }).id;
    const root = await rootAt(read, size, memo);
    return { seq: row.seq, id, leaf_hash: encodeBase64(hashLeaf(row.body)), size, root: encodeBase64(root), proof: proof.map(encodeBase64) };
  }

  /** The consistency proof from the tree of `from` leaves to the tree of `to` (default: the latest checkpoint's size). */
  async consistency(principal: Principal, params: ConsistencyParams): Promise<ConsistencyView> {
    requirePermission(principal, 'read');
    const tenant = readTenant(principal, params.tenant);
    const to = params.to ?? (await this.coveringSize(tenant, 1));
    await this.checkWithinTree(tenant, to, 'to');
    const [read, memo] = [this.tiles(tenant), this.tileTrees.of(tenant)];
    const proof = await mapProofError(() => consistencyProof(read, params.from, to, memo), { size1: 'from', size2: 'to' });
    const [rootFrom, rootTo] = await Promise.all([rootAt(read, params.from, memo), rootAt(read, to, memo)]);
    return { from: params.from, to, root_from: encodeBase64(rootFrom), root_to: encodeBase64(rootTo), proof: proof.map(encodeBase64) };
  }

  /**
   * The stored event `body` (canonical JSON) as `GET /v1/audit/logs/{id}` serves it: with its
   * `leaf_hash` and `proof` against the latest checkpoint appended to the object. The stored
   * bytes, which alone are hashed, stay as they are; `proof` is null only while the tenant's tree
   * fails its integrity check.
   */
  async withProof(body: string): Promise<string> {
    const { seq, tenant } = JSON.parse(body) as { seq: number; tenant: string };
    const record = await this.checkpointer.covering(tenant, seq + 1);
    let proof: EventProofView | null = null;
    if (record) {
      const view = checkpointView(record);
      const hashes = await inclusionProof(this.tiles(tenant), seq, record.size, this.tileTrees.of(tenant));
      proof = { size: view.size, root: view.root, checkpoint: view.note, hashes: hashes.map(encodeBase64) };
    }
    return `${body.slice(0, -1)},"leaf_hash":${JSON.stringify(encodeBase64(hashLeaf(body)))},"proof":${JSON.stringify(proof)}}`;
  }

  /** NDJSON: every stored event with from_seq ≤ seq < to_seq (default: the whole tree), byte for byte as hashed. */
  async leaves(principal: Principal, params: SeqRangeParams): Promise<Readable> {
    const { tenant, from, to } = await this.seqRange(principal, params);
    const store = this.store;
    async function* lines(): AsyncGenerator<Buffer> {
      for (let next = from; next < to; ) {
        await nextTurn(); // as readChunks does (src/export/stream.ts): other requests run between reads
        const rows: EventRow[] = await store.readBySeq(tenant, next, to, ROWS_PER_READ);
        if (rows.length > 0) yield Buffer.from(rows.map((r) => `${r.body}\n`).join(''), 'utf8');
        if (rows.length < ROWS_PER_READ) return;
        next = rows[rows.length - 1]!.seq + 1;
      }
    }
    return Readable.from(lines(), { objectMode: false });
  }

  /** Binary: the tree's leaf hashes from_seq ≤ seq < to_seq, 32 bytes each, from the tiles (purged events' too). */
  async leafHashes(principal: Principal, params: SeqRangeParams): Promise<Readable> {
    const { tenant, from, to } = await this.seqRange(principal, params);
    const read = this.tiles(tenant);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let first = Math.floor(from / TILE_WIDTH); first * TILE_WIDTH < to; first += TILES_PER_READ) {
        const keys = Array.from({ length: TILES_PER_READ }, (_, i) => ({ level: 0, index: first + i })).filter((k) => k.index * TILE_WIDTH < to);
        await nextTurn();
        const tiles = await read(keys);
        for (const key of keys) {
          const start = Math.max(from, key.index * TILE_WIDTH);
          const end = Math.min(to, (key.index + 1) * TILE_WIDTH);
          const tile = tiles.get(`0/${key.index}`);
          const offset = (start - key.index * TILE_WIDTH) * HASH_SIZE;
          const length = (end - start) * HASH_SIZE;
          if (!tile || tile.length < offset + length) throw new Error(`merkle tile 0/${key.index} missing or short`);
          yield tile.subarray(offset, offset + length);
        }
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  private async seqRange(principal: Principal, params: SeqRangeParams): Promise<{ tenant: string; from: number; to: number }> {
    requirePermission(principal, 'verify');
    const tenant = readTenant(principal, params.tenant);
    const size = (await this.store.treeHead(tenant)).size;
    const from = params.from_seq ?? 0;
    const to = params.to_seq ?? size;
    if (to > size) throw invalid([{ path: 'to_seq', message: `is beyond the tree size ${size}` }]);
    if (from > to) throw invalid([{ path: 'from_seq', message: `is greater than to_seq ${to}` }]);
    return { tenant, from, to };
  }

  /** The event by id or seq; one a viewer token's narrowing hides is not found, as if absent. */
  private async findEvent(principal: Principal, tenant: string, params: InclusionParams): Promise<EventRow> {
    if ((params.id === undefined) === (params.seq === undefined)) {
      throw invalid([{ path: 'id', message: 'give exactly one of id and seq' }]);
    }
    const row =
      params.id !== undefined
        ? await this.store.getEvent(tenant, params.id)
        : ((await this.store.readBySeq(tenant, params.seq!, params.seq! + 1, 1))[0] ?? null);
    if (!row || !canSee(principal, row.body)) {
      const which = params.id !== undefined ? `id "${params.id}"` : `seq ${params.seq}`;
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `no stored event with ${which} (never stored, or purged)`);
    }
    return row;
  }

  private async coveringSize(tenant: string, size: number): Promise<number> {
    const record = await this.checkpointer.covering(tenant, size);
    if (!record) throw new VigilError('VIGIL_ERR_NOT_FOUND', noCheckpoint(tenant, this.checkpointer.alarm(tenant)));
    return record.size;
  }

  private async checkWithinTree(tenant: string, size: number, field: string): Promise<void> {
    const head = await this.store.treeHead(tenant);
    if (size > head.size) throw invalid([{ path: field, message: `is beyond the tree size ${head.size}` }]);
  }

  private tiles(tenant: string): ReadTiles {
    return (keys) => this.store.readTiles(tenant, keys);
  }
}

/** A stored checkpoint with its origin, size and root read back from the note. */
export function checkpointView(record: CheckpointRecord): CheckpointView {
  const checkpoint = parseCheckpoint(parseNote(record.note).text);
  return { origin: checkpoint.origin, size: checkpoint.size, root: encodeBase64(checkpoint.root), note: record.note, created_at: record.createdAt };
}

function noCheckpoint(tenant: string, alarm: string | undefined): string {
  return alarm
    ? `no checkpoint covers tenant "${tenant}"'s log: its stored tree failed the integrity check (${alarm})`
    : `tenant "${tenant}" has no events yet, so no checkpoint`;
}

/** A ProofError as a 400 naming the API's parameter (`fields` maps the proof code's names to it). */
async function mapProofError<T>(task: () => Promise<T>, fields: Record<string, string>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    if (!(err instanceof ProofError)) throw err;
    const path = fields[err.field] ?? err.field;
    throw invalid([{ path, message: err.message.slice(err.field.length + 2) }]);
  }
}
