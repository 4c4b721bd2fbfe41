import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { CursorPosition } from '../domain/filter.js';
import type { EventRow, Store, ThreadScan } from '../store/store.js';
import type { Destination } from './destinations/destination.js';
import type { ExportFormat, ExportFormatName } from './format.js';
import { EXPORT_ENCODERS } from './encoder-pool.js';
import { bodiesOf, positionOf, readChunks, type ReadPlan } from './stream.js';

/** One written file, as the manifest lists it. */
export interface FileEntry {
  /** The object key (with the destination's prefix), or the path under the directory. */
  key: string;
  rows: number;
  /** Bytes of the stored object (after compression when gzip is on). */
  bytes: number;
  /** Hex SHA-256 of the stored object's bytes. */
  sha256: string;
  /** Lowest and highest seq in the file (files are in time order, so seqs may interleave). */
  seq_min: number;
  seq_max: number;
}

/** How far a multi-file export got: enough to resume after the last completed file. */
export interface FilesProgress {
  rows: number;
  bytes: number;
  files: FileEntry[];
  /** The position after the last row of the last completed file; null before the first. */
  after: CursorPosition | null;
}

export const NO_FILES: FilesProgress = { rows: 0, bytes: 0, files: [], after: null };

export interface FilesSpec {
  /** What to read; read in ascending (occurred_at, seq) order, so files follow time. */
  plan: Omit<ReadPlan, 'order' | 'after'>;
  format: ExportFormat;
  gzip: boolean;
  /** A file ends at the first row boundary at or after this many bytes (before compression). */
  splitBytes: number;
  /** Object key of file n (1-based), without extension. */
  keyOf(n: number): string;
}

/**
 * Writes the export as a sequence of files, each streamed to the destination while its SHA-256
 * and size are computed, and saves the progress after each completed file. Resuming with the
 * saved progress writes exactly the files that were missing: the set of rows is fixed (seq below
 * the snapshot), and each file restarts from the last completed file's end.
 */
export async function writeFiles(
  store: Store,
  destination: Destination,
  spec: FilesSpec,
  start: FilesProgress,
  save: (progress: FilesProgress) => Promise<void>,
  signal: AbortSignal,
): Promise<FilesProgress> {
  const plan: ReadPlan = { ...spec.plan, order: 'asc', ...(start.after ? { after: start.after } : {}) };
  const scan = store.threadScan?.({ tenant: plan.tenant, filter: plan.filter, order: plan.order });
  const rows: PieceSource = scan ? new ThreadPieces(scan, spec.format.name, plan, signal) : new StorePieces(readChunks(store, plan, signal), spec.format.name);
  const header = spec.format.header();
  let progress = start;
  for (;;) {
    signal.throwIfAborted();
    // A file is begun only once its first rows are read: the last file is never empty.
    const first = await rows.take(piecesRows(spec, Buffer.byteLength(header), FIRST_ROW_BYTES));
    if (!first) break;
    const n = progress.files.length + 1;
    const key = `${spec.keyOf(n)}.${spec.format.extension}${spec.gzip ? '.gz' : ''}`;
    const file = new FileStats();
    const meter = new Meter();
    const source = Readable.from(fileContent(header, first, rows, spec, file), { objectMode: false });
    const body = spec.gzip ? pipeline(source, createGzip(), meter, () => undefined) : pipeline(source, meter, () => undefined);
    await destination.put(key, body, spec.gzip ? 'application/gzip' : spec.format.contentType, signal);
    const entry: FileEntry = { key, rows: file.rows, bytes: meter.bytes, sha256: meter.digest(), seq_min: file.seqMin, seq_max: file.seqMax };
    progress = {
      rows: progress.rows + entry.rows,
      bytes: progress.bytes + entry.bytes,
      files: [...progress.files, entry],
      after: file.last,
    };
    await save(progress);
  }
  return progress;
}

/** A guess of the bytes of a row before any is encoded. */
const FIRST_ROW_BYTES = 512;

/** Rows per piece: as many as should fit in what is left of the file, from the size of the rows so far. */
function piecesRows(spec: FilesSpec, size: number, rowBytes: number): number {
  return Math.min(1000, Math.max(1, Math.floor((spec.splitBytes - size) / rowBytes)));
}

/** The text of one file: header, then rows from `first` on until the split size; records what it wrote. */
async function* fileContent(header: string, first: EncodedPiece, rows: PieceSource, spec: FilesSpec, file: FileStats): AsyncGenerator<Buffer> {
  let size = Buffer.byteLength(header);
  if (header) yield Buffer.from(header, 'utf8');
  let piece: EncodedPiece | null = first;
  while (piece) {
    const bytes = piece.parts.reduce((sum, part) => sum + part.length, 0);
    size += bytes;
    file.add(piece);
    yield* piece.parts;
    if (size >= spec.splitBytes) return;
    piece = await rows.take(piecesRows(spec, size, Math.max(1, Math.ceil(bytes / piece.rows))));
  }
}

class FileStats {
  rows = 0;
  seqMin = Number.MAX_SAFE_INTEGER;
  seqMax = -1;
  last: CursorPosition | null = null;

  add(piece: EncodedPiece): void {
    this.seqMin = Math.min(this.seqMin, piece.seqMin);
    this.seqMax = Math.max(this.seqMax, piece.seqMax);
    this.rows += piece.rows;
    this.last = piece.last;
  }
}

/** Counts and hashes the bytes that pass, unchanged. */
class Meter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Rows of an export, encoded, in pieces of about the size asked for (files are cut at row boundaries by size). */
interface PieceSource {
  /** The next rows, at most `want` of them, encoded; null when none remain. */
  take(want: number): Promise<EncodedPiece | null>;
}

interface EncodedPiece {
  rows: number;
  seqMin: number;
  seqMax: number;
  /** Where the next piece starts. */
  last: CursorPosition;
  parts: Buffer[];
}

/** Pieces read here, through `Store.scan` in chunks, and encoded on the export threads. */
class StorePieces implements PieceSource {
  private buffer: EventRow[] = [];
  private index = 0;
  private ended = false;

  constructor(
    private readonly chunks: AsyncGenerator<EventRow[]>,
    private readonly format: ExportFormatName,
  ) {}

  private async more(): Promise<boolean> {
    if (this.index < this.buffer.length) return true;
    if (this.ended) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    this.buffer = next.value;
    this.index = 0;
    return this.buffer.length > 0 || this.more();
  }

  async take(want: number): Promise<EncodedPiece | null> {
    if (!(await this.more())) return null;
    const rows = this.buffer.slice(this.index, this.index + want);
    this.index += rows.length;
    const seqs = rows.map((row) => row.seq);
    const parts = await EXPORT_ENCODERS.encode(this.format, bodiesOf(rows));
    return { rows: rows.length, seqMin: Math.min(...seqs), seqMax: Math.max(...seqs), last: positionOf(rows[rows.length - 1]!), parts };
  }
}

/** Pieces read and encoded on the export threads (`Store.threadScan`), one page of the size asked for at a time. */
class ThreadPieces implements PieceSource {
  private after: CursorPosition | undefined;
  private ended = false;

  constructor(
    private readonly scan: ThreadScan,
    private readonly format: ExportFormatName,
    private readonly plan: ReadPlan,
    private readonly signal: AbortSignal,
  ) {
    this.after = plan.after;
  }

  /** The next page of up to `want` rows that holds rows below the snapshot; null at the end. */
  async take(want: number): Promise<EncodedPiece | null> {
    while (!this.ended) {
      this.signal.throwIfAborted();
      const page = EXPORT_ENCODERS.read(this.format, this.scan, { limit: want, belowSeq: this.plan.belowSeq, ...(this.after ? { after: this.after } : {}) });
      const head = await page.head;
      const parts = await page.parts;
      this.ended = head.rows < want;
      if (head.last) this.after = head.last;
      if (head.kept > 0) return { rows: head.kept, seqMin: head.seqMin!, seqMax: head.seqMax!, last: head.last!, parts };
    }
    return null;
  }
}

/** SHA-256 and size of a stored object, read back through the destination. */
export async function checksumOf(destination: Destination, key: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await destination.get(key)) {
    bytes += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { sha256: hash.digest('hex'), bytes };
}
