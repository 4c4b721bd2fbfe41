/**
 * The ingest thread (src/ingest/check-thread.ts) answers what the event loop's own checks give,
 * and a thread that stops or idles loses nothing. (Over HTTP: test/http-ingest.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../src/auth/principal.js';
import { redactionKeys } from '../src/config/server-secrets.js';
import { VigilError } from '../src/domain/errors.js';
import { presealEvent, sealEvent } from '../src/domain/seal.js';
import { nowMicros } from '../src/domain/time.js';
import { checkEvents } from '../src/ingest/check-events.js';
import { CheckThread, NotJsonError } from '../src/ingest/check-thread.js';
import { BodyCompressor, compressionDictionary } from '../src/store/sqlite/body-compressor.js';
import { BodyDecoder } from '../src/store/sqlite/body-decoder.js';
import { searchedColumns } from '../src/store/sqlite/body-members.js';
import { ThreadHosts } from '../src/threads/thread-host.js';
import { awsKey, batch, event } from './support/ingest-bodies.js';

describe('the ingest thread', () => {
  const root = Buffer.alloc(32, 7);
  const principal: Principal = { keyId: 'k1', name: 'platform', role: 'admin', tenant: null };
  const body = { events: batch(50).events.map((e, i) => ({ ...e, tenant: i % 3 === 0 ? 'acme' : 'globex', session_id: awsKey })) };
  let hosts: ThreadHosts;
  let thread: CheckThread;

  beforeEach(() => {
    hosts = new ThreadHosts();
    thread = new CheckThread({ redactionRoot: root }, 50, hosts);
  });
  afterEach(async () => thread.close());

  it('answers what checkEvents gives on the event loop, per tenant keys included', async () => {
    const nowUs = nowMicros();
    const here = checkEvents(body, { principal, nowUs, idempotencyKey: 'k-1', redactionKey: redactionKeys(root) });
    const there = await thread.check(JSON.stringify(body), { principal, nowUs, idempotencyKey: 'k-1' });
    // Presealed there, and with no dictionary given, not compressed.
    expect(there.map((item) => ('event' in item ? item.presealed : undefined))).toEqual(here.map((item) => ('event' in item ? presealEvent(item.event) : undefined)));
    expect(there.some((item) => 'stored' in item)).toBe(false);
    const withoutPresealed = there.map((item) => ('presealed' in item ? (({ presealed: _, ...rest }) => rest)(item) : item));
    expect(withoutPresealed).toEqual(JSON.parse(JSON.stringify(here)));
    // Each tenant's redaction markers are keyed by its own key: the same secret differs across tenants.
    expect(JSON.stringify(there)).not.toContain(awsKey);
    const markers = (tenant: string) => new Set(there.flatMap((item) => ('event' in item && item.event.tenant === tenant ? [item.event.session_id] : [])));
    expect(markers('acme').size).toBe(1);
    expect(markers('globex').size).toBe(1);
    expect([...markers('acme')][0]).toMatch(/^\[REDACTED:aws_access_key:[0-9a-f]+\]$/);
    expect(markers('acme')).not.toEqual(markers('globex'));
  });

  it("compresses the accepted events' bodies as the store would, against the store's dictionary, a newer one as soon as the store has it", async () => {
    const dictionary = { id: 3, bytes: Buffer.from(JSON.stringify(batch(20).events)) };
    const mixed = { events: [...body.events.slice(0, 5), { ...body.events[5], crud: 'sideways' }, ...body.events.slice(6, 10)] };
    const items = await thread.check(JSON.stringify(mixed), { principal, nowUs: nowMicros() }, dictionary);
    const compressor = new BodyCompressor();
    const prepared = compressionDictionary(3, dictionary.bytes);
    const decoder = new BodyDecoder();
    decoder.add(3, dictionary.bytes, 2);
    expect(items.filter((item) => 'error' in item).map((item) => item.index)).toEqual([5]);
    for (const item of items) {
      if ('error' in item) continue;
      const columns = { ...searchedColumns(item.event), seq: item.index, receivedLagUs: 1 };
      expect(item.stored?.dictionaryId).toBe(3);
      expect(Buffer.from(item.stored!.body)).toEqual(compressor.stored(item.presealed!, columns, prepared));
      expect(decoder.decode(item.stored!.body, columns)).toBe(sealEvent(item.event, item.index, columns.ts + 1));
    }
    // The store's next dictionary goes to the thread with the first request compressed against it.
    const next = await thread.check(JSON.stringify(mixed), { principal, nowUs: nowMicros() }, { ...dictionary, id: 4 });
    expect(next.filter((item) => 'stored' in item && item.stored?.dictionaryId === 4)).toHaveLength(9);
  });

  it('refuses a request as a whole with the error the event loop would throw, and a body that is not JSON', async () => {
    const refusal = await thread.check(JSON.stringify([event()]), { principal, nowUs: nowMicros() }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(VigilError);
    expect(refusal).toMatchObject({ code: 'VIGIL_ERR_VALIDATION', issues: [{ path: 'body', message: expect.any(String) }] });
    await expect(thread.check('{"events": [', { principal, nowUs: nowMicros() })).rejects.toBeInstanceOf(NotJsonError);
  });

  it('fails the bodies in flight with a 503 when its thread stops, and starts a new one for the next', async () => {
    const neighbour = hosts.start(0, import.meta.url, 'support/hosted-echo', 'n', () => undefined);
    const inFlight = thread.check(JSON.stringify({ events: batch(500).events }), { principal, nowUs: nowMicros() });
    await neighbour.thread.terminate();
    await expect(inFlight).rejects.toMatchObject({ code: 'VIGIL_ERR_UNAVAILABLE', status: 503 });
    const next = await thread.check(JSON.stringify(body), { principal, nowUs: nowMicros() });
    expect(next).toHaveLength(50);
  });

  it('stops its thread after a while without bodies', async () => {
    await thread.check(JSON.stringify(body), { principal, nowUs: nowMicros() });
    expect(hosts.running).toBe(1);
    await vi.waitFor(() => expect(hosts.running).toBe(0), { timeout: 2_000 });
    expect(await thread.check(JSON.stringify(body), { principal, nowUs: nowMicros() })).toHaveLength(50);
  });
});
