import type { RetentionRunView, RetentionView } from '../retention/retention-service.js';
import type { ApiClient } from './client.js';

const tenantPath = (tenant: string) => `/v1/tenants/${encodeURIComponent(tenant)}`;

/** `vigil retention get <tenant>`. */
export function getRetention(client: ApiClient, tenant: string): Promise<RetentionView> {
  return client.request<RetentionView>('GET', `${tenantPath(tenant)}/retention`);
}

/** `vigil retention set <tenant> --days N|default [--archive NAME|none]`. */
export function setRetention(client: ApiClient, tenant: string, days: string, archive: string | undefined): Promise<RetentionView> {
  const body = {
    // Sent as given: the server says what is wrong with a value that is not a whole number.
    days: days === 'default' ? null : /^\d+$/.test(days) ? Number(days) : days,
    ...(archive === undefined ? {} : { archive_destination: archive === 'none' ? null : archive }),
  };
  return client.request<RetentionView>('PUT', `${tenantPath(tenant)}/retention`, { body });
}

/** `vigil retention hold <tenant> --reason R` sets a hold; `--release` lifts it. */
export function setHold(client: ApiClient, tenant: string, enabled: boolean, reason: string | undefined): Promise<RetentionView> {
  return client.request<RetentionView>('PUT', `${tenantPath(tenant)}/legal-hold`, { body: { enabled, ...(reason === undefined ? {} : { reason }) } });
}

/** `vigil retention run [--tenant T] [--wait]`: queues runs; with `wait`, polls each until it ends. */
export async function runRetention(client: ApiClient, tenant: string | undefined, wait: boolean, pollMs = 1000): Promise<RetentionRunView[]> {
  const { data } = await client.request<{ data: RetentionRunView[] }>('POST', '/v1/retention/runs', { body: tenant === undefined ? {} : { tenant } });
  const runs: RetentionRunView[] = [];
  for (let run of data) {
    while (wait && (run.state === 'pending' || run.state === 'running')) {
      await new Promise((r) => setTimeout(r, pollMs));
      run = await client.request<RetentionRunView>('GET', `/v1/retention/runs/${run.id}`);
    }
    runs.push(run);
  }
  return runs;
}

export function describeRetention(v: RetentionView): string {
  const days = v.effective_days === null ? 'kept forever' : `${v.effective_days} days${v.days === null ? ' (platform default)' : ''}`;
  const hold = v.legal_hold.enabled ? `ON (${v.legal_hold.reason ?? 'no reason'})` : 'off';
  return `${v.tenant}: ${days}; archive: ${v.archive_destination ?? 'none'}; legal hold: ${hold}\n`;
}

export function describeRun(r: RetentionRunView): string {
  const result = r.result
    ? `purged ${r.result.purged} events older than ${r.result.cutoff}${r.result.archive ? `, archived ${r.result.archive.rows} to ${r.result.archive.destination.location}` : ''}${r.result.stopped_by_legal_hold ? ' (stopped by a legal hold)' : ''}`
    : r.error ?? `${r.progress.purged} purged so far`;
  return `${r.tenant}: run ${r.id} ${r.state}: ${result}\n`;
}
