/** Request logs never carry API keys or request bodies (which may hold secrets). */
import { describe, expect, it } from 'vitest';
import { startLoggingApp } from './support/logging-app.js';

describe('request logging', () => {
  it('logs requests without their Authorization header or body', async () => {
    const { app, admin, log: logged, close } = await startLoggingApp();
    const marker = 'body-marker-7f3a9c';
    const headers = { authorization: `Bearer ${admin}` };
    const sent = await app.inject({ method: 'POST', url: '/v1/events', headers, payload: { tenant: 'acme', action: 'secret.read', actor: { type: 'user', id: marker } } });
    expect(sent.statusCode).toBe(201);
    await app.inject({ method: 'POST', url: '/v1/events', headers, payload: { tenant: 'acme', action: marker } });
    await app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${admin.slice(0, -3)}xyz` }, payload: { marker } });
    await close();

    const log = logged();
    const lines = log.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const answered = lines.filter((line) => line.msg === 'request completed');
    // One line per request: the caller's key id (never the key), the status, the time taken.
    expect(answered.map((line) => [line.method, line.url, line.status, line.key])).toEqual([
      ['POST', '/v1/events', 201, admin.slice(3, 15)],
      ['POST', '/v1/events', 400, admin.slice(3, 15)],
      ['POST', '/v1/events', 401, undefined],
    ]);
    expect(answered.every((line) => typeof line.ms === 'number' && line.ip === '127.0.0.1')).toBe(true);
    expect(log).not.toContain(admin.slice(16));
    expect(log).not.toContain(marker);
  });
});
