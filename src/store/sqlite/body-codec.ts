import type Database from 'better-sqlite3';
import type { PreparedEvent, StoredEvent } from '../../domain/event.js';
import type { SealedEvent } from '../sequencer.js';
import type { BodyDictionary } from '../store.js';
import { BodyCompressor, compressionDictionary, type CompressionDictionary } from './body-compressor.js';
import { BodyDecoder, type BodyFormat, type StoredBody } from './body-decoder.js';
import type { BodyColumns } from './body-members.js';
import { vocabularyDictionary } from './body-vocabulary.js';
import { prepared } from './statements.js';

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
  private current: (CompressionDictionary & { bytes: Uint8Array; format: BodyFormat }) | undefined;
  private readonly compressor = new BodyCompressor();
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
   * The dictionary new bodies are compressed against, for the ingest thread to compress a large
   * request's bodies with (`SealedEvent.stored`); none before the store has a format-2 one.
   */
  threadDictionary(): BodyDictionary | undefined {
    return this.current?.format === 2 ? { id: this.current.id, bytes: this.current.bytes } : undefined;
  }

  /**
   * The stored form of a sealed event, to be kept in a row holding `columns`: compressed once the
   * store has a dictionary — by the ingest thread already, if against the current one. A returned
   * Buffer may be reused by the next call: bind it at once.
   */
  encode({ body, presealed, stored }: SealedEvent, columns: BodyColumns): string | Uint8Array {
    const current = this.current;
    if (!current) return body;
    if (current.format === 1) return this.compressor.frame(body, current);
    return stored?.dictionaryId === current.id ? stored.body : this.compressor.stored(presealed, columns, current);
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
    const candidate = compressionDictionary(0, bytes);
    if (this.current && !this.compressesBetter(candidate, samples)) return;
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
    if (id !== undefined) this.load(id, bytes, FORMAT, candidate);
  }

  /** Whether `candidate` compresses the sampled bodies at least a tenth smaller than the current dictionary. */
  private compressesBetter(candidate: CompressionDictionary, samples: readonly { body: string }[]): boolean {
    const sizes = (dictionary: CompressionDictionary) => samples.reduce((sum, { body }) => sum + this.compressor.frame(body, dictionary).length, 0);
    return sizes(candidate) <= 0.9 * sizes(this.current!);
  }

  private load(id: number, bytes: Buffer, format: BodyFormat, prepared = compressionDictionary(id, bytes)): void {
    this.decoder.add(id, bytes, format);
    this.current = { id, cdict: prepared.cdict, bytes, format };
  }
}
