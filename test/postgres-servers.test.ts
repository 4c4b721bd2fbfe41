import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { referenceRoot } from './support/merkle-reference.js';
import { createTestDatabase, describePostgres, type TestDatabase } from './support/postgres.js';
import { startVigil, type VigilProcess } from './support/vigil-process.js';

const TENANTS = ['h-a', 'h-b'];

describePostgres('PostgreSQL store: two Vigil servers on one database', () => {
  let db: TestDatabase;
  const servers: VigilProcess[] = [];
  // Shared by both processes: one checkpoint signing key for the deployment.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-pg-servers-'));
  const startServer = (url: string, adminKey: string) =>
    startVigil({ VIGIL_DATABASE_URL: url, VIGIL_DATABASE_POOL_SIZE: '4', VIGIL_ADMIN_KEY: adminKey, VIGIL_DATA_DIR: dataDir });
  const admin = generateApiKey().token;
  const auth = { authorization: `Bearer ${admin}` };

  beforeAll(async () => {
    db = await createTestDatabase();
    // At once: one creates the schema and installs the admin key while the other waits, then finds both.
    servers.push(...(await Promise.all([startServer(db.url, admin), startServer(db.url, admin)])));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps seq dense and roots right with both servers ingesting, and each serves the other’s events', async () => {
    const [clients, batches, size] = [4, 6, 50];
    const post = async (server: VigilProcess, client: number, batch: number) => {
      const events = Array.from({ length: size }, (_, i) => ({
        tenant: TENANTS[(client + batch + i) % TENANTS.length],
        action: 'secret.read',
        actor: { type: 'user', id: `u_${client}`, email: `u${client}@acme.example` },
        resource: { type: 'secret', id: `sec_${i % 9}`, path: `prod/db/s${i % 9}` },
      }));
      const res = await fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
    };
    await Promise.all(
      servers.flatMap((server) =>
        Array.from({ length: clients }, async (_, client) => {
          for (let batch = 0; batch < batches; batch++) await post(server, client, batch);
        }),
      ),
    );
    const total = servers.length * clients * batches * size;

    // Every event, read through the other server by cursor.
    let read = 0;
    for (const tenant of TENANTS) {
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ tenant, limit: '1000', ...(cursor ? { cursor } : {}) });
        const res = await fetch(`${servers[1]!.url}/v1/audit/logs?${query}`, { headers: auth });
        expect(res.status).toBe(200);
        const page = (await res.json()) as { data: { tenant: string }[]; next_cursor: string | null };
        read += page.data.filter((e) => e.tenant === tenant).length;
        cursor = page.next_cursor;
      } while (cursor);
    }
    expect(read).toBe(total);

    const store = new PostgresStore({ url: db.url, poolSize: 2 });
    await store.open();
    try {
      let stored = 0;
      for (const tenant of TENANTS) {
        const head = await store.treeHead(tenant);
        const rows = await store.readBySeq(tenant, 0, head.size + 1, head.size + 1);
        expect(rows.map((r) => r.seq)).toEqual([...Array(head.size).keys()]);
        expect(Buffer.from(head.root).toString('hex')).toBe(referenceRoot(rows.map((r) => r.body)).toString('hex'));
        stored += head.size;
      }
      expect(stored).toBe(total);
    } finally {
      await store.close();
    }
  }, 180_000);

  it('keep one dashboard session between them: signed in on one, known to the other, signed out everywhere', async () => {
    const [a, b] = servers as [VigilProcess, VigilProcess];
    const csrf = { 'x-vigil-csrf': '1' };
    const signIn = await fetch(`${a.url}/v1/session`, { method: 'POST', headers: { ...csrf, 'content-type': 'application/json' }, body: JSON.stringify({ key: admin }) });
    expect(signIn.status).toBe(201);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const whoAmI = (server: VigilProcess) => fetch(`${server.url}/v1/session`, { headers: { cookie } });
    const onB = await whoAmI(b);
    expect(onB.status).toBe(200);
    expect(await onB.json()).toMatchObject({ role: 'admin', tenant: null });
    expect((await fetch(`${b.url}/v1/session`, { method: 'DELETE', headers: { ...csrf, cookie } })).status).toBe(204);
    expect((await whoAmI(a)).status).toBe(401);
  });
});
