/**
 * Browser tests' parts: a real Vigil listening on 127.0.0.1 (SQLite in a temp directory, the
 * first-start admin key captured as `vigil serve` prints it, the built dashboard), and Debian's
 * Chromium driven by playwright-core.
 *
 * Without /usr/bin/chromium the browser tests skip with a message, except in CI (`CI` set), where
 * they fail: CI must run them (.ci/run installs the package).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { bootstrapAdminKey } from '../../src/auth/bootstrap.js';
import { buildApp } from '../../src/http/app.js';
import { DASHBOARD_DIR } from '../../src/http/routes/dashboard.js';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export const CHROMIUM = '/usr/bin/chromium';
/** A browser test drives several page loads; on a busy 2-core machine that takes longer than vitest's default. */
export const BROWSER_TEST_TIMEOUT_MS = 120_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Whether the browser tests can run here; throws in CI when they cannot. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium) to run the browser tests`;
  if (process.env.CI) throw new Error(message);
  console.warn(`skipping browser tests: ${message}`);
  return false;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface Vigil {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The platform admin key the first start printed. */
  adminKey: string;
  /** POST /v1/events with the admin key; throws unless every event was stored. */
  ingest(events: object[]): Promise<void>;
  /** Creates a key over the API; returns its secret. */
  createKey(role: string, tenant: string, name: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts Vigil as `vigil serve` does (first start: an admin key is created and printed), on a free port. */
export async function startVigil(): Promise<Vigil> {
  if (!existsSync(path.join(DASHBOARD_DIR, 'index.html'))) {
    throw new Error(`the dashboard is not built (${DASHBOARD_DIR}): run "npm run build" first`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-browser-'));
  const store = new SqliteStore({ path: path.join(dir, 'vigil.db') });
  await store.open();
  const ingestor = new Ingestor(store);
  const { app, services } = await buildApp({ store, ingestor });
  let adminKey = '';
  await bootstrapAdminKey(store, services.keys, undefined, (token) => (adminKey = token));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const url = `http://127.0.0.1:${address.port}`;

  async function call(method: string, route: string, body: object): Promise<any> {
    const res = await fetch(url + route, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  return {
    url,
    adminKey,
    async ingest(events) {
      await call('POST', '/v1/events', { events });
    },
    async createKey(role, tenant, name) {
      return (await call('POST', '/v1/keys', { name, role, tenant })).secret;
    },
    async close() {
      await app.close();
      await ingestor.drain();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh browser context (its own cookies) with one page. */
export async function openPage(browser: Browser, options: { width?: number; height?: number; timezoneId?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    timezoneId: options.timezoneId ?? 'Europe/Berlin',
    locale: 'en-GB',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  return { context, page };
}

/** Signs in through the form; a platform key then names the tenant. */
export async function signIn(page: Page, baseUrl: string, key: string, tenant?: string): Promise<void> {
  await page.goto(baseUrl + '/');
  await page.getByLabel('API key or viewer token').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (tenant !== undefined) {
    await page.getByLabel('Tenant').fill(tenant);
    await page.getByRole('button', { name: 'Open tenant' }).click();
  }
  await settled(page);
}

/** Waits until the event list shows the current view's rows (not loading). */
export async function settled(page: Page): Promise<void> {
  await page.locator('section.events[aria-busy="false"]').waitFor();
}

/** The event rows on screen. */
export function rows(page: Page): Locator {
  return page.locator('section.events tbody.event');
}

/** One column's text of every row, e.g. `column(page, 'Actor')`. */
export async function column(page: Page, label: string): Promise<string[]> {
  await settled(page);
  return (await rows(page).locator(`td[data-label="${label}"]`).allInnerTexts()).map((t) => t.trim());
}

/** The computed CSS property of an element. */
export async function cssOf(locator: Locator, property: string): Promise<string> {
  return locator.evaluate((el, prop) => (globalThis as any).getComputedStyle(el).getPropertyValue(prop), property);
}

/** Where screenshots for the README go. */
export const SCREENSHOTS = path.resolve('docs/screenshots');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const ACTORS = {
  alice: { type: 'user', id: 'u_alice', name: 'Alice', email: 'alice@acme.example' },
  bob: { type: 'user', id: 'u_bob', name: 'Bob', email: 'bob@acme.example' },
  carol: { type: 'user', id: 'u_carol', email: 'carol@acme.example' },
  dave: { type: 'user', id: 'u_dave', name: 'Dave', email: 'dave@acme.example' },
  ciKey: { type: 'api_key', id: 'key_ci', name: 'ci-deploy' },
  agent: { type: 'agent', id: 'ag_1', name: 'claude-bot' },
  etl: { type: 'service_account', id: 'sa_etl', name: 'etl' },
} as const;

const dbPassword = { type: 'secret', id: 'sec_1', name: 'DB_PASSWORD', path: 'prod/db/password' };
const stripeKey = { type: 'secret', id: 'sec_2', name: 'STRIPE_KEY', path: 'prod/payments/stripe' };
const billing = { type: 'project', id: 'p_1', name: 'billing' };
const webhook = { type: 'connector', id: 'con_1', name: 'Deploy webhook' };

const UA = {
  chrome: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  cli: 'vigil-cli/0.1.0 node/20.20.2',
  go: 'Go-http-client/1.1',
  mcpPython: 'MCP Python SDK/1.2.0 python-httpx/0.27.0',
  mcpNode: '@modelcontextprotocol/sdk/1.0.4 node/20.20.2',
  node: 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)',
};

/** The times the investigations turn on, as epoch milliseconds. */
export interface SeedTimes {
  /** When a read policy was tightened: failed reads after it are the question. */
  policyChange: number;
  /** The middle of the incident's 10-minute window (on a whole minute). */
  incident: number;
}

export function seedTimes(now: number): SeedTimes {
  return { policyChange: Math.floor((now - 8 * DAY) / MINUTE) * MINUTE, incident: Math.floor((now - 6 * DAY) / MINUTE) * MINUTE };
}

/**
 * One tenant's log that answers every investigation of the seed documents, with events that must
 * not match beside the ones that must: `context.tag` names each, for the tests to look for.
 */
export function seedEvents(tenant: string, now: number): object[] {
  const at = (ms: number) => new Date(ms).toISOString();
  const ago = (ms: number) => at(now - ms);
  const { policyChange, incident } = seedTimes(now);
  const events: (Record<string, unknown> & { tag: string })[] = [
    // Who read prod/db/password in the last 7 days? (alice and bob; carol's read is older)
    { tag: 'read-alice', action: 'SECRET_READ', actor: ACTORS.alice, resource: dbPassword, environment: 'production', service: 'vault', source: 'dashboard', client: { ip: '203.0.113.9', user_agent: UA.chrome }, occurred_at: ago(3 * DAY) },
    { tag: 'read-bob', action: 'secret.read', actor: ACTORS.bob, resource: dbPassword, environment: 'production', service: 'vault', source: 'cli', client: { ip: '203.0.113.20', user_agent: UA.cli }, occurred_at: ago(5 * DAY) },
    { tag: 'read-carol-old', action: 'SECRET_READ', actor: ACTORS.carol, resource: dbPassword, environment: 'production', occurred_at: ago(10 * DAY) },
    { tag: 'read-alice-other', action: 'SECRET_READ', actor: ACTORS.alice, resource: stripeKey, environment: 'production', occurred_at: ago(2 * DAY) },
    { tag: 'set-staging', action: 'SECRET_SET', actor: ACTORS.bob, resource: dbPassword, environment: 'staging', changes: [{ field: 'value', old: 'correct-horse-battery-staple-1', new: 'correct-horse-battery-staple-2' }], occurred_at: ago(1 * DAY) },
    // Offboarding: what Dave did in the last 30 days (not the read 40 days ago).
    { tag: 'dave-update', action: 'PROJECT_UPDATE', actor: ACTORS.dave, resource: billing, changes: [{ field: 'name', old: 'billing', new: 'billing-v2' }, { field: 'plan', old: 'pro', new: 'business' }], client: { ip: '203.0.113.44', user_agent: UA.chrome }, occurred_at: ago(2 * DAY + 3 * HOUR) },
    { tag: 'dave-read', action: 'SECRET_READ', actor: ACTORS.dave, resource: stripeKey, environment: 'production', occurred_at: ago(20 * DAY) },
    { tag: 'dave-old', action: 'SECRET_READ', actor: ACTORS.dave, resource: stripeKey, environment: 'production', occurred_at: ago(40 * DAY) },
    // SECRET_SET in production.
    { tag: 'set-prod-alice', action: 'SECRET_SET', actor: ACTORS.alice, resource: dbPassword, environment: 'production', service: 'vault', occurred_at: ago(4 * DAY) },
    { tag: 'set-prod-ci', action: 'SECRET_SET', actor: ACTORS.ciKey, resource: stripeKey, environment: 'production', service: 'stripe', client: { ip: '10.0.0.5', user_agent: UA.go }, occurred_at: ago(6 * DAY + 2 * HOUR) },
    // Failed reads after the policy change (the etl read and bob's read; not before, not writes, not successes).
    { tag: 'fail-after-etl', action: 'read', actor: ACTORS.etl, resource: dbPassword, outcome: { success: false, status: 403, reason: 'policy:prod-readers' }, occurred_at: at(policyChange + 5 * MINUTE) },
    { tag: 'fail-after-bob', action: 'SECRET_READ', actor: ACTORS.bob, resource: stripeKey, outcome: { success: false, status: 403, error_code: 'permission_denied' }, occurred_at: at(policyChange + DAY) },
    { tag: 'ok-after', action: 'SECRET_READ', actor: ACTORS.bob, resource: stripeKey, outcome: { success: true, status: 200 }, occurred_at: at(policyChange + DAY + HOUR) },
    { tag: 'fail-before', action: 'SECRET_READ', actor: ACTORS.bob, resource: stripeKey, outcome: { success: false, status: 403 }, occurred_at: at(policyChange - 1000) },
    { tag: 'fail-write-after', action: 'SECRET_SET', actor: ACTORS.bob, resource: stripeKey, outcome: { success: false, status: 403 }, occurred_at: at(policyChange + DAY + 2 * HOUR) },
    // The incident: everything in the 10 minutes around it, from start (inclusive) to end (exclusive).
    { tag: 'inc-before', action: 'user.login', log: 'user', actor: ACTORS.carol, client: { ip: '203.0.113.30', user_agent: UA.chrome }, occurred_at: at(incident - 5 * MINUTE - 1) },
    { tag: 'inc-start', action: 'user.login', log: 'user', actor: ACTORS.carol, client: { ip: '203.0.113.30', user_agent: UA.chrome }, occurred_at: at(incident - 5 * MINUTE) },
    { tag: 'inc-read', action: 'SECRET_READ', actor: ACTORS.carol, resource: dbPassword, environment: 'production', occurred_at: at(incident) },
    { tag: 'inc-api', action: 'api.request', log: 'request', actor: ACTORS.ciKey, request: { method: 'GET', path: '/v1/secrets', id: 'req_9', duration_ms: 8.2 }, outcome: { success: true, status: 200 }, occurred_at: at(incident + 5 * MINUTE - 1) },
    { tag: 'inc-end', action: 'user.logout', log: 'user', actor: ACTORS.carol, occurred_at: at(incident + 5 * MINUTE) },
    // api-key:ci-deploy: known addresses are 10.0.0.0/8 and 192.0.2.7; one read came from elsewhere.
    { tag: 'ci-known-1', action: 'SECRET_READ', actor: ACTORS.ciKey, resource: stripeKey, environment: 'production', client: { ip: '10.1.2.3', user_agent: UA.go }, occurred_at: ago(1 * DAY) },
    { tag: 'ci-known-2', action: 'SECRET_READ', actor: ACTORS.ciKey, resource: dbPassword, environment: 'production', client: { ip: '10.9.9.9', user_agent: UA.go }, occurred_at: ago(1 * DAY + HOUR) },
    { tag: 'ci-unfamiliar', action: 'SECRET_READ', actor: ACTORS.ciKey, resource: dbPassword, environment: 'production', client: { ip: '198.51.100.77', user_agent: UA.node }, occurred_at: ago(2 * DAY + HOUR) },
    { tag: 'ci-known-3', action: 'SECRET_LIST', actor: ACTORS.ciKey, environment: 'production', client: { ip: '192.0.2.7', user_agent: UA.go }, occurred_at: ago(3 * DAY) },
    // The agent's policy denials, with the rule that blocked each; and what it was allowed.
    { tag: 'deny-time', action: 'policy.denied', actor: ACTORS.agent, resource: stripeKey, service: 'stripe', source: 'agent', outcome: { success: false, status: 403, reason: 'time_window' }, client: { ip: '198.51.100.4', user_agent: UA.mcpPython }, occurred_at: ago(5 * HOUR) },
    { tag: 'deny-rate', action: 'policy.denied', actor: ACTORS.agent, resource: { type: 'credential', id: 'cred_gh', name: 'GITHUB_TOKEN' }, service: 'github', source: 'mcp_proxy', outcome: { success: false, status: 429, reason: 'rate_limit' }, client: { ip: '198.51.100.4', user_agent: UA.mcpPython }, occurred_at: ago(6 * HOUR) },
    { tag: 'agent-access', action: 'agent.access', actor: ACTORS.agent, resource: { type: 'credential', id: 'cred_gh', name: 'GITHUB_TOKEN' }, service: 'github', source: 'agent', client: { ip: '198.51.100.4', user_agent: UA.mcpNode }, occurred_at: ago(7 * HOUR) },
    { tag: 'mcp-call', action: 'mcp.tools.call', log: 'mcp', actor: ACTORS.agent, source: 'mcp_proxy', context: { tool: 'get_secret', duration_ms: 41 }, client: { ip: '198.51.100.4', user_agent: UA.mcpPython }, occurred_at: ago(7 * HOUR + MINUTE) },
    { tag: 'mcp-error', action: 'mcp.error', log: 'mcp', actor: ACTORS.agent, outcome: { success: false, error_code: 'invalid_params' }, client: { ip: '198.51.100.4', user_agent: UA.mcpPython }, occurred_at: ago(8 * HOUR) },
    // Changes with old and new values (Krosyn's connectors), a creation and a deletion.
    { tag: 'connector-update', action: 'connector.updated', actor: ACTORS.alice, resource: webhook, changes: [{ field: 'url', old: 'https://deploy.acme.example/hook', new: 'https://deploy2.acme.example/hook' }, { field: 'timeout_ms', old: 5000, new: 10000 }], client: { ip: '203.0.113.9', user_agent: UA.chrome }, occurred_at: ago(12 * HOUR) },
    { tag: 'connector-create', action: 'connector.created', actor: ACTORS.alice, resource: { type: 'connector', id: 'con_2', name: 'Slack alerts' }, changes: [{ field: 'name', new: 'Slack alerts' }, { field: 'url', new: 'https://hooks.slack.example/T1' }], occurred_at: ago(13 * HOUR) },
    { tag: 'connector-delete', action: 'connector.deleted', actor: ACTORS.bob, resource: { type: 'connector', id: 'con_0', name: 'Legacy sync' }, changes: [{ field: 'name', old: 'Legacy sync' }, { field: 'schedule', old: '0 * * * *' }], occurred_at: ago(14 * HOUR) },
    // Request and user logs.
    { tag: 'req-get', action: 'api.request', log: 'request', actor: ACTORS.ciKey, request: { method: 'GET', path: '/v1/secrets/prod/db/password', id: 'req_1', duration_ms: 12.5 }, outcome: { success: true, status: 200 }, client: { ip: '10.1.2.3', user_agent: UA.go }, occurred_at: ago(1 * HOUR) },
    { tag: 'req-post', action: 'api.request', log: 'request', actor: ACTORS.bob, request: { method: 'POST', path: '/v1/secrets', id: 'req_2', duration_ms: 30 }, outcome: { success: false, status: 403 }, client: { ip: '203.0.113.20', user_agent: UA.cli }, occurred_at: ago(2 * HOUR) },
    { tag: 'login-alice', action: 'user.login', log: 'user', actor: ACTORS.alice, session_id: 's_77', client: { ip: '203.0.113.9', user_agent: UA.chrome }, occurred_at: ago(30 * MINUTE) },
    { tag: 'login-bob-failed', action: 'user.login', log: 'user', actor: ACTORS.bob, outcome: { success: false, status: 401, reason: 'bad_password' }, client: { ip: '203.0.113.20', user_agent: UA.chrome }, occurred_at: ago(40 * MINUTE) },
  ];
  return events.map(({ tag, context, ...event }) => ({ tenant, ...event, context: { ...(context as object), tag } }));
}

/** `count` simple events, one a minute back from `now`, for scrolling through pages. */
export function bulkEvents(tenant: string, now: number, count: number): object[] {
  return Array.from({ length: count }, (_, i) => ({
    tenant,
    action: 'SECRET_READ',
    actor: { type: 'user', id: `u_${i}`, email: `user${i}@bulk.example` },
    resource: { type: 'secret', id: `sec_${i}`, name: `SECRET_${i}` },
    occurred_at: new Date(now - (i + 1) * MINUTE).toISOString(),
  }));
}

/** The `datetime-local` value of an instant in a time zone, to the second. */
export function localInput(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
  return parts.replace(' ', 'T');
}
