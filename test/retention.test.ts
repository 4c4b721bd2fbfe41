import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import type { StoredEvent } from '../src/domain/event.js';
import { nowMicros } from '../src/domain/time.js';
import { loadExportSettings } from '../src/export/config.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { inclusionProof, rootAt } from '../src/integrity/proof-tiles.js';
import { verifyInclusion } from '../src/integrity/verify-proof.js';
import type { RetentionRunView, RetentionView } from '../src/retention/retention-service.js';
import type { JobUpdate, Store } from '../src/store/store.js';
import { startExportApp, type ExportApp, type ExportAppOptions } from './support/export-app.js';

const DAY_US = 86_400_000_000;


/** Stops the runner at the first saved progress that `when` matches. */
function pausing(when: (progress: Record<string, unknown>) => boolean, at: ReturnType<typeof gate>): ExportAppOptions['wrap'] {
  return (store) =>
    Object.create(store, {
      updateJob: {
        value: async (id: string, owner: string, update: JobUpdate) => {
          const held = await store.updateJob(id, owner, update);
          if (update.progress && when(JSON.parse(update.progress) as Record<string, unknown>)) await at.pass();
          return held;
        },
      },
    }) as Store;
}

describe('retention', () => {
  let h: ExportApp | undefined;
  let dir: string;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** An app with a file destination `archive`; 40 expired events (200 days old) and 30 recent ones per tenant. */
  async function setup(tenants: string[], options: ExportAppOptions = {}, batchSize = 7): Promise<ExportApp> {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-archive-'));
    const exportSettings = loadExportSettings({ VIGIL_EXPORT_DESTINATIONS: JSON.stringify({ archive: { type: 'file', directory: dir, prefix: 'cold' } }) }, {});
    h = await startExportApp({ ...options, jobs: { exportSettings, retention: { defaultDays: null, intervalMs: 3_600_000, batchSize } } });
    const now = nowMicros();
    for (const tenant of tenants) {
      await h.fill(tenant, 70, (i) => ({
        atUs: i < 40 ? now - 200 * DAY_US + i * 60e6 : now - DAY_US + i * 60e6,
        resource: { type: 'secret', id: `s${i % 5}`, name: `S${i % 5}`, path: `prod/s${i % 5}` },
      }));
    }
    return h;
  }

  const events = async (app: ExportApp, tenant: string) =>
    (await app.store.readBySeq(tenant, 0, 1_000_000, 1_000_000)).map((r) => JSON.parse(r.body) as StoredEvent);

  it('keeps a policy per tenant, checks it, and records every change', async () => {
    const app = await setup(['acme']);
    const admin = await app.key('admin', 'acme');
    const auditor = await app.key('auditor', 'acme');
    const initial = (await app.request('GET', auditor, '/v1/tenants/acme/retention')).json<RetentionView>();
    expect(initial).toMatchObject({ days: null, effective_days: null, presets: [90, 365, 1095, 2555], legal_hold: { enabled: false } });

    const set = await app.request('PUT', admin, '/v1/tenants/acme/retention', { days: 365, archive_destination: 'archive' });
    expect(set.json()).toMatchObject({ days: 365, effective_days: 365, archive_destination: 'archive' });
    expect((await app.request('PUT', admin, '/v1/tenants/acme/retention', { days: 12 })).json()).toMatchObject({ days: 12, archive_destination: 'archive' });

    const bad = await app.request('PUT', admin, '/v1/tenants/acme/retention', { days: 0, archive_destination: 'tape', extra: 1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues.map((i: { path: string }) => i.path)).toEqual(['extra', 'days', 'archive_destination']);
    expect((await app.request('PUT', auditor, '/v1/tenants/acme/retention', { days: 90 })).statusCode).toBe(403);
    expect((await app.request('PUT', admin, '/v1/tenants/globex/retention', { days: 90 })).statusCode).toBe(403);

    const noReason = await app.request('PUT', admin, '/v1/tenants/acme/legal-hold', { enabled: true });
    expect(noReason.json().error.issues[0].path).toBe('reason');
    const hold = await app.request('PUT', admin, '/v1/tenants/acme/legal-hold', { enabled: true, reason: 'case 2026-14' });
    expect(hold.json()).toMatchObject({ days: 12, legal_hold: { enabled: true, reason: 'case 2026-14' } });

    const recorded = (await events(app, 'acme')).filter((e) => e.category === 'vigil' && e.action !== 'vigil.key.created');
    expect(recorded.map((e) => e.action)).toEqual(['vigil.retention.updated', 'vigil.retention.updated', 'vigil.legal_hold.updated']);
    expect(recorded[1]!.changes).toEqual([
      { field: 'days', old: 365, new: 12 },
      { field: 'archive_destination', old: 'archive', new: 'archive' },
    ]);
    expect(recorded[2]!.context).toMatchObject({ enabled: true, reason: 'case 2026-14' });
  });

  it('archives, verifies, then purges exactly the expired events; queries, trails and proofs still work', async () => {
    const app = await setup(['acme', 'globex']);
    const admin = await app.key('admin', null);
    const reader = await app.key('auditor', 'acme');
    await app.request('PUT', admin, '/v1/tenants/acme/retention', { days: 90, archive_destination: 'archive' });
    const before = await events(app, 'acme');
    const expired = before.filter((e) => Date.parse(e.occurred_at) * 1000 < nowMicros() - 90 * DAY_US);
    expect(expired).toHaveLength(40);
    const head = await app.store.treeHead('acme');
    const globexBefore = await events(app, 'globex');

    const queued = (await app.request('POST', admin, '/v1/retention/runs', {})).json<{ data: RetentionRunView[] }>().data;
    expect(queued.map((r) => r.tenant)).toEqual(['acme']); // globex has no policy and no platform default
    await app.services.background.runner.runPending();
    const run = (await app.request('GET', admin, `/v1/retention/runs/${queued[0]!.id}`)).json<RetentionRunView>();
    expect(run).toMatchObject({ state: 'completed', error: null, progress: { purged: 40, archived_rows: 40 } });
    expect(run.result).toMatchObject({ purged: 40, stopped_by_legal_hold: false, below_seq: head.size });

    // The archive holds exactly the purged events, byte for byte as hashed; its checksums hold.
    const manifest = run.result!.archive!;
    expect(manifest).toMatchObject({ kind: 'archive', format: 'jsonl', gzip: true, rows: 40 });
    const archived = manifest.files.flatMap((f) => {
      const bytes = readFileSync(path.join(dir, f.key));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
      expect(f.key.startsWith(`cold/acme/archive/${run.id}/`)).toBe(true);
      return gunzipSync(bytes).toString('utf8').trim().split('\n');
    });
    expect(archived.map((l) => (JSON.parse(l) as StoredEvent).id).sort()).toEqual(expired.map((e) => e.id).sort());

    const after = await events(app, 'acme');
    const expiredIds = new Set(expired.map((e) => e.id));
    expect(after.filter((e) => expiredIds.has(e.id))).toEqual([]);
    expect(before.filter((e) => !expiredIds.has(e.id)).every((e) => after.some((a) => a.id === e.id))).toBe(true);
    expect(await events(app, 'globex')).toEqual(globexBefore);

    const purged = after.find((e) => e.action === 'vigil.retention.purged')!;
    expect(purged.context).toMatchObject({ count: 40, days: 90, below_seq: head.size, archive_destination: 'archive', archive_files: manifest.files.length, archive_manifest: `cold/acme/archive/${run.id}/manifest.json` });

    // Reads and trails still answer, without the purged events.
    const page = (await app.request('GET', reader, '/v1/audit/logs?limit=1000')).json<{ data: StoredEvent[] }>();
    expect(page.data.some((e) => expiredIds.has(e.id))).toBe(false);
    expect(page.data.length).toBe(after.length);
    const trail = (await app.request('GET', reader, '/v1/audit/secrets/prod/s1')).json<{ data: StoredEvent[] }>();
    expect(trail.data.length).toBe(after.filter((e) => e.resource?.path === 'prod/s1').length);

    // The tree only grew: the old head is still computed from the tiles, and every event —
    // purged (from the archive) or kept — still has a valid inclusion proof in the new head.
    const readTiles = (keys: Parameters<typeof app.store.readTiles>[1]) => app.store.readTiles('acme', keys);
    expect(Buffer.from(await rootAt(readTiles, head.size)).equals(Buffer.from(head.root))).toBe(true);
    const now = await app.store.treeHead('acme');
    for (const body of [...archived, ...(await app.store.readBySeq('acme', 0, 1_000_000, 1_000_000)).map((r) => r.body)]) {
      const seq = (JSON.parse(body) as StoredEvent).seq;
      verifyInclusion(seq, now.size, hashLeaf(body), await inclusionProof(readTiles, seq, now.size), now.root);
    }
  });

  it('purges nothing of a tenant under a legal hold, even in a run queued before the hold', async () => {
    const app = await setup(['held']);
    const admin = await app.key('admin', null);
    await app.request('PUT', admin, '/v1/tenants/held/retention', { days: 90 });
    const queued = (await app.request('POST', admin, '/v1/retention/runs', { tenant: 'held' })).json<{ data: RetentionRunView[] }>().data;
    expect(queued).toHaveLength(1);
    await app.request('PUT', admin, '/v1/tenants/held/legal-hold', { enabled: true, reason: 'subpoena' });
    const before = await events(app, 'held');
    await app.services.background.runner.runPending();
    const run = (await app.request('GET', admin, `/v1/retention/runs/${queued[0]!.id}`)).json<RetentionRunView>();
    expect(run.result).toMatchObject({ purged: 0, stopped_by_legal_hold: true, archive: null });
    expect(await events(app, 'held')).toEqual(before);
    // While the hold stands, no run is even queued.
    expect((await app.request('POST', admin, '/v1/retention/runs', { tenant: 'held' })).json().data).toEqual([]);
    await app.services.background.scheduler.tick();
    expect(await app.services.background.runner.runPending()).toBe(0);
    expect(await events(app, 'held')).toEqual(before);
  });

  it('stops purging between batches when a hold is set during the run', async () => {
    const firstBatch = gate();
    const app = await setup(['acme'], { wrap: pausing((p) => (p.purged as number) > 0, firstBatch) }, 7);
    const admin = await app.key('admin', null);
    await app.request('PUT', admin, '/v1/tenants/acme/retention', { days: 90 });
    const [queued] = (await app.request('POST', admin, '/v1/retention/runs', { tenant: 'acme' })).json<{ data: RetentionRunView[] }>().data;
    const running = app.services.background.runner.runPending();
    await firstBatch.reached;
    await app.request('PUT', admin, '/v1/tenants/acme/legal-hold', { enabled: true, reason: 'incident 7' });
    firstBatch.open();
    await running;
    const run = (await app.request('GET', admin, `/v1/retention/runs/${queued!.id}`)).json<RetentionRunView>();
    expect(run.result).toMatchObject({ purged: 7, stopped_by_legal_hold: true });
    const left = (await events(app, 'acme')).filter((e) => e.category !== 'vigil');
    expect(left).toHaveLength(70 - 7);
    expect((await events(app, 'acme')).find((e) => e.action === 'vigil.retention.purged')?.context).toMatchObject({ count: 7, stopped_by_legal_hold: true });
  });

  it('purges nothing when the archive does not read back as written', async () => {
    const archived = gate();
    const app = await setup(['acme'], { wrap: pausing((p) => p.manifest !== null && p.verified === false, archived) });
    const admin = await app.key('admin', null);
    await app.request('PUT', admin, '/v1/tenants/acme/retention', { days: 90, archive_destination: 'archive' });
    const [queued] = (await app.request('POST', admin, '/v1/retention/runs', { tenant: 'acme' })).json<{ data: RetentionRunView[] }>().data;
    const before = await events(app, 'acme');
    const running = app.services.background.runner.runPending();
    await archived.reached;
    // Someone (or a faulty store) changes an archived object before it is checked.
    const job = (await app.store.getJob(queued!.id))!;
    const key = (JSON.parse(job.progress!) as { manifest: { files: { key: string }[] } }).manifest.files[0]!.key;
    appendFileSync(path.join(dir, key), 'x');
    archived.open();
    await running;
    const run = (await app.request('GET', admin, `/v1/retention/runs/${queued!.id}`)).json<RetentionRunView>();
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(new RegExp(`archive verification failed: ${key}.*nothing was purged`));
    expect(await events(app, 'acme')).toEqual(before);
  });

  it('applies the platform default on the schedule, in bounded batches', async () => {
    const app = await setup(['a', 'b'], {}, 6);
    const admin = await app.key('admin', null);
    await app.close({ keepFiles: true });
    h = await startExportApp({
      dir: app.dir,
      admin,
      jobs: { exportSettings: loadExportSettings({}, {}), retention: { defaultDays: 30, intervalMs: 3_600_000, batchSize: 6 } },
    });
    await h.request('PUT', admin, '/v1/tenants/b/retention', { days: 365 });
    await h.services.background.scheduler.tick();
    expect(await h.services.background.runner.runPending()).toBe(1);
    expect((await events(h, 'a')).filter((e) => e.category !== 'vigil')).toHaveLength(30);
    expect((await events(h, 'b')).filter((e) => e.category !== 'vigil')).toHaveLength(70);
    const [run] = await h.store.listJobs('a', { kind: 'retention', limit: 5 });
    expect(JSON.parse(run!.result!)).toMatchObject({ purged: 40, archive: null });
  });
});
