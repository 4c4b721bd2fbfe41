/**
 * Loads the data set into Vigil's store inside this process, for runs that do not time ingest
 * (`--only` without `ingest`): the same path as `POST /v1/events` — IngestService (validation,
 * redaction, tenant checks) and the group-commit Ingestor (sequencing, Merkle tiles, rollups) —
 * without HTTP. 10,000,000 events then load in well under an hour instead of the hours the HTTP
 * batches take, so that the read-side figures at that size can be measured on their own.
 */
import type { Principal } from '../src/auth/principal.js';
import { openStore } from '../src/cli/serve.js';
import { loadConfig } from '../src/config/config.js';
import { loadServerSecrets } from '../src/config/server-secrets.js';
import { IngestService } from '../src/http/ingest-service.js';
import { Ingestor } from '../src/ingest/ingestor.js';
import { readLines } from './events-file.js';
import { storeEnv, type StoreConfig } from './server.js';

/** Requests of this many events, as the benchmark's HTTP batches. */
const REQUEST_EVENTS = 500;
/**
 * Requests in flight, and the events of one transaction: far larger groups than a server sees,
 * because each commit rewrites every index page it touched and the fill is not what is measured.
 */
const IN_FLIGHT = 100;
const GROUP_EVENTS = IN_FLIGHT * REQUEST_EVENTS;

const FILLER: Principal = { keyId: 'bench-direct-fill', name: 'benchmark direct fill', role: 'admin', tenant: null };

/** Stores the first `total` events of `eventsFile`; returns the seconds it took. */
export async function fillDirect(config: StoreConfig, eventsFile: string, total: number, log: (line: string) => void): Promise<number> {
  // The store exactly as the server started on it afterwards will open it.
  const store = await openStore(loadConfig({ ...process.env, ...storeEnv(config) }));
  await store.open();
  const started = performance.now();
  try {
    const ingestor = new Ingestor(store, { maxGroupEvents: GROUP_EVENTS, maxQueuedEvents: GROUP_EVENTS });
    const service = new IngestService(ingestor, await loadServerSecrets(store));
    const inFlight = new Set<Promise<unknown>>();
    let stored = 0;
    let nextReport = Math.max(100_000, Math.round(total / 20));
    const send = async (events: unknown[]): Promise<void> => {
      while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      const request = service.ingest(FILLER, { events }).then(() => {
        stored += events.length;
        inFlight.delete(request);
        if (stored < nextReport) return;
        const seconds = (performance.now() - started) / 1000;
        log(`  direct fill: ${stored.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} events, ${Math.round(stored / seconds).toLocaleString('en-US')} events/s`);
        nextReport += Math.max(100_000, Math.round(total / 20));
      });
      inFlight.add(request);
    };
    let events: unknown[] = [];
    for await (const line of readLines(eventsFile, 0, total)) {
      events.push(JSON.parse(line.toString('utf8')));
      if (events.length === REQUEST_EVENTS) {
        await send(events);
        events = [];
      }
    }
    if (events.length > 0) await send(events);
    await Promise.all(inFlight);
    await ingestor.drain();
  } finally {
    await store.close();
  }
  return (performance.now() - started) / 1000;
}
