/**
 * Every investigation the seed documents describe, answered from the dashboard alone, in real
 * headless Chromium against a real Vigil: the reader signs in, sets filters in the panel, applies
 * them and reads the answer off the table and the expanded details. The log holds events that
 * must not match beside the ones that must (test/support/browser.ts, `seedEvents`).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROWSER_TEST_TIMEOUT_MS,
  chromiumAvailable,
  column,
  cssOf,
  launchChromium,
  localInput,
  openPage,
  rows,
  seedEvents,
  seedTimes,
  settled,
  signIn,
  startVigil,
  type SeedTimes,
  type Vigil,
} from './support/browser.js';

const ZONE = 'Europe/Berlin';
const MINUTE = 60_000;

describe.runIf(chromiumAvailable())('the seed investigations, answered in the dashboard', () => {
  let vigil: Vigil;
  let browser: Browser;
  let times: SeedTimes;
  let page: Page;

  beforeAll(async () => {
    vigil = await startVigil();
    const now = Date.now();
    times = seedTimes(now);
    await vigil.ingest(seedEvents('acme', now));
    browser = await launchChromium();
    // A newcomer with the key the first start printed: a platform key, so they name the tenant.
    ({ page } = await openPage(browser, { timezoneId: ZONE }));
    await signIn(page, vigil.url, vigil.adminKey, 'acme');
  });
  afterAll(async () => {
    await browser?.close();
    await vigil?.close();
  });

  /** Starts each investigation from the tenant's unfiltered log. */
  async function fresh(): Promise<void> {
    await page.getByRole('button', { name: 'Reset' }).click();
    await settled(page);
  }

  async function text(label: string, value: string): Promise<void> {
    await page.getByLabel(label, { exact: true }).fill(value);
  }

  async function chip(field: string, value: string): Promise<void> {
    const input = page.getByLabel(`Add ${field}`, { exact: true });
    await input.fill(value);
    await input.press('Enter');
  }

  async function tick(group: string, option: string): Promise<void> {
    const details = page.locator('details.multi').filter({ has: page.locator('summary', { hasText: new RegExp(`^${group}`) }) });
    if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
    await details.getByRole('checkbox', { name: option, exact: true }).check();
  }

  async function customRange(from: number, to: number): Promise<void> {
    await page.getByRole('radio', { name: 'Custom range' }).check();
    await page.getByLabel('From', { exact: true }).fill(localInput(from, ZONE));
    await page.getByLabel('To', { exact: true }).fill(localInput(to, ZONE));
  }

  async function apply(): Promise<void> {
    await page.getByRole('button', { name: 'Apply' }).click();
    await settled(page);
  }

  const actions = () => rows(page).locator('code.action').allInnerTexts();
  const param = (name: string) => new URL(page.url()).searchParams.get(name);

  it('who read prod/db/password in the last 7 days', async () => {
    await fresh();
    await text('Resource', 'prod/db/password');
    await tick('Operation', 'read');
    await page.getByRole('radio', { name: 'Last 7 days' }).check();
    await apply();
    expect(param('range')).toBe('7d');
    // carol read it 6 days ago (during the incident) and 10 days ago: only the first counts.
    expect(await column(page, 'Actor')).toEqual(['api-key:ci-deploy', 'api-key:ci-deploy', 'alice@acme.example', 'bob@acme.example', 'carol@acme.example']);
    expect(new Set((await column(page, 'Resource')).map((r) => r.split('\n')[0]))).toEqual(new Set(['DB_PASSWORD']));
  });

  it('offboarding: everything dave@acme.example did in the last 30 days, so we know what to rotate', async () => {
    await fresh();
    await text('Actor', 'dave@acme.example');
    await page.getByRole('radio', { name: 'Last 30 days' }).check();
    await apply();
    expect(await actions()).toEqual(['PROJECT_UPDATE', 'SECRET_READ']);
    expect((await column(page, 'Resource')).map((r) => r.split('\n')[0])).toEqual(['billing', 'STRIPE_KEY']);
  });

  it('unexpected production change: SECRET_SET on secrets in production, and who made it', async () => {
    await fresh();
    await chip('resource type', 'secret');
    await chip('action', 'SECRET_SET');
    await chip('environment', 'production');
    await apply();
    expect(param('environment')).toBe('production');
    expect(await actions()).toEqual(['SECRET_SET', 'SECRET_SET']);
    expect(await column(page, 'Actor')).toEqual(['alice@acme.example', 'api-key:ci-deploy']);
  });

  it('did the policy change break anyone: failed reads after it, with the reason', async () => {
    await fresh();
    await customRange(times.policyChange, Date.now() + MINUTE);
    await tick('Operation', 'read');
    await page.getByRole('radio', { name: 'Failure' }).check();
    await apply();
    expect(Date.parse(param('from')!)).toBe(times.policyChange);
    expect(param('success')).toBe('false');
    expect(await column(page, 'Actor')).toEqual(['bob@acme.example', 'etl']);
    const outcomes = await column(page, 'Outcome');
    expect(outcomes[1]).toMatch(/Denied 403[\s\S]*policy:prod-readers/);
    expect(outcomes[0]).toMatch(/403[\s\S]*permission_denied/);
  });

  it('what happened during the incident: the 10-minute window around it', async () => {
    await fresh();
    await customRange(times.incident - 5 * MINUTE, times.incident + 5 * MINUTE);
    await apply();
    // Start inclusive, end exclusive, across the audit, user and request logs, newest first.
    expect(await actions()).toEqual(['api.request', 'SECRET_READ', 'user.login']);
    expect(await column(page, 'Actor')).toEqual(['api-key:ci-deploy', 'carol@acme.example', 'carol@acme.example']);
  });

  it('suspected leaked key: what api-key:ci-deploy did from addresses we do not know', async () => {
    await fresh();
    await text('Actor', 'api-key:ci-deploy');
    await text('Exclude IP addresses', '10.0.0.0/8, 192.0.2.7');
    await page.getByRole('radio', { name: 'Last 7 days' }).check();
    await apply();
    expect(param('not_ip')).toBe('10.0.0.0/8,192.0.2.7');
    expect(await column(page, 'Client')).toEqual([expect.stringContaining('198.51.100.77')]);
    expect(await actions()).toEqual(['SECRET_READ']);
    expect((await column(page, 'Resource'))[0]).toContain('DB_PASSWORD');
  });

  it("an agent's policy denials, each with the rule that blocked it", async () => {
    await fresh();
    await text('Actor', 'agent:claude-bot');
    await chip('action', 'policy.denied');
    await apply();
    const outcomes = await column(page, 'Outcome');
    expect(outcomes).toHaveLength(2);
    expect(outcomes[0]).toMatch(/Denied[\s\S]*time_window/);
    expect(outcomes[1]).toMatch(/Denied[\s\S]*rate_limit/);
    expect(await column(page, 'Service')).toEqual(['stripe', 'github']);
    for (const client of await column(page, 'Client')) expect(client).toContain('MCP / Python');
    await rows(page).first().getByRole('button').click();
    const details = page.locator('.event-details').first();
    expect(await details.innerText()).toMatch(/Source\s+agent/);
  });

  it('who changed what: updates with their old and new values', async () => {
    await fresh();
    await tick('Operation', 'update');
    await text('Actor', 'dave@acme.example');
    await apply();
    expect(await actions()).toEqual(['PROJECT_UPDATE']);
    await rows(page).getByRole('button', { name: /PROJECT_UPDATE/ }).click();
    const diff = page.getByRole('table', { name: 'Changes' });
    const name = diff.getByRole('row', { name: /name/ });
    expect(await name.locator('td.diff-old').innerText()).toContain('billing');
    expect(await name.locator('td.diff-new').innerText()).toContain('billing-v2');
    expect(await diff.getByRole('row', { name: /plan/ }).innerText()).toMatch(/pro[\s\S]*business/);
    expect(await cssOf(name.locator('td.diff-old'), 'background-color')).not.toBe(await cssOf(name.locator('td.diff-new'), 'background-color'));
  });

  it('request and user logs: by method, status and IP address', async () => {
    await fresh();
    await page.getByRole('navigation', { name: 'Logs' }).getByRole('link', { name: 'Request' }).click();
    await settled(page);
    await tick('Method', 'POST');
    await text('Status', '4xx');
    await apply();
    expect(param('log')).toBe('request');
    expect(await column(page, 'Actor')).toEqual(['bob@acme.example']);

    await page.getByRole('navigation', { name: 'Logs' }).getByRole('link', { name: 'User' }).click();
    await settled(page);
    await page.getByRole('button', { name: 'Reset' }).click();
    await settled(page);
    await text('IP address', '203.0.113.20');
    await apply();
    expect(await actions()).toEqual(['user.login']);
    expect((await column(page, 'Outcome'))[0]).toMatch(/bad_password/);
  });
}, BROWSER_TEST_TIMEOUT_MS);
