/**
 * The log verifier (`verifyLog`, the engine of `vigil verify`) on synthetic logs: every kind of
 * tampering is found and named by seq and id, purged events are stood in for by the leaf hashes
 * only when the log accounts for them, and the byte streams may be cut anywhere.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/domain/canonical.js';
import { CompactRange } from '../src/integrity/compact-range.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { verifyLog, type VerifyLogInput } from '../src/integrity/verify-log.js';

const TENANT = 'acme';
const N = 300;

function event(seq: number, extra: Record<string, unknown> = {}): string {
  const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  return canonicalJson({
    action: 'secret.read',
    actor: { type: 'user', id: `u_${seq % 5}` },
    // A nested "seq" must not be taken for the event's own.
    context: { seq: 999_999, note: '"seq":7,' },
    id,
    seq,
    tenant: TENANT,
    ...extra,
  });
}

const bodies = Array.from({ length: N }, (_, seq) => event(seq));
const leaves = bodies.map((b) => hashLeaf(b));
const rootOf = (hashes: Uint8Array[]) => {
  const range = new CompactRange();
  hashes.forEach((h) => range.append(h));
  return range.root();
};
const checkpoint = { origin: `vigil/${TENANT}`, size: N, root: rootOf(leaves), extensions: [] };

/** A byte stream cut into chunks of 1 to 97 bytes, so lines and hashes straddle chunks. */
async function* chunked(bytes: Buffer): AsyncGenerator<Uint8Array> {
  let seed = 7;
  for (let at = 0; at < bytes.length; ) {
    seed = (seed * 48271) % 2147483647;
    const n = 1 + (seed % 97);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

const ndjson = (lines: string[]) => chunked(Buffer.from(lines.map((l) => `${l}\n`).join('')));
const packed = (hashes: Uint8Array[]) => chunked(Buffer.concat(hashes));

function run(lines: string[], options: Partial<VerifyLogInput> & { withHashes?: boolean } = {}) {
  const { withHashes = true, ...rest } = options;
  return verifyLog({ checkpoint, tenant: TENANT, events: ndjson(lines), ...(withHashes ? { leafHashes: packed(leaves) } : {}), ...rest });
}

const idOf = (seq: number) => JSON.parse(bodies[seq]!).id as string;

describe('verifyLog on an intact log', () => {
  it.each([true, false])('recomputes every leaf and the signed root (leaf hashes given: %s)', async (withHashes) => {
    const report = await run(bodies, { withHashes });
    expect(report).toMatchObject({ ok: true, problems: [], recomputed: N, gaps: [], fromTiles: 0 });
  });

  it('checks consistency with a checkpoint saved before', async () => {
    const saved = { size: 120, root: rootOf(leaves.slice(0, 120)) };
    expect((await run(bodies, { saved })).ok).toBe(true);
    expect((await run(bodies, { saved, withHashes: false })).ok).toBe(true);
    const forked = await run(bodies, { saved: { size: 120, root: rootOf(leaves.slice(1, 121)) } });
    expect(forked.problems).toEqual([{ seq: null, message: 'the log does not extend the checkpoint saved before (size 120): it was rewritten' }]);
    const truncated = await run(bodies, { saved: { size: N + 5, root: checkpoint.root } });
    expect(truncated.problems[0]!.message).toMatch(/fewer than the 305 of the checkpoint saved before: the log was truncated/);
  });
});

describe('verifyLog names the first event that does not match', () => {
  it('a changed field: by seq and id with the leaf hashes, by the root without them', async () => {
    const tampered = bodies.slice();
    tampered[41] = bodies[41]!.replace('"u_1"', '"u_9"');
    tampered[200] = bodies[200]!.replace('"u_0"', '"u_8"');
    const report = await run(tampered);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.message)).toEqual([
      `seq 41 (id ${idOf(41)}): leaf does not match the signed tree`,
      `seq 200 (id ${idOf(200)}): leaf does not match the signed tree`,
    ]);
    const alone = await run(tampered, { withHashes: false });
    expect(alone.problems).toHaveLength(1);
    expect(alone.problems[0]!.message).toMatch(/^the events do not make the signed root/);
  });

  it('a deleted event', async () => {
    const report = await run(bodies.filter((_, seq) => seq !== 41));
    expect(report.problems.map((p) => p.message)).toEqual(['seq 41 missing']);
    expect((await run(bodies.filter((_, seq) => seq !== 41), { withHashes: false })).problems[0]!.message).toBe('seq 41 missing');
    expect((await run(bodies.slice(0, N - 3))).problems.map((p) => p.message)).toEqual([`seq ${N - 3} missing (and the 2 after it)`]);
  });

  it('two events swapped', async () => {
    const swapped = bodies.slice();
    [swapped[11], swapped[12]] = [bodies[12]!, bodies[11]!];
    for (const withHashes of [true, false]) {
      const report = await run(swapped, { withHashes });
      expect(report.problems.map((p) => p.message)).toEqual([`events out of order at seq 11: seq 11 (id ${idOf(11)}) comes after seq 12`]);
    }
  });

  it('a duplicated event, an event of another tenant, and events beyond the checkpoint', async () => {
    const twice = [...bodies.slice(0, 6), bodies[5]!, ...bodies.slice(6)];
    expect((await run(twice)).problems[0]!.message).toBe(`events out of order at seq 5: seq 5 (id ${idOf(5)}) appears twice`);
    const foreign = bodies.slice();
    foreign[7] = event(7, { tenant: 'globex' });
    expect((await run(foreign)).problems.map((p) => p.message)).toEqual([
      `seq 7 (id ${idOf(7)}): leaf does not match the signed tree`,
      `seq 7 (id ${idOf(7)}): belongs to tenant "globex", not "acme"`,
    ]);
    expect((await run([...bodies, event(N)])).problems[0]!.message).toBe(`seq ${N} (id ${JSON.parse(event(N)).id}): beyond the checkpoint, which has ${N} events`);
    expect((await run(['not json', ...bodies])).problems[0]!.message).toBe('line 1 is not a Vigil event (no seq)');
  });

  it('leaf hashes that do not make the signed root (the stored tree was altered)', async () => {
    const altered = leaves.slice();
    altered[41] = hashLeaf('something else');
    const report = await verifyLog({ checkpoint, tenant: TENANT, events: ndjson(bodies), leafHashes: packed(altered) });
    expect(report.problems.map((p) => p.message)).toEqual([
      `seq 41 (id ${idOf(41)}): leaf does not match the signed tree`,
      "Vigil's leaf hashes do not make the signed root: the tree it stores was altered",
    ]);
    const short = await verifyLog({ checkpoint, tenant: TENANT, events: ndjson(bodies), leafHashes: packed(leaves.slice(0, 100)) });
    expect(short.problems[0]!.message).toBe("Vigil's leaf hashes end after seq 99, short of the checkpoint's 300 events");
  });
});

describe('verifyLog after a retention purge', () => {
  it('takes the leaves of the oldest events, no longer stored, from the leaf hashes', async () => {
    const report = await run(bodies.slice(50));
    expect(report).toMatchObject({ ok: true, recomputed: N - 50, gaps: [[0, 50]], fromTiles: 50 });
    const alone = await run(bodies.slice(50), { withHashes: false });
    expect(alone.problems.map((p) => p.message)).toEqual(['seq 0 missing (and the 49 after it)']);
  });

  it('accepts later gaps only below a recorded purge, and no more events than it purged', async () => {
    const purgeRecord = (count: number) =>
      canonicalJson({ action: 'vigil.retention.purged', actor: { type: 'system', id: 'vigil' }, category: 'vigil', context: { below_seq: 150, count }, id: idOf(250), seq: 250, tenant: TENANT });
    const withRecord = (count: number) => {
      const log = bodies.slice();
      log[250] = purgeRecord(count);
      return log;
    };
    const logLeaves = (log: string[]) => log.map((b) => hashLeaf(b));
    // Events 0–9 and 100–119 purged (their time was old, their seq was not).
    const verify = async (count: number) => {
      const log = withRecord(count);
      const cp = { ...checkpoint, root: rootOf(logLeaves(log)) };
      const kept = log.filter((_, seq) => seq >= 10 && (seq < 100 || seq >= 120));
      return verifyLog({ checkpoint: cp, tenant: TENANT, events: ndjson(kept), leafHashes: packed(logLeaves(log)) });
    };
    expect(await verify(30)).toMatchObject({ ok: true, gaps: [[0, 10], [100, 120]], fromTiles: 30, purges: { events: 1, count: 30, belowSeq: 150 } });
    expect((await verify(25)).problems.map((p) => p.message)).toEqual(['seq 100 missing (and the 19 after it)']);
    // Without any record, only the oldest events may be gone.
    const log = bodies.slice();
    const kept = log.filter((_, seq) => seq >= 10 && (seq < 100 || seq >= 120));
    expect((await run(kept)).problems.map((p) => p.message)).toEqual(['seq 100 missing (and the 19 after it)']);
  });
});
