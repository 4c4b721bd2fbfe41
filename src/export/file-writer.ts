import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { CursorPosition } from '../domain/filter.js';
import type { EventRow, Store } from '../store/store.js';
import type { Destination } from './destinations/destination.js';
import type { ExportFormat } from './format.js';
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
  const rows = new RowReader(readChunks(store, { ...spec.plan, order: 'asc', ...(start.after ? { after: start.after } : {}) }, signal));
  let progress = start;
  while (await rows.more()) {
    signal.throwIfAborted();
    const n = progress.files.length + 1;
    const key = `${spec.keyOf(n)}.${spec.format.extension}${spec.gzip ? '.gz' : ''}`;
    const file = new FileStats();
    const meter = new Meter();
    const source = Readable.from(fileContent(rows, spec, file), { objectMode: false });
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

/** The text of one file: header, then rows until the split size; records what it wrote. */
async function* fileContent(rows: RowReader, spec: FilesSpec, file: FileStats): AsyncGenerator<Buffer> {
  const header = spec.format.header();
  let size = Buffer.byteLength(header);
  if (header) yield Buffer.from(header, 'utf8');
  // Rows per piece: as many as should fit in what is left, from the size of the rows so far.
  let rowBytes = 512;
  while (size < spec.splitBytes) {
    const want = Math.min(1000, Math.max(1, Math.floor((spec.splitBytes - size) / rowBytes)));
    const piece = await rows.take(want);
    if (piece.length === 0) return;
    const parts = await EXPORT_ENCODERS.encode(spec.format.name, bodiesOf(piece));
    const bytes = parts.reduce((sum, part) => sum + part.length, 0);
    size += bytes;
    rowBytes = Math.max(1, Math.ceil(bytes / piece.length));
    file.add(piece);
    yield* parts;
  }
}

class FileStats {
  rows = 0;
  seqMin = Number.MAX_SAFE_INTEGER;
  seqMax = -1;
  last: CursorPosition | null = null;

  add(rows: readonly EventRow[]): void {
    for (const row of rows) {
      this.seqMin = Math.min(this.seqMin, row.seq);
      this.seqMax = Math.max(this.seqMax, row.seq);
    }
    this.rows += rows.length;
    this.last = positionOf(rows[rows.length - 1]!);
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

/** Hands out rows from chunked reads in pieces of any size. */
class RowReader {
  private buffer: EventRow[] = [];
  private index = 0;
  private ended = false;

  constructor(private readonly chunks: AsyncGenerator<EventRow[]>) {}

  async more(): Promise<boolean> {
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

  async take(n: number): Promise<EventRow[]> {
    if (!(await this.more())) return [];
    const out = this.buffer.slice(this.index, this.index + n);
    this.index += out.length;
    return out;
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
