import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ApiError, type ApiClient } from './client.js';

export const INGEST_BATCH = 500;
const RETRIES = 3;

export interface IngestOptions {
  /** Sets `tenant` on events that have none (for platform keys). */
  tenant?: string;
  /** Where the progress line goes; shown only when it is a terminal. */
  progress: NodeJS.WriteStream;
}

export interface IngestSummary {
  sent: number;
  duplicates: number;
}

interface Line {
  number: number;
  event: Record<string, unknown>;
}

/**
 * `vigil ingest [file]`: sends NDJSON events (one per line; blank lines skipped) in batches of
 * 500. Each batch carries an Idempotency-Key, so a batch retried after a 503 or a lost answer is
 * stored once. A bad line stops the run with its line number; batches before it stay stored.
 */
export async function ingestFile(client: ApiClient, file: string | undefined, options: IngestOptions): Promise<IngestSummary> {
  const input = file === undefined || file === '-' ? process.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const run = randomUUID();
  const summary: IngestSummary = { sent: 0, duplicates: 0 };
  let batch: Line[] = [];
  let number = 0;
  let batches = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const result = await sendBatch(client, batch, `${run}-${batches++}`);
    summary.sent += batch.length;
    summary.duplicates += result.filter((e) => e.duplicate).length;
    batch = [];
    if (options.progress.isTTY) options.progress.write(`\r${summary.sent} events sent`);
  };
  try {
    for await (const text of lines) {
      number++;
      if (text.trim() === '') continue;
      batch.push({ number, event: parseLine(text, number, options.tenant) });
      if (batch.length >= INGEST_BATCH) await flush();
    }
    await flush();
  } finally {
    if (options.progress.isTTY && summary.sent > 0) options.progress.write('\n');
  }
  return summary;
}

function parseLine(text: string, number: number, tenant: string | undefined): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(`line ${number}: not valid JSON (${(err as Error).message})`, 0, 'CLI');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(`line ${number}: must be one JSON object (an event)`, 0, 'CLI');
  }
  const event = value as Record<string, unknown>;
  return tenant !== undefined && event.tenant === undefined ? { ...event, tenant } : event;
}

async function sendBatch(client: ApiClient, batch: Line[], idempotencyKey: string): Promise<{ duplicate: boolean }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const body = { events: batch.map((l) => l.event) };
      const result = await client.request<{ events: { duplicate: boolean }[] }>('POST', '/v1/events', {
        body,
        headers: { 'idempotency-key': idempotencyKey },
      });
      return result.events;
    } catch (err) {
      if (err instanceof ApiError && err.status === 503 && attempt < RETRIES) {
        await new Promise((r) => setTimeout(r, 500 * attempt));
        continue;
      }
      throw err instanceof ApiError ? withLineNumbers(err, batch) : err;
    }
  }
}

/** Rewrites `events[3].actor.id` in the server's issues as `line 17: actor.id`. */
function withLineNumbers(err: ApiError, batch: Line[]): ApiError {
  const rewrite = (text: string) =>
    text.replace(/events\[(\d+)\]\.?/g, (match, i: string) => {
      const line = batch[Number(i)];
      return line ? `line ${line.number}: ` : match;
    });
  const issues = err.issues.map((i) => ({ path: rewrite(i.path).replace(/: $/, ''), message: i.message }));
  return new ApiError(rewrite(err.message), err.status, err.code, issues);
}
