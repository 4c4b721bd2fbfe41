/**
 * POST /v1/events: what is stored, idempotency, per-item results, and every kind of bad input
 * getting a clear 4xx that changes nothing — for large bodies too, which are parsed and checked on
 * the ingest thread (src/ingest/check-thread.ts) and must store and refuse exactly as the event
 * loop's own checks do.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_BATCH_EVENTS, MAX_EVENT_BYTES, MAX_REQUEST_BYTES } from '../src/domain/limits.js';
import { THREAD_BODY_LENGTH } from '../src/http/routes/events.js';
import { canonicalJson } from '../src/domain/canonical.js';
import { CheckThread } from '../src/ingest/check-thread.js';
import { CompactRange } from '../src/integrity/compact-range.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { BodyCompressor } from '../src/store/sqlite/body-compressor.js';
import { actor, awsKey, batch, event, text } from './support/ingest-bodies.js';
import { startHarness, type Harness } from './http-harness.js';


let h: Harness;
let writer: string;
let before: number;

beforeAll(async () => {
  h = await startHarness();
  writer = await h.key('writer', 'acme');
});
afterAll(async () => h?.close());
beforeEach(async () => {
  before = (await h.stored('acme')).length;
});

interface ErrorJson {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

/** Sends `body` and expects a refusal with `status` and `code` that stored nothing. */
async function refused(status: number, code: string, body: unknown, headers: Record<string, string> = {}, query = ''): Promise<ErrorJson['error']> {
  const res = await h.send(writer, body, headers, query);
  expect(res.statusCode, res.body).toBe(status);
  const json = res.json<ErrorJson>();
  expect(json.error.code).toBe(code);
  expect((await h.stored('acme')).length).toBe(before);
  return json.error;
}

describe('POST /v1/events', () => {
  it('stores one event and answers with its id and seq', async () => {
    const res = await h.send(writer, event({ occurred_at: '2026-11-21T14:30:00.123456Z' }));
    expect(res.statusCode).toBe(201);
    const [stored] = res.json<{ events: { id: string; seq: number; duplicate: boolean }[] }>().events;
    expect(stored).toMatchObject({ duplicate: false, seq: expect.any(Number), id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const body = await h.store.getEvent('acme', stored!.id);
    expect(JSON.parse(body!.body)).toMatchObject({ tenant: 'acme', action: 'SECRET_READ', category: 'secrets', crud: 'read', occurred_at: '2026-11-21T14:30:00.123456Z' });
  });

  it('stores a batch in order, all or nothing', async () => {
    const res = await h.send(writer, { events: [event({ context: { n: 1 } }), event({ context: { n: 2 } })] });
    expect(res.statusCode).toBe(201);
    const [a, b] = res.json<{ events: { seq: number }[] }>().events;
    expect(b!.seq).toBe(a!.seq + 1);
    before += 2;
    const error = await refused(400, 'VIGIL_ERR_VALIDATION', { events: [event(), event({ actor: { type: 'robot', id: 'r' } })] });
    expect(error.issues).toEqual([{ path: 'events[1].actor.type', message: expect.stringContaining('must be one of') }]);
  });

  it('accepts an id again with the same content once, and refuses other content with 409', async () => {
    const id = '0192f0c8-7b1a-7cc3-9a55-1f1f2e3d4c5b';
    const first = await h.send(writer, event({ id, occurred_at: '2026-11-21T10:00:00Z' }));
    const again = await h.send(writer, event({ id, occurred_at: '2026-11-21T10:00:00Z' }));
    expect(first.json()).toEqual({ events: [{ id, seq: expect.any(Number), duplicate: false }] });
    expect(again.json()).toEqual({ events: [{ id, seq: first.json<any>().events[0].seq, duplicate: true }] });
    before = (await h.stored('acme')).length;
    await refused(409, 'VIGIL_ERR_CONFLICT', event({ id, occurred_at: '2026-11-21T10:00:00Z', action: 'SECRET_SET' }));
  });

  it('derives ids from an Idempotency-Key so a retried request is stored once', async () => {
    const body = { events: [event(), event({ action: 'SECRET_LIST' })] };
    const headers = { 'idempotency-key': 'batch-42' };
    const first = await h.send(writer, body, headers);
    const retry = await h.send(writer, body, headers);
    expect(first.statusCode).toBe(201);
    const ids = first.json<any>().events.map((e: { id: string }) => e.id);
    expect(retry.json<any>().events).toEqual(ids.map((id: string, i: number) => ({ id, seq: first.json<any>().events[i].seq, duplicate: true })));
    expect((await h.stored('acme')).length).toBe(before + 2);
    const other = await h.send(writer, body, { 'idempotency-key': 'batch-43' });
    expect(other.json<any>().events.every((e: { duplicate: boolean }) => !e.duplicate)).toBe(true);
  });

  it('with partial=true stores the valid events and reports each item', async () => {
    const res = await h.send(writer, { events: [event(), { action: 'x' }, event({ tenant: 'globex' }), event()] }, {}, '?partial=true');
    expect(res.statusCode).toBe(201);
    const items = res.json<{ events: Record<string, any>[] }>().events;
    expect(items.map((i) => i.status)).toEqual([201, 400, 403, 201]);
    expect(items[1]!.error).toMatchObject({ code: 'VIGIL_ERR_VALIDATION', issues: [{ path: 'events[1].actor', message: 'is required' }] });
    expect(items[2]!.error.code).toBe('VIGIL_ERR_FORBIDDEN');
    expect(items[0]).toMatchObject({ index: 0, id: expect.any(String), seq: expect.any(Number), duplicate: false });
    expect((await h.stored('acme')).length).toBe(before + 2);
  });

  it('redacts secret values before they are stored', async () => {
    const awsKey = 'AKIAIOSFODNN7EXAMPLE';
    const res = await h.send(writer, event({ context: { note: `rotated ${awsKey}` }, changes: [{ field: 'password', old: 'hunter2-old', new: 'hunter2-new' }] }));
    const stored = await h.store.getEvent('acme', res.json<any>().events[0].id);
    expect(stored!.body).not.toContain(awsKey);
    expect(stored!.body).not.toContain('hunter2');
    expect(JSON.parse(stored!.body).redactions).toEqual(expect.arrayContaining(['changes[0].old', 'changes[0].new']));
  });
});

describe('bad input gets a clear 4xx and stores nothing', () => {
  it('malformed JSON', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' }, payload: '{"action": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorJson>().error).toMatchObject({ code: 'VIGIL_ERR_VALIDATION', issues: [{ path: 'body' }] });
  });

  it('a body that is not JSON', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${writer}`, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(res.statusCode).toBe(415);
    expect(res.json<ErrorJson>().error.code).toBe('VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('an empty body', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorJson>().error.code).toBe('VIGIL_ERR_VALIDATION');
  });

  it.each([
    ['an array', [event()], 'body'],
    ['a string', 'event', 'body'],
    ['an empty batch', { events: [] }, 'events'],
    ['events that is not an array', { events: event() }, 'events'],
    ['a batch with another field', { events: [event()], tenant: 'acme' }, 'tenant'],
    ['a missing action', { actor }, 'action'],
    ['a missing actor', { action: 'SECRET_READ' }, 'actor'],
    ['an unknown field', event({ colour: 'red' }), 'colour'],
    ['a server-assigned field', event({ seq: 3 }), 'seq'],
    ['a bad actor type', event({ actor: { type: 'robot', id: 'r1' } }), 'actor.type'],
    ['a bad time', event({ occurred_at: 'yesterday' }), 'occurred_at'],
    ['a time far in the future', event({ occurred_at: '2999-01-01T00:00:00Z' }), 'occurred_at'],
    ['a bad log', event({ log: 'debug' }), 'log'],
    ['a bad source', event({ source: 'fax' }), 'source'],
    ['a bad id', event({ id: 'not-a-uuid' }), 'id'],
    ['a bad tenant name', event({ tenant: 'Acme Corp' }), 'tenant'],
    ['a bad ip', event({ client: { ip: '300.1.1.1' } }), 'client.ip'],
    ['a bad status', event({ outcome: { success: false, status: 999 } }), 'outcome.status'],
    ['a bad context value', event({ context: { nested: { a: 1 } } }), 'context.nested'],
    ['a change without old or new', event({ changes: [{ field: 'x' }] }), 'changes[0]'],
  ])('%s', async (_name, body, path) => {
    const error = await refused(400, 'VIGIL_ERR_VALIDATION', body);
    expect(error.issues?.map((i) => i.path)).toContain(path);
  });

  it('reports the issues of every event of a batch, by index', async () => {
    const error = await refused(400, 'VIGIL_ERR_VALIDATION', { events: [event({ log: 'x' }), event(), { action: 'a' }] });
    expect(error.issues?.map((i) => i.path)).toEqual(['events[0].log', 'events[2].actor']);
  });

  it('an event over the size limit is a 413 naming it', async () => {
    const big = event({ context: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'x'.repeat(1000)])) });
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_EVENT_BYTES);
    const error = await refused(413, 'VIGIL_ERR_TOO_LARGE', { events: [event(), big] });
    expect(error.issues?.[0]?.path).toBe('events[1]');
  });

  it(`more than ${MAX_BATCH_EVENTS} events is a 413`, async () => {
    const error = await refused(413, 'VIGIL_ERR_TOO_LARGE', { events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => event()) });
    expect(error.issues?.[0]?.path).toBe('events');
  });

  it('a body over the request limit is a 413', async () => {
    const payload = JSON.stringify({ events: [event({ context: { pad: 'x'.repeat(MAX_REQUEST_BYTES) } })] });
    const res = await h.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' }, payload });
    expect(res.statusCode).toBe(413);
    expect(res.json<ErrorJson>().error).toMatchObject({ code: 'VIGIL_ERR_TOO_LARGE', issues: [{ path: 'body' }] });
    expect((await h.stored('acme')).length).toBe(before);
  });

  it('a bad Idempotency-Key and a bad or unknown query parameter', async () => {
    const key = await refused(400, 'VIGIL_ERR_VALIDATION', event(), { 'idempotency-key': 'has spaces in it' });
    expect(key.issues?.[0]?.path).toBe('idempotency-key');
    const partial = await refused(400, 'VIGIL_ERR_VALIDATION', event(), {}, '?partial=maybe');
    expect(partial.issues?.[0]?.path).toBe('partial');
    const unknown = await refused(400, 'VIGIL_ERR_VALIDATION', event(), {}, '?tenant=acme');
    expect(unknown.issues?.[0]).toEqual({ path: 'tenant', message: 'unknown field' });
  });

  it('no key, a malformed key, a wrong secret', async () => {
    const send = (authorization?: string) =>
      h.app.inject({ method: 'POST', url: '/v1/events', headers: authorization ? { authorization } : {}, payload: event() });
    for (const auth of [undefined, 'Basic abc', 'Bearer nope', `Bearer ${writer.slice(0, -4)}AAAA`]) {
      const res = await send(auth);
      expect(res.statusCode, String(auth)).toBe(401);
      expect(res.json<ErrorJson>().error.code).toBe('VIGIL_ERR_UNAUTHENTICATED');
    }
    expect((await h.stored('acme')).length).toBe(before);
  });
});

describe('large bodies, parsed and checked on the ingest thread', () => {
  const checks = vi.spyOn(CheckThread.prototype, 'check');
  beforeEach(() => {
    checks.mockClear();
  });

  const post = (payload: string, headers: Record<string, string> = {}, query = '') =>
    h.app.inject({ method: 'POST', url: `/v1/events${query}`, headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json', ...headers }, payload });

  async function refusedText(status: number, code: string, payload: string): Promise<ErrorJson['error']> {
    const res = await post(payload);
    expect(res.statusCode, res.body).toBe(status);
    expect(checks).toHaveBeenCalledTimes(1);
    expect((await h.stored('acme')).length).toBe(before);
    return res.json<ErrorJson>().error;
  }

  it.each([
    ['small then large', false, true],
    ['large then small', true, false],
  ])('store what the event loop stores (%s): the retry of a request is the same events, found as duplicates', async (_, firstLarge, againLarge) => {
    const headers = { 'idempotency-key': `same-${firstLarge}` };
    const first = await post(text(batch(), firstLarge), headers);
    const again = await post(text(batch(), againLarge), headers);
    expect(first.statusCode, first.body).toBe(201);
    expect(checks).toHaveBeenCalledTimes(1);
    const stored = first.json<{ events: { id: string; seq: number }[] }>().events;
    expect(again.json()).toEqual({ events: stored.map(({ id, seq }) => ({ id, seq, duplicate: true })) });
    expect((await h.stored('acme')).length).toBe(before + 20);
    const body = (await h.store.getEvent('acme', stored[3]!.id))!.body;
    expect(body).not.toContain(awsKey);
    expect(body).not.toContain('new-3');
  });

  it('refuse a large body that is not JSON, or that would set a prototype, as the event loop does', async () => {
    const small = await post('{"events": [');
    const notJson = await refusedText(400, 'VIGIL_ERR_VALIDATION', `{"events": [${' '.repeat(THREAD_BODY_LENGTH)}`);
    expect(notJson).toEqual(small.json<ErrorJson>().error);
    checks.mockClear();
    const poisoned = '{"events": [{"action": "SECRET_READ", "actor": {"type": "user", "id": "u_1"}, "__proto__": {"admin": true}}]}';
    const proto = await refusedText(400, 'VIGIL_ERR_VALIDATION', poisoned + ' '.repeat(THREAD_BODY_LENGTH));
    expect(proto.issues).toEqual([{ path: 'body', message: expect.any(String) }]);
  });

  it('report every bad event of a large batch by index, and store none of it', async () => {
    const error = await refusedText(400, 'VIGIL_ERR_VALIDATION', text({ events: [event({ log: 'x' }), ...batch().events, { action: 'a' }] }, true));
    expect(error.issues?.map((i) => i.path)).toEqual(['events[0].log', 'events[21].actor']);
  });

  it('refuse a large batch of the wrong shape or for another tenant', async () => {
    const shape = await refusedText(400, 'VIGIL_ERR_VALIDATION', text({ events: batch().events, tenant: 'acme' }, true));
    expect(shape.issues).toEqual([{ path: 'tenant', message: expect.stringContaining('unknown field') }]);
    checks.mockClear();
    const other = await refusedText(403, 'VIGIL_ERR_FORBIDDEN', text({ events: [...batch().events, event({ tenant: 'globex' })] }, true));
    expect(other.message).toContain('events[20].tenant');
  });

  it('with partial=true report each item of a large batch', async () => {
    const res = await post(text({ events: [event(), { action: 'x' }, event({ tenant: 'globex' }), ...batch(5).events] }, true), {}, '?partial=true');
    expect(res.statusCode).toBe(201);
    expect(checks).toHaveBeenCalledTimes(1);
    expect(res.json<{ events: { status: number }[] }>().events.map((i) => i.status)).toEqual([201, 400, 403, 201, 201, 201, 201, 201]);
    expect((await h.stored('acme')).length).toBe(before + 6);
  });

  it('check the bodies the thread cannot take at once on the event loop, and store every one', async () => {
    const answers = await Promise.all(Array.from({ length: 16 }, () => post(text(batch(), true))));
    expect(answers.map((res) => res.statusCode)).toEqual(answers.map(() => 201));
    // Every body was offered to the thread: some it took, the rest were checked here.
    expect(checks.mock.calls.length).toBeGreaterThan(0);
    expect(checks.mock.calls.length).toBeLessThan(16);
    const seqs = answers.flatMap((res) => res.json<{ events: { seq: number }[] }>().events.map((e) => e.seq));
    expect(new Set(seqs).size).toBe(16 * 20);
    expect((await h.stored('acme')).length).toBe(before + 16 * 20);
  });
});

describe('large bodies compressed on the ingest thread, once the store has its dictionary', () => {
  it("store the thread's compressed bodies, which read back as the canonical JSON the tree's leaves hash", async () => {
    const h2 = await startHarness({ bodyDictionaryAfter: 30 });
    try {
      const key = await h2.key('writer', 'acme');
      const checks = vi.spyOn(CheckThread.prototype, 'check');
      const compressedHere = vi.spyOn(BodyCompressor.prototype, 'stored');
      // Text until 30 events have been seen, then the dictionary: compressed here, on the event loop.
      expect((await h2.send(key, { events: batch(40).events })).statusCode).toBe(201);
      expect((await h2.send(key, batch(5))).statusCode).toBe(201);
      expect(compressedHere).toHaveBeenCalledTimes(5);
      compressedHere.mockClear();
      const large = await h2.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: text(batch(), true) });
      expect(large.statusCode, large.body).toBe(201);
      expect(checks.mock.calls.at(-1)?.[2]).toMatchObject({ id: 1 });
      expect(compressedHere).not.toHaveBeenCalled();
      const head = await h2.store.treeHead('acme');
      const rows = await h2.store.readBySeq('acme', 0, head.size, head.size);
      expect(rows).toHaveLength(head.size);
      for (const row of rows) expect(canonicalJson(JSON.parse(row.body))).toBe(row.body);
      const range = new CompactRange();
      for (const row of rows) range.append(hashLeaf(row.body));
      expect(Buffer.from(range.root())).toEqual(Buffer.from(head.root));
    } finally {
      vi.restoreAllMocks();
      await h2.close();
    }
  });
});

describe('storage failure', () => {
  it('answers 503 (retry), never 500, and /readyz reports it', async () => {
    const h2 = await startHarness();
    const key = await h2.key('writer', 'acme');
    await h2.store.close();
    const res = await h2.send(key, event());
    expect(res.statusCode).toBe(503);
    expect(res.json<ErrorJson>().error.code).toBe('VIGIL_ERR_UNAVAILABLE');
    const ready = await h2.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect((await h2.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await h2.close();
  });
});
