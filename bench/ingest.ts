/**
 * HTTP ingest load: batches on a few keep-alive connections (a platform's shipper), and single
 * events on many concurrent connections (every host process sending its own events).
 */
import { batchesOf } from './events-file.js';
import { expectStatus, type HttpClient } from './http-client.js';
import { cpuSeconds } from './process-stats.js';
import { percentile, secondsSince } from './stats.js';

export interface IngestRate {
  events: number;
  seconds: number;
  /** Events per second over the whole run. */
  rate: number;
  /** Events per second over the last tenth of the events: what "sustained" means at the end of a run. */
  lastTenthRate: number;
  /** Server CPU seconds per wall second (2 means both cores busy); NaN for an in-process database. */
  serverCores: number;
  /** This process's CPU seconds per wall second (sending, not generating: events come from a file). */
  clientCores: number;
  /** [seconds since start, events stored] every few seconds. */
  progress: [number, number][];
}

export interface SingleRate extends IngestRate {
  p50Ms: number;
  p99Ms: number;
  /** Events timed before the time cap stopped the run; null when every event was sent singly. */
  cappedAfter: number | null;
}

const OPEN = Buffer.from('{"events":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

function batchBody(lines: Buffer[]): Buffer {
  const parts: Buffer[] = [OPEN];
  lines.forEach((line, i) => (i === 0 ? parts.push(line) : parts.push(COMMA, line)));
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/**
 * Counts events as they are stored and keeps a progress trace; reports to `log` every 10 s.
 * `serverPid` is the process whose CPU is the server's (null when the database runs in-process).
 */
export class Meter {
  readonly started = performance.now();
  private readonly cpuStart: number;
  private readonly clientStart = process.cpuUsage();
  readonly progress: [number, number][] = [[0, 0]];
  done = 0;
  private lastTrace = 0;
  private lastLog = 0;

  constructor(
    private readonly serverPid: number | null,
    private readonly total: number,
    private readonly log: (line: string) => void,
  ) {
    this.cpuStart = serverPid === null ? 0 : cpuSeconds(serverPid);
  }

  add(n: number): void {
    this.done += n;
    const t = secondsSince(this.started);
    if (t - this.lastTrace >= 2) {
      this.progress.push([Math.round(t * 10) / 10, this.done]);
      this.lastTrace = t;
    }
    if (t - this.lastLog >= 10) {
      this.log(`  ${this.done.toLocaleString('en-US')} / ${this.total.toLocaleString('en-US')} events, ${Math.round(this.done / t).toLocaleString('en-US')}/s`);
      this.lastLog = t;
    }
  }

  result(): IngestRate {
    const seconds = secondsSince(this.started);
    this.progress.push([Math.round(seconds * 10) / 10, this.done]);
    const client = process.cpuUsage(this.clientStart);
    return {
      events: this.done,
      seconds,
      rate: this.done / seconds,
      lastTenthRate: tailRate(this.progress, this.done),
      serverCores: this.serverPid === null ? Number.NaN : (cpuSeconds(this.serverPid) - this.cpuStart) / seconds,
      clientCores: (client.user + client.system) / 1e6 / seconds,
      progress: this.progress,
    };
  }
}

/** Rate between the trace point nearest 90% of the events and the end. */
function tailRate(progress: [number, number][], total: number): number {
  const end = progress[progress.length - 1]!;
  const start = progress.findLast(([, done]) => done <= total * 0.9) ?? progress[0]!;
  return end[0] > start[0] ? (end[1] - start[1]) / (end[0] - start[0]) : Number.NaN;
}

/** Sends `lines` as batches of `batchSize` on `connections` keep-alive connections, each waiting for its answer. */
export async function ingestBatches(
  client: HttpClient,
  serverPid: number,
  lines: AsyncIterable<Buffer>,
  options: { batchSize: number; connections: number; total: number; log: (line: string) => void },
): Promise<IngestRate> {
  const batches = batchesOf(lines, options.batchSize)[Symbol.asyncIterator]();
  const meter = new Meter(serverPid, options.total, options.log);
  const worker = async (): Promise<void> => {
    for (let next = await batches.next(); !next.done; next = await batches.next()) {
      const answer = await client.post('/v1/events', batchBody(next.value));
      expectStatus(answer, 201, 'batch ingest');
      meter.add(next.value.length);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  return meter.result();
}

/**
 * Sends each line as its own request, `concurrency` requests in flight, for at most
 * `budgetSeconds`; latency per request. Lines left when the time is up are sent in batches,
 * untimed, so that every run stores the same events whatever the speed.
 */
export async function ingestSingles(
  client: HttpClient,
  serverPid: number,
  lines: AsyncIterable<Buffer>,
  options: { concurrency: number; total: number; budgetSeconds: number; log: (line: string) => void },
): Promise<SingleRate> {
  const iterator = lines[Symbol.asyncIterator]();
  // The first line is read before the clock starts: reaching it skips the batch phase's lines of
  // the data set file, which took 12 s at 10,000,000 events and is not the server's time.
  let first: IteratorResult<Buffer> | null = await iterator.next();
  const nextLine = (): Promise<IteratorResult<Buffer>> | IteratorResult<Buffer> => {
    const line = first ?? iterator.next();
    first = null;
    return line;
  };
  const meter = new Meter(serverPid, options.total, options.log);
  const latencies: number[] = [];
  let capped = false;
  const worker = async (): Promise<void> => {
    while (!capped) {
      const next = await nextLine();
      if (next.done) return;
      const t = performance.now();
      const answer = await client.post('/v1/events', next.value);
      latencies.push(performance.now() - t);
      expectStatus(answer, 201, 'single-event ingest');
      meter.add(1);
      if (secondsSince(meter.started) > options.budgetSeconds) capped = true;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const result = { ...meter.result(), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cappedAfter: capped ? meter.done : null };
  for await (const batch of batchesOf({ [Symbol.asyncIterator]: () => iterator }, 500)) {
    expectStatus(await client.post('/v1/events', batchBody(batch)), 201, 'batch ingest');
  }
  return result;
}
