/**
 * A Vigil writer process for the multi-process test (test/postgres-writers.test.ts): its own
 * PostgresStore and Ingestor, appending concurrently to shared tenants. Some events are "shared":
 * every writer sends them with the same id and content, so exactly one copy may be stored.
 *
 * Usage: node --import tsx test/support/postgres-writer.ts <url> <writer> <rounds> <parallel> <size>
 * Prints one JSON line: {"stored": n, "duplicates": n}.
 */
import { v5 as uuidv5 } from 'uuid';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { T0, preparedEvent } from './events.js';

export const WRITER_TENANTS = ['w-a', 'w-b', 'w-c'];
const NAMESPACE = '8f1c6b52-2f4e-4d7a-9d0e-3b1f5a6c7d8e';

/** The event every writer sends in round `round` as its shared event number `k`. */
export function sharedEvent(round: number, k: number) {
  return preparedEvent({
    id: uuidv5(`shared-${round}-${k}`, NAMESPACE),
    tenant: WRITER_TENANTS[k % WRITER_TENANTS.length]!,
    atUs: T0 + round * 1000 + k,
    action: 'secret.read',
  });
}

async function main(): Promise<void> {
  const [url, writer, rounds, parallel, size] = process.argv.slice(2);
  const store = new PostgresStore({ url: url!, poolSize: 4 });
  await store.open();
  const ingestor = new Ingestor(store, { maxGroupEvents: 2000 });
  let stored = 0;
  let duplicates = 0;
  for (let round = 0; round < Number(rounds); round++) {
    const requests = Array.from({ length: Number(parallel) }, (_, r) => ({
      events: Array.from({ length: Number(size) }, (_, i) =>
        i === 0 && r < 3
          ? sharedEvent(round, r)
          : preparedEvent({
              tenant: WRITER_TENANTS[(r + i) % WRITER_TENANTS.length]!,
              atUs: T0 + round * 1000 + i,
              actor: { type: 'user', id: `u_${writer}_${i % 7}`, email: `u${i % 7}@${writer}.example` },
            }),
      ),
    }));
    const results = await Promise.all(requests.map((request) => ingestor.submit(request)));
    for (const result of results) {
      if (!result.ok) throw result.error;
      for (const e of result.events) e.duplicate ? duplicates++ : stored++;
    }
  }
  await ingestor.drain();
  await store.close();
  process.stdout.write(`${JSON.stringify({ stored, duplicates })}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
