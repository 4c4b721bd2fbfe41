/**
 * The ingest thread (src/ingest/check-thread.ts) answers what the event loop's own checks give,
 * and a thread that stops or idles loses nothing. (Over HTTP: test/http-ingest.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../src/auth/principal.js';
import { redactionKeys } from '../src/config/server-secrets.js';
import { VigilError } from '../src/domain/errors.js';
import { nowMicros } from '../src/domain/time.js';
import { checkEvents } from '../src/ingest/check-events.js';
import { CheckThread, NotJsonError } from '../src/ingest/check-thread.js';
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
    expect(there).toEqual(JSON.parse(JSON.stringify(here)));
    // Each tenant's redaction markers are keyed by its own key: the same secret differs across tenants.
    expect(JSON.stringify(there)).not.toContain(awsKey);
    const markers = (tenant: string) => new Set(there.flatMap((item) => ('event' in item && item.event.tenant === tenant ? [item.event.session_id] : [])));
    expect(markers('acme').size).toBe(1);
    expect(markers('globex').size).toBe(1);
    expect([...markers('acme')][0]).toMatch(/^\[REDACTED:aws_access_key:[0-9a-f]+\]$/);
    expect(markers('acme')).not.toEqual(markers('globex'));
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
