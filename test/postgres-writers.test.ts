import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { DAY, T0 } from './support/events.js';
import { referenceRoot } from './support/merkle-reference.js';
import { createTestDatabase, describePostgres, type TestDatabase } from './support/postgres.js';
import { WRITER_TENANTS, sharedEvent } from './support/postgres-writer.js';

const run = promisify(execFile);
const WRITER = fileURLToPath(new URL('./support/postgres-writer.ts', import.meta.url));

describePostgres('PostgreSQL store: several Vigil processes writing at once', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keeps every tenant’s seq dense and unique, its Merkle root right and its rollups exact', async () => {
    const writers = 3;
    const [rounds, parallel, size] = [4, 12, 20];
    // Started together on a fresh database: they also race on the migrations.
    const outputs = await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        run(process.execPath, ['--import', 'tsx', WRITER, db.url, `w${w}`, String(rounds), String(parallel), String(size)], {
          timeout: 120_000,
        }),
      ),
    );
    const counts = outputs.map((o) => JSON.parse(o.stdout) as { stored: number; duplicates: number });

    // Each round, every writer sent the same 3 shared events: stored once in all, duplicates elsewhere.
    const shared = rounds * 3;
    const unique = writers * rounds * (parallel * size - 3) + shared;
    expect(counts.reduce((n, c) => n + c.stored, 0)).toBe(unique);
    expect(counts.reduce((n, c) => n + c.duplicates, 0)).toBe((writers - 1) * shared);

    const store = new PostgresStore({ url: db.url, poolSize: 2 });
    await store.open();
    try {
      let total = 0;
      for (const tenant of WRITER_TENANTS) {
        const head = await store.treeHead(tenant);
        const rows = await store.readBySeq(tenant, 0, head.size + 10, head.size + 10);
        expect(rows.map((r) => r.seq)).toEqual([...Array(head.size).keys()]);
        expect(Buffer.from(head.root).toString('hex')).toBe(referenceRoot(rows.map((r) => r.body)).toString('hex'));
        // Each writer folded rollups in the background as well: every event is counted once.
        const summary = await store.summarize({ tenant, filter: { fromUs: T0, toUs: T0 + DAY }, groupBy: [], top: 1, baseline: false, maxScanRows: 0 });
        expect([summary.plan.counts, summary.count]).toEqual(['rollup', head.size]);
        total += head.size;
      }
      expect(total).toBe(unique);
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < 3; k++) {
          const event = sharedEvent(round, k);
          expect(await store.getEvent(event.tenant, event.id)).not.toBeNull();
        }
      }
    } finally {
      await store.close();
    }
  }, 180_000);
});
