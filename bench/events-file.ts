/**
 * The data set written once to an NDJSON file before anything is timed, so that generating events
 * (as costly per event as some of what is measured) never competes with the server for the
 * machine's two cores while it is measured. Readers get each line as raw bytes.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Dataset } from './dataset.js';

/** What the written data set holds, for the report. */
export interface DatasetStats {
  events: number;
  bytes: number;
  failures: number;
  byLog: Record<string, number>;
  /** Events of the largest tenant (the investigations' tenant). */
  largestTenant: number;
}

/** Writes every event of `dataset` to `path`, one JSON object per line. */
export async function writeEventsFile(dataset: Dataset, path: string, progress: (done: number) => void): Promise<DatasetStats> {
  const out = createWriteStream(path);
  const largest = dataset.largest.name;
  const stats: DatasetStats = { events: 0, bytes: 0, failures: 0, byLog: {}, largestTenant: 0 };
  let chunk = '';
  let done = 0;
  for (const event of dataset.events()) {
    const line = `${JSON.stringify(event)}\n`;
    chunk += line;
    stats.bytes += line.length;
    if (!event.outcome.success) stats.failures++;
    if (event.tenant === largest) stats.largestTenant++;
    stats.byLog[event.log] = (stats.byLog[event.log] ?? 0) + 1;
    if (++done % 100_000 === 0) progress(done);
    if (chunk.length >= 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  stats.events = done;
  return stats;
}

/** The lines `from` ≤ i < `to` of an NDJSON file, each without its newline. */
export async function* readLines(path: string, from = 0, to = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer> {
  let index = 0;
  let rest: Buffer | null = null;
  for await (const data of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf: Buffer = rest ? Buffer.concat([rest, data]) : data;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      if (index >= to) return;
      if (index >= from) yield buf.subarray(start, nl);
      index++;
      start = nl + 1;
    }
    rest = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
  }
}

/** Groups lines into arrays of `size` (the last may be shorter). */
export async function* batchesOf(lines: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer[]> {
  let batch: Buffer[] = [];
  for await (const line of lines) {
    batch.push(line);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
