import type Database from 'better-sqlite3';
import zstd from 'zstd-napi/binding.js';
import type { PreparedEvent, StoredEvent } from '../../domain/event.js';
import { BodyDecoder, ZSTD_MAGIC, type BodyFormat, type StoredBody } from './body-decoder.js';
import { withoutMembers, type BodyColumns } from './body-members.js';
import { vocabularyDictionary } from './body-vocabulary.js';
import { prepared } from './statements.js';

/** zstd level for bodies: 3 compresses a few percent better than 1 for ~1 µs more per event. */
const LEVEL = 3;
/** The vocabulary is sampled again after this many times the first sample's events. */
const REFRESH_SAMPLES_EVERY = 500;
/** Dictionary ids are one byte, and 0 is none. */
const MAX_DICTIONARIES = 255;
/** More vocabulary gains little: the benchmark's bodies (742 B) take 294 B with 8 KB, 286 with 16 KB, 282 with 32 KB. */
const DICTIONARY_BYTES = 32 * 1024;
/** The format of the bodies this code writes (body-decoder.ts); a store's format-1 dictionaries are still read. */
const FORMAT: BodyFormat = 2;

/** The SQL that reads a row's canonical JSON: the stored body and the columns it leaves out. */
export const BODY_SQL = 'event_body(body, lower(hex(uid)), ts, seq, session_id, request_id, received_lag_us)';

/**
 * Event bodies as the SQLite store keeps them (migrations 9 and 11). An event's canonical JSON —
 * the exact bytes its Merkle leaf hashes — is stored compressed with zstd against a dictionary of
 * the store's vocabulary (body-vocabulary.ts), without the members its row's columns already hold
 * (body-members.ts), as a BLOB laid out as body-decoder.ts says. Rows written before the store had
 * a dictionary keep their JSON as TEXT, so no migration rewrites the log. Proofs are over the
 * decoded JSON, never over the BLOB; as that JSON is rebuilt from the columns too, the leaf hash
 * now covers the id, time, seq, session and request id that queries filter on.
 *
 * Reads decode in SQL, through `BODY_SQL`, registered on every connection of the store, so
 * statements that select a body (pages, proofs, the free-text filter) read JSON text as before;
 * scans (exports) select the stored form and its columns and `decode` them, without SQL's round
 * trip.
 */
export class BodyCodec {
  private readonly decoder = new BodyDecoder();
  private current: { id: number; cdict: zstd.CDict; format: BodyFormat } | undefined;
  private readonly cctx = new zstd.CCtx();
  private input = Buffer.allocUnsafe(64 * 1024);
  private output = Buffer.allocUnsafe(zstd.compressBound(64 * 1024) + 1);
  private samples: { event: StoredEvent; body: string }[] = [];
  private sinceDictionary = 0;

  /** `dictionaryAfter`: events the store takes before it builds its dictionary from their vocabulary. */
  constructor(private readonly dictionaryAfter: number) {}

  /** Loads the store's dictionaries and registers `event_body` on `db`. */
  open(db: Database.Database): void {
    this.loadNewer(db);
    this.register(db);
  }

  /**
   * Loads the dictionaries `db` holds that this codec does not (all of them the first time): a
   * connection that only reads (thread-scan.ts) sees those the store's writer adds later.
   */
  loadNewer(db: Database.Database): void {
    const rows = prepared<[number], { id: number; bytes: Buffer; format: BodyFormat }>(
      db,
      'SELECT id, bytes, format FROM body_dictionaries WHERE id > ? ORDER BY id',
    ).all(this.current?.id ?? 0);
    for (const { id, bytes, format } of rows) this.load(id, bytes, format);
  }

  /** Makes `BODY_SQL` available to statements on `db`. */
  register(db: Database.Database): void {
    db.function('event_body', { deterministic: true }, (body, uidHex, ts, seq, sessionId, requestId, receivedLagUs) =>
      this.decoder.decode(body as StoredBody, { uidHex, ts, seq, sessionId, requestId, receivedLagUs } as BodyColumns),
    );
  }

  /** The canonical JSON of a stored body, whose row holds `columns`. */
  decode(body: StoredBody, columns: BodyColumns): string {
    return this.decoder.decode(body, columns);
  }

  /**
   * The stored form of a canonical body, to be kept in a row holding `columns`: compressed once
   * the store has a dictionary. A returned Buffer is reused by the next call: bind it at once.
   */
  encode(body: string, columns: BodyColumns): string | Buffer {
    const current = this.current;
    if (!current) return body;
    return current.format === 1
      ? this.compress(body, current.id, current.cdict)
      : this.withoutMagic(this.compress(withoutMembers(body, columns), current.id, current.cdict));
  }

  /** `body` as a format-1 frame: `id`, then zstd against `cdict`. In the scratch buffer (see encode). */
  private compress(body: string, id: number, cdict: zstd.CDict): Buffer {
    const maxBytes = body.length * 3;
    if (this.input.length < maxBytes) this.input = Buffer.allocUnsafe(maxBytes);
    const length = this.input.write(body, 0);
    const bound = zstd.compressBound(length) + 1;
    if (this.output.length < bound) this.output = Buffer.allocUnsafe(bound);
    this.output[0] = id;
    const size = this.cctx.compressUsingCDict(this.output.subarray(1), this.input.subarray(0, length), cdict);
    return this.output.subarray(0, size + 1);
  }

  /** A format-1 `stored` body as format 2 lays it out: the id byte moved over the frame's magic number. */
  private withoutMagic(stored: Buffer): Buffer {
    stored[ZSTD_MAGIC.length] = stored[0]!;
    return stored.subarray(ZSTD_MAGIC.length);
  }

  /**
   * Called with each committed append's events. Until the store has a dictionary, their
   * vocabulary is kept in memory, and once `dictionaryAfter` events have been seen the dictionary
   * is built from it and stored; bodies are stored as JSON text until then. Sampling what is
   * appended (rather than reading the log back) sees every tenant's traffic. Every
   * `REFRESH_SAMPLES_EVERY × dictionaryAfter` events after that, the vocabulary is sampled again,
   * and a new dictionary replaces the current one for later bodies if it compresses the sampled
   * bodies by at least a tenth better: new user agents, actions or tenants keep being compressed.
   */
  appended(db: Database.Database, sealed: readonly { event: PreparedEvent; body: string }[]): void {
    if (this.current && (this.sinceDictionary += sealed.length) < this.dictionaryAfter * REFRESH_SAMPLES_EVERY) return;
    for (const { event, body } of sealed) {
      if (this.samples.length >= this.dictionaryAfter) break;
      this.samples.push({ event: { ...event, seq: 0, received_at: '' }, body });
    }
    if (this.samples.length < this.dictionaryAfter) return;
    const samples = this.samples;
    this.samples = [];
    this.sinceDictionary = 0;
    const bytes = vocabularyDictionary(
      samples.map((sample) => sample.event),
      DICTIONARY_BYTES,
    );
    const cdict = new zstd.CDict(bytes, LEVEL);
    if (this.current && !this.compressesBetter(cdict, samples)) return;
    let id: number | undefined;
    try {
      id = db.transaction(() => {
        const last = db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM body_dictionaries').get()?.id ?? 0;
        if (last >= MAX_DICTIONARIES) return undefined;
        db.prepare('INSERT INTO body_dictionaries (id, bytes, created_at, format) VALUES (?, ?, ?, ?)').run(
          last + 1,
          bytes,
          new Date().toISOString(),
          FORMAT,
        );
        return last + 1;
      }).immediate();
    } catch {
      // The events are committed; their append must not fail for this. The current dictionary
      // (or JSON text) stays, and the next samples try again.
      return;
    }
    if (id !== undefined) this.load(id, bytes, FORMAT, cdict);
  }

  /** Whether `candidate` compresses the sampled bodies at least a tenth smaller than the current dictionary. */
  private compressesBetter(candidate: zstd.CDict, samples: readonly { body: string }[]): boolean {
    const sizes = (cdict: zstd.CDict) => samples.reduce((sum, { body }) => sum + this.compress(body, 0, cdict).length, 0);
    return sizes(candidate) <= 0.9 * sizes(this.current!.cdict);
  }

  private load(id: number, bytes: Buffer, format: BodyFormat, cdict = new zstd.CDict(bytes, LEVEL)): void {
    this.decoder.add(id, bytes, format);
    this.current = { id, cdict, format };
  }
}
