/**
 * The dashboard in real headless Chromium against a real Vigil (SQLite in a temp directory,
 * events sent over HTTP): sign-in with the printed key, filters kept in the URL, the expanded
 * diff, "View activity", exports with filters, infinite scroll, keyboard use, and the README's
 * screenshots.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKey } from '../src/auth/api-key.js';
import {
  BROWSER_TEST_TIMEOUT_MS,
  bulkEvents,
  chromiumAvailable,
  column,
  cssOf,
  launchChromium,
  openPage,
  rows,
  SCREENSHOTS,
  seedEvents,
  settled,
  signIn,
  startVigil,
  type Vigil,
} from './support/browser.js';

/** The red, green and blue of a computed `rgb(…)` colour. */
function rgb(colour: string): [number, number, number] {
  const m = /rgba?\((\d+), (\d+), (\d+)/.exec(colour);
  if (!m) throw new Error(`not an rgb colour: ${colour}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The query string of the page's URL. */
function params(page: Page): URLSearchParams {
  return new URL(page.url()).searchParams;
}

/** Opens a multi-select's list (a disclosure) and ticks one of its options. */
async function tick(page: Page, group: string, option: string): Promise<void> {
  const details = page.locator('details.multi').filter({ has: page.locator('summary', { hasText: new RegExp(`^${group}`) }) });
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  await details.getByRole('checkbox', { name: option, exact: true }).check();
}

/** The action of every row, newest first. */
async function actions(page: Page): Promise<string[]> {
  await settled(page);
  return rows(page).locator('code.action').allInnerTexts();
}

async function apply(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Apply' }).click();
  await settled(page);
}

describe.runIf(chromiumAvailable())('the dashboard in Chromium', () => {
  let vigil: Vigil;
  let browser: Browser;
  /** A tenant auditor key for acme (read and export). */
  let auditor: string;

  beforeAll(async () => {
    vigil = await startVigil();
    const now = Date.now();
    await vigil.ingest(seedEvents('acme', now));
    await vigil.ingest(bulkEvents('bulk', now, 130));
    await vigil.ingest(seedEvents('demo', now));
    auditor = await vigil.createKey('auditor', 'acme', 'compliance');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await vigil?.close();
  });

  async function auditorPage(query = '', options: Parameters<typeof openPage>[1] = {}): Promise<Page> {
    const { page } = await openPage(browser, options);
    await signIn(page, vigil.url, auditor);
    if (query) {
      await page.goto(`${vigil.url}/?${query}`);
      await settled(page);
    }
    return page;
  }

  it('signs in with the key the first start printed, refuses a wrong key, and signs out', async () => {
    const { context, page } = await openPage(browser);
    await page.goto(vigil.url + '/');
    await page.getByLabel('API key or viewer token').fill(vigil.adminKey.slice(0, -3) + 'xyz');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toMatch(/not valid/);

    await page.getByLabel('API key or viewer token').fill(vigil.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // A platform key reads one tenant at a time.
    await page.getByRole('heading', { name: 'Choose a tenant' }).waitFor();
    await page.getByLabel('Tenant').fill('acme');
    await page.getByRole('button', { name: 'Open tenant' }).click();
    await settled(page);
    expect(params(page).get('tenant')).toBe('acme');
    expect(await rows(page).count()).toBeGreaterThan(20);

    // The key is nowhere the page's script can read; the session cookie is httpOnly and Strict.
    const readable = String(await page.evaluate('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])'));
    expect(readable).not.toContain(parseApiKey(vigil.adminKey)!.secret);
    expect(readable).not.toContain('vigil_session');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'vigil_session', httpOnly: true, sameSite: 'Strict' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key or viewer token').waitFor();
    expect(await context.cookies()).toEqual([]);
    await page.reload();
    await page.getByLabel('API key or viewer token').waitFor();
    await context.close();
  });

  it('returns to the sign-in form, saying why, when the session ends in another tab', async () => {
    const { context, page } = await openPage(browser);
    await signIn(page, vigil.url, auditor);
    const other = await context.newPage();
    await other.goto(vigil.url + '/');
    await settled(other);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.getByLabel('API key or viewer token').waitFor();

    await page.getByLabel('Actor', { exact: true }).fill('alice@acme.example');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Your session ended. Sign in again.').waitFor();
    expect(await rows(page).count()).toBe(0);
    // Signing in again lands on the view that was asked for.
    await page.getByLabel('API key or viewer token').fill(auditor);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await settled(page);
    expect(params(page).get('actor')).toBe('alice@acme.example');
    expect(new Set(await column(page, 'Actor'))).toEqual(new Set(['alice@acme.example']));
    await context.close();
  });

  it('filters with the panel; the view is a link that survives a reload and the back button', async () => {
    const page = await auditorPage();
    const all = await rows(page).count();
    await page.getByLabel('Actor', { exact: true }).fill('api-key:ci-deploy');
    await tick(page, 'Operation', 'read');
    await apply(page);
    expect(params(page).get('actor')).toBe('api-key:ci-deploy');
    expect(params(page).get('crud')).toBe('read');
    expect(await actions(page)).toEqual(['SECRET_READ', 'SECRET_READ', 'SECRET_READ', 'SECRET_LIST']);
    expect(new Set(await column(page, 'Actor'))).toEqual(new Set(['api-key:ci-deploy']));

    // The URL is the view: reload it, open it in a fresh context.
    const link = page.url();
    await page.reload();
    await settled(page);
    expect(await rows(page).count()).toBe(4);
    await expect.poll(() => page.getByLabel('Actor', { exact: true }).inputValue()).toBe('api-key:ci-deploy');

    await page.goBack();
    await settled(page);
    expect(await rows(page).count()).toBe(all);
    await page.goto(link);
    await settled(page);
    expect(await rows(page).count()).toBe(4);

    // Reset keeps nothing but the tenant and log tab.
    await page.getByRole('button', { name: 'Reset' }).click();
    await settled(page);
    expect([...params(page).keys()]).toEqual([]);
    expect(await rows(page).count()).toBe(all);
  });

  it('switches between the four logs with tabs that keep the filters', async () => {
    const page = await auditorPage('actor=carol@acme.example');
    await page.getByRole('navigation', { name: 'Logs' }).getByRole('link', { name: 'User' }).click();
    await settled(page);
    expect(params(page).get('log')).toBe('user');
    expect(params(page).get('actor')).toBe('carol@acme.example');
    expect(await actions(page)).toEqual(['user.logout', 'user.login', 'user.login']);
    await page.getByRole('navigation', { name: 'Logs' }).getByRole('link', { name: 'MCP' }).click();
    await settled(page);
    expect(await rows(page).count()).toBe(0);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'No events' }).count()).toBe(1);
  });

  it('expands an update into its field-by-field diff: old values red, new values green', async () => {
    const page = await auditorPage('action=connector.updated');
    expect(await rows(page).count()).toBe(1);
    const toggle = rows(page).getByRole('button', { name: /Details: connector.updated/ });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    // Keyboard: focus the row's button and press Enter, then Space to close, then click the row.
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const diff = page.getByRole('table', { name: 'Changes' });
    await diff.waitFor();
    const urlRow = diff.getByRole('row', { name: /url/ });
    const old = urlRow.locator('td.diff-old');
    const next = urlRow.locator('td.diff-new');
    expect(await old.innerText()).toContain('https://deploy.acme.example/hook');
    expect(await next.innerText()).toContain('https://deploy2.acme.example/hook');
    const [or, og, ob] = rgb(await cssOf(old, 'background-color'));
    expect(or).toBeGreaterThan(og);
    expect(or).toBeGreaterThan(ob);
    const [nr, ng, nb] = rgb(await cssOf(next, 'background-color'));
    expect(ng).toBeGreaterThan(nr);
    expect(ng).toBeGreaterThan(nb);
    expect(await diff.getByRole('row', { name: /timeout_ms/ }).innerText()).toMatch(/5000[\s\S]*10000/);
    await page.keyboard.press('Space');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await rows(page).locator('td[data-label="Resource"]').click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
  });

  it('shows the fields of a creation and a deletion, and masks redacted values', async () => {
    const page = await auditorPage('resource_type=connector&crud=create,delete');
    expect(await actions(page)).toEqual(['connector.created', 'connector.deleted']);
    for (const name of [/connector.created/, /connector.deleted/]) await rows(page).getByRole('button', { name }).click();
    const created = page.getByRole('table', { name: 'Fields at creation' });
    expect(await created.getByRole('row', { name: /url/ }).innerText()).toContain('https://hooks.slack.example/T1');
    const deleted = page.getByRole('table', { name: 'Fields at deletion' });
    expect(await deleted.getByRole('row', { name: /schedule/ }).innerText()).toContain('0 * * * *');

    await page.goto(`${vigil.url}/?action=SECRET_SET&environment=staging`);
    await settled(page);
    await rows(page).getByRole('button', { name: /SECRET_SET/ }).click();
    const diff = page.getByRole('table', { name: 'Changes' });
    const text = await diff.innerText();
    expect(text).toContain('[REDACTED:');
    expect(text).not.toContain('correct-horse');
  });

  it('opens the pre-filtered activity of an actor and of a resource from "View activity"', async () => {
    const page = await auditorPage('range=30d&action=PROJECT_UPDATE');
    await rows(page).getByRole('button', { name: /PROJECT_UPDATE/ }).click();
    await page.getByRole('link', { name: 'View activity of dave@acme.example' }).click();
    await settled(page);
    expect(params(page).get('actor')).toBe('dave@acme.example');
    expect(params(page).get('range')).toBe('30d');
    expect(params(page).has('action')).toBe(false);
    expect(await actions(page)).toEqual(['PROJECT_UPDATE', 'SECRET_READ']);

    await rows(page).getByRole('button', { name: /SECRET_READ/ }).click();
    await page.getByRole('link', { name: /View activity of secret STRIPE_KEY/ }).click();
    await settled(page);
    expect(params(page).get('resource_type')).toBe('secret');
    expect(params(page).get('resource_id')).toBe('sec_2');
    const actors = new Set(await column(page, 'Actor'));
    expect(actors).toEqual(new Set(['dave@acme.example', 'alice@acme.example', 'bob@acme.example', 'api-key:ci-deploy', 'agent:claude-bot']));
    // The panel shows the filters it has no field for, and can remove them.
    await page.getByRole('button', { name: 'Remove filter resource_id' }).waitFor();
  });

  it('exports CSV and JSONL of exactly what the filters match', async () => {
    const page = await auditorPage('actor=api-key:ci-deploy&crud=read');
    const csvLink = page.getByRole('link', { name: 'Export CSV' });
    expect(new URL((await csvLink.getAttribute('href'))!, vigil.url).searchParams.get('actor')).toBe('api-key:ci-deploy');

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/\.csv$/);
    const records = parse(readFileSync((await csvDownload.path())!), { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.actor)).toEqual(Array(4).fill('api-key:ci-deploy'));
    expect(records.map((r) => r.crud)).toEqual(Array(4).fill('read'));
    expect(new Set(records.map((r) => r.ip))).toEqual(new Set(['10.1.2.3', '10.9.9.9', '198.51.100.77', '192.0.2.7']));

    const [jsonlDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export JSONL' }).click()]);
    const lines = readFileSync((await jsonlDownload.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.context.tag).sort()).toEqual(['ci-known-1', 'ci-known-2', 'ci-known-3', 'ci-unfamiliar']);
  });

  it('loads the next pages as the list is scrolled (infinite scroll over cursors)', async () => {
    const key = await vigil.createKey('viewer', 'bulk', 'bulk viewer');
    const { page } = await openPage(browser);
    await signIn(page, vigil.url, key);
    // The producer's events (the tenant's log also records the key's creation, category vigil).
    await page.goto(`${vigil.url}/?category=secrets`);
    await settled(page);
    expect(await rows(page).count()).toBe(50);
    const status = page.locator('.list-status');
    expect(await status.innerText()).toMatch(/scroll for more/);
    for (let i = 0; i < 5 && (await rows(page).count()) < 130; i++) {
      await rows(page).last().scrollIntoViewIfNeeded();
      await page.mouse.wheel(0, 5000);
      await settled(page);
    }
    await expect.poll(() => rows(page).count()).toBe(130);
    await expect.poll(() => status.innerText()).toMatch(/130 events: the end of the log/);
    // Newest first, no row twice, none missing.
    const actors = await column(page, 'Actor');
    expect(actors).toEqual(Array.from({ length: 130 }, (_, i) => `user${i}@bulk.example`));
  });

  it('shows relative times with the local and UTC dates on hover, clients, badges and denial reasons', async () => {
    const page = await auditorPage('actor=agent:claude-bot&action=policy.denied', { timezoneId: 'America/New_York' });
    const time = rows(page).first().locator('time');
    expect(await time.innerText()).toBe('5 hours ago');
    const title = (await time.getAttribute('title'))!;
    const iso = (await time.getAttribute('datetime'))!;
    expect(title).toContain(new Date(iso).toLocaleString('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hour12: false }));
    expect(title).toMatch(/GMT-[45]|EST|EDT/);
    expect(title).toContain(`${iso.slice(0, 10)} ${iso.slice(11, 19)}`);
    expect(title).toContain('UTC');
    for (const client of await column(page, 'Client')) expect(client).toMatch(/^MCP \/ Python\s+198\.51\.100\.4$/);
    expect(await column(page, 'Service')).toEqual(['stripe', 'github']);
    const outcomes = await column(page, 'Outcome');
    expect(outcomes[0]).toMatch(/Denied 403[\s\S]*time_window/);
    expect(outcomes[1]).toMatch(/Denied 429[\s\S]*rate_limit/);
  });

  it('charts the filtered events from the summary API, each entry opening its filtered view', async () => {
    const page = await auditorPage('range=7d&actor=api-key:ci-deploy');
    const summary = page.locator('details.summary-panel');
    // Seven events of the key in 7 days, none failed, in hourly buckets.
    await summary.getByRole('img', { name: /^7 events \(0 failed\) in 16[89] intervals/ }).waitFor();
    expect(await summary.locator('summary').innerText()).toMatch(/7 events from/);
    const topActions = summary.getByRole('figure', { name: 'Top actions' });
    expect(await topActions.getByRole('listitem').allInnerTexts()).toEqual(['SECRET_READ\n3', 'api.request\n2', expect.stringMatching(/^SECRET_(SET|LIST)\n1$/), expect.stringMatching(/^SECRET_(SET|LIST)\n1$/)]);
    expect(await summary.getByRole('figure', { name: 'Top actors' }).getByRole('link').allInnerTexts()).toEqual(['api-key:ci-deploy']);
    await topActions.getByRole('link', { name: 'SECRET_LIST' }).click();
    await settled(page);
    expect(params(page).get('action')).toBe('SECRET_LIST');
    expect(params(page).get('actor')).toBe('api-key:ci-deploy');
    expect(await actions(page)).toEqual(['SECRET_LIST']);

    // Failures: the agent failed 3 of its 5 requests this week; the link shows exactly those.
    await page.goto(`${vigil.url}/?range=7d&actor=agent:claude-bot`);
    await settled(page);
    const failures = summary.getByRole('figure', { name: 'Failures' });
    await failures.getByText('failed of 5 (60.0%)').waitFor();
    expect(await failures.locator('.stat strong').innerText()).toBe('3');
    await failures.getByRole('link', { name: 'Show failures' }).click();
    await settled(page);
    expect(params(page).get('success')).toBe('false');
    expect(await actions(page)).toEqual(['policy.denied', 'policy.denied', 'mcp.error']);
  });

  it('points out an actor far above its usual daily activity, from the per-actor baselines', async () => {
    // eve reads one secret a day for a month, then a dozen in the last hours; gina is new but quiet.
    const now = Date.now();
    const read = (email: string, at: number) => ({ tenant: 'spike', action: 'SECRET_READ', actor: { type: 'user', id: email, email }, resource: { type: 'secret', id: 's1', name: 'API_TOKEN' }, occurred_at: new Date(at).toISOString() });
    await vigil.ingest([
      ...Array.from({ length: 29 }, (_, d) => read('eve@spike.example', now - (d + 2) * 86_400_000)),
      ...Array.from({ length: 12 }, (_, i) => read('eve@spike.example', now - (i + 1) * 600_000)),
      ...Array.from({ length: 3 }, (_, i) => read('gina@spike.example', now - (i + 1) * 900_000)),
    ]);
    const { page } = await openPage(browser);
    await signIn(page, vigil.url, await vigil.createKey('viewer', 'spike', 'spike viewer'));
    await page.goto(`${vigil.url}/?range=24h`);
    await settled(page);
    const unusual = page.locator('ul.flagged');
    await unusual.waitFor();
    expect(await unusual.getByRole('listitem').allInnerTexts()).toEqual([expect.stringMatching(/^eve@spike\.example: 12 today against (0\.9|1\.0) a day$/)]);
    await unusual.getByRole('link', { name: 'eve@spike.example' }).click();
    await settled(page);
    expect(params(page).get('actor')).toBe('eve@spike.example');
    expect(params(page).get('range')).toBe('24h');
    expect(await rows(page).count()).toBe(12);
  });

  it("verifies in the browser that an event is in the tenant's signed checkpoint, and flags one that was altered", async () => {
    const page = await auditorPage('action=connector.updated');
    await page.locator('.integrity').filter({ hasText: /Signed checkpoint: \d+ events/ }).waitFor();
    await rows(page).getByRole('button', { name: /connector.updated/ }).click();
    const verdict = page.locator('.event-details').getByText(/Verified in your browser: in the signed checkpoint of \d+ events \(.*acme\)/);
    await verdict.waitFor();
    expect(await page.locator('.event-details code.hash').first().innerText()).toMatch(/^[A-Za-z0-9+/]{43}=$/);

    // A list answer that differs from the log (a changed email) is caught: its leaf hash does not match.
    const { page: fooled } = await openPage(browser);
    await signIn(fooled, vigil.url, auditor);
    await fooled.route(
      (url) => url.pathname === '/v1/audit/logs',
      async (route) => {
        const response = await route.fetch();
        const body = (await response.text()).replaceAll('alice@acme.example', 'mallory@acme.example');
        await route.fulfill({ response, body });
      },
    );
    await fooled.goto(`${vigil.url}/?action=connector.updated`);
    await settled(fooled);
    expect(await column(fooled, 'Actor')).toEqual(['mallory@acme.example']);
    await rows(fooled).getByRole('button', { name: /connector.updated/ }).click();
    await fooled.locator('.event-details').getByText('Not verified: the event shown differs from the one in the log').waitFor();
  });

  it('names every control for assistive technology', async () => {
    const page = await auditorPage('action=PROJECT_UPDATE,connector.updated');
    for (const name of [/PROJECT_UPDATE/, /connector.updated/]) await rows(page).getByRole('button', { name }).click();
    await page.locator('details.multi summary').first().click();
    await page.getByRole('radio', { name: 'Custom range' }).check();
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[] };
    const controls = nodes.filter((n) => !n.ignored && ['button', 'link', 'textbox', 'searchbox', 'checkbox', 'radio', 'combobox', 'DisclosureTriangle'].includes(n.role?.value ?? ''));
    expect(controls.length).toBeGreaterThan(60);
    const unnamed = controls.filter((n) => !n.name?.value.trim()).map((n) => n.role?.value);
    expect(unnamed).toEqual([]);
  });

  it('is usable from the keyboard alone: Tab to a row, Enter to expand, follow View activity', async () => {
    const page = await auditorPage('action=connector.updated');
    const focused = async () => String(await page.evaluate('document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent'));
    let presses = 0;
    while (!(await focused()).startsWith('Details: connector.updated') && presses++ < 120) await page.keyboard.press('Tab');
    expect(presses).toBeLessThan(120);
    await page.keyboard.press('Enter');
    await page.getByRole('table', { name: 'Changes' }).waitFor();
    while (!(await focused()).startsWith('View activity of alice') && presses++ < 160) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await settled(page);
    expect(params(page).get('actor')).toBe('alice@acme.example');
  });

  it('fits a phone-width screen without sideways scrolling, rows and details included', async () => {
    const page = await auditorPage('range=30d', { width: 390, height: 844 });
    const width = () => page.evaluate('document.documentElement.scrollWidth');
    expect(await width()).toBeLessThanOrEqual(390);
    await rows(page).getByRole('button', { name: /connector.updated/ }).click();
    await page.getByRole('table', { name: 'Changes' }).waitFor();
    expect(await width()).toBeLessThanOrEqual(390);
    await page.getByText('Filters', { exact: true }).click();
    await page.getByRole('button', { name: 'Apply' }).waitFor();
    expect(await width()).toBeLessThanOrEqual(390);
    // Applying folds the panel away again, so the results are what the screen shows.
    await page.getByLabel('Actor', { exact: true }).fill('bob@acme.example');
    await page.getByRole('button', { name: 'Apply' }).click();
    await settled(page);
    expect(await page.getByRole('button', { name: 'Apply' }).isVisible()).toBe(false);
    expect(new Set(await column(page, 'Actor'))).toEqual(new Set(['bob@acme.example']));
  });

  it('saves screenshots of the main screens at 1280×800 and at phone width', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage });

    const { page: signInPage } = await openPage(browser);
    await signInPage.goto(vigil.url + '/');
    await shot(signInPage, 'sign-in.png');

    // A tenant of its own, read with the platform key: only the seed events, none from other tests.
    const demo = async (query: string, options: Parameters<typeof openPage>[1] = {}) => {
      const { page } = await openPage(browser, options);
      await signIn(page, vigil.url, vigil.adminKey, 'demo');
      await page.goto(`${vigil.url}/?tenant=demo&${query}`);
      await settled(page);
      return page;
    };
    const page = await demo('range=30d');
    await shot(page, 'events.png');
    await page.goto(`${vigil.url}/?tenant=demo&range=30d&action=connector.updated`);
    await settled(page);
    await rows(page).getByRole('button', { name: /connector.updated/ }).click();
    await page.locator('.event-details').getByText(/Verified in your browser/).waitFor();
    // The expanded row at the top, so the diff and the integrity check are both in view.
    await page.evaluate('window.scrollTo(0, document.querySelector("section.events tbody").getBoundingClientRect().top + window.scrollY - 8)');
    await shot(page, 'diff.png');
    await page.goto(`${vigil.url}/?tenant=demo&actor=agent:claude-bot&success=false`);
    await settled(page);
    await shot(page, 'agent-denials.png');

    const phone = await demo('range=7d', { width: 390, height: 844 });
    await shot(phone, 'phone-events.png');
    await phone.getByText('Filters', { exact: true }).click();
    await shot(phone, 'phone-filters.png');
  });
}, BROWSER_TEST_TIMEOUT_MS);
