/**
 * The seed investigations (docs/api.md §11) as benchmark queries on the largest tenant, each in
 * two forms: Vigil's HTTP request, and the same question for the baseline table (a filter the
 * baseline stores translate to SQL). Plus the dashboard's default view, whose 100 pages exist at
 * every size. Vigil's pages are timed over HTTP: the first page, and page 100 (or the deepest
 * page the answer has) reached by following `next_cursor`.
 */
import { DAY_US, READ_ACTIONS, type Subjects } from './dataset.js';
import { expectStatus, type HttpClient } from './http-client.js';
import { timeRuns, type Latency, type TimingOptions } from './stats.js';
import { formatMicros } from '../src/domain/time.js';

export const PAGE_SIZE = 100;
export const DEEP_PAGE = 100;

/** A question for the baseline table: each field present narrows it (AND). */
export interface BaselineFilter {
  fromUs?: number;
  toUs?: number;
  /** The actor column: email, `api-key:<name>`, `agent:<name>`. */
  actor?: string;
  /** The resource column: path (else id), exact. */
  resource?: string;
  resourcePrefix?: string;
  actions?: readonly string[];
  /** In the JSON payload: resource.type, environment, outcome.success. */
  resourceType?: string;
  environment?: string;
  success?: boolean;
  /** Client address in none of these blocks (and present). */
  notCidrs?: readonly string[];
}

export interface Investigation {
  id: string;
  title: string;
  vigil: { path: string; params: Record<string, string> };
  baseline: BaselineFilter;
}

const iso = (us: number): string => formatMicros(us);

/** The investigations for a data set ending at `endUs`. */
export function investigations(s: Subjects, endUs: number): Investigation[] {
  const window = (days: number) => ({ from: iso(endUs - days * DAY_US), to: iso(endUs) });
  const range = (days: number) => ({ fromUs: endUs - days * DAY_US, toUs: endUs });
  const incident = { from: iso(s.incidentUs), to: iso(s.incidentUs + 10 * 60e6) };
  const secretPath = s.secretPath.split('/').map(encodeURIComponent).join('/');
  return [
    {
      id: 'dashboard_30d',
      title: 'dashboard: all logs, newest first, 30 days',
      vigil: { path: '/v1/audit/logs', params: window(30) },
      baseline: range(30),
    },
    {
      id: 'secret_reads_7d',
      title: `who read ${s.secretPath} in 7 days`,
      vigil: { path: `/v1/audit/secrets/${secretPath}`, params: { ...window(7), crud: 'read' } },
      baseline: { ...range(7), resource: s.secretPath, actions: READ_ACTIONS },
    },
    {
      id: 'actor_trail_30d',
      title: `everything ${s.userEmail} did in 30 days`,
      vigil: { path: `/v1/audit/identities/${encodeURIComponent(`user:${s.userEmail}`)}`, params: window(30) },
      baseline: { ...range(30), actor: s.userEmail },
    },
    {
      id: 'secret_set_prod_30d',
      title: 'SECRET_SET in production, 30-day window',
      vigil: { path: '/v1/audit/logs', params: { ...window(30), resource_type: 'secret', action: 'SECRET_SET', environment: 'production' } },
      baseline: { ...range(30), actions: ['SECRET_SET'], resourceType: 'secret', environment: 'production' },
    },
    {
      id: 'failed_reads_14d',
      title: 'failed reads in the last 14 days',
      vigil: { path: '/v1/audit/logs', params: { from: iso(endUs - 14 * DAY_US), crud: 'read', success: 'false' } },
      baseline: { fromUs: endUs - 14 * DAY_US, actions: READ_ACTIONS, success: false },
    },
    {
      id: 'incident_10min',
      title: 'everything in a 10-minute incident window',
      vigil: { path: '/v1/audit/logs', params: incident },
      baseline: { fromUs: s.incidentUs, toUs: s.incidentUs + 10 * 60e6 },
    },
    {
      id: 'key_unfamiliar_ips',
      title: `${s.apiKey} from unfamiliar addresses (not_ip), all history`,
      vigil: { path: '/v1/audit/logs', params: { actor: s.apiKey, not_ip: s.knownCidrs.join(',') } },
      baseline: { actor: s.apiKey, notCidrs: s.knownCidrs },
    },
    {
      id: 'agent_denials',
      title: `policy denials of ${s.agent}, all history`,
      vigil: { path: '/v1/audit/logs', params: { action: 'policy.denied', actor: s.agent } },
      baseline: { actions: ['policy.denied'], actor: s.agent },
    },
    {
      id: 'path_prefix_30d',
      title: `trail under ${s.pathPrefix}, 30 days`,
      vigil: { path: '/v1/audit/logs', params: { ...window(30), path_prefix: s.pathPrefix } },
      baseline: { ...range(30), resourcePrefix: s.pathPrefix },
    },
  ];
}

export interface PageTimings {
  page1: Latency;
  /** The page timed as "deep": 100, or the last page when the answer has fewer. */
  deepPage: number;
  deep: Latency;
  /** Events on pages 1..deepPage (to check that Vigil and the baseline answer the same). */
  rows: number;
}

/** Vigil's answer: walks the cursor to the deep page once, then times page 1 and the deep page. */
export async function timeVigilPages(client: HttpClient, tenant: string, inv: Investigation, timing: TimingOptions): Promise<PageTimings> {
  const query = new URLSearchParams({ ...inv.vigil.params, tenant, limit: String(PAGE_SIZE) });
  const first = `${inv.vigil.path}?${query}`;
  const fetchPage = async (url: string): Promise<{ data: unknown[]; next_cursor: string | null }> => {
    const answer = await client.get(url);
    expectStatus(answer, 200, inv.id);
    return JSON.parse(answer.body.toString('utf8')) as { data: unknown[]; next_cursor: string | null };
  };
  let deepUrl = first;
  let page = await fetchPage(first);
  let pages = 1;
  let rows = page.data.length;
  while (pages < DEEP_PAGE && page.next_cursor !== null) {
    deepUrl = `${first}&cursor=${encodeURIComponent(page.next_cursor)}`;
    page = await fetchPage(deepUrl);
    pages++;
    rows += page.data.length;
  }
  const get = (url: string) => async () => expectStatus(await client.get(url), 200, inv.id);
  return { page1: await timeRuns(get(first), timing), deepPage: pages, deep: await timeRuns(get(deepUrl), timing), rows };
}
