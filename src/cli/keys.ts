import type { KeyView } from '../auth/key-service.js';
import type { ApiClient } from './client.js';
import { printTable } from './table.js';

export interface CreateKeyOptions {
  name: string;
  role: string;
  tenant?: string;
  expiresAt?: string;
}

/** `vigil keys create`: prints the new key's secret (once) on stdout, its details on stderr. */
export async function createKey(client: ApiClient, options: CreateKeyOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<void> {
  const body = {
    name: options.name,
    role: options.role,
    ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
    ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt }),
  };
  const created = await client.request<{ key: KeyView; secret: string }>('POST', '/v1/keys', { body });
  err.write(`Created key ${created.key.id} "${created.key.name}" (${created.key.role}, ${created.key.tenant ?? 'platform'}). Its secret is shown only now:\n`);
  out.write(`${created.secret}\n`);
}

export async function listKeys(client: ApiClient, tenant: string | undefined, json: boolean, out: NodeJS.WritableStream): Promise<void> {
  const query = new URLSearchParams(tenant === undefined ? {} : { tenant });
  const { data } = await client.request<{ data: KeyView[] }>('GET', '/v1/keys', { query });
  if (json) {
    for (const key of data) out.write(`${JSON.stringify(key)}\n`);
    return;
  }
  printTable(
    out,
    ['ID', 'NAME', 'ROLE', 'TENANT', 'CREATED', 'EXPIRES', 'REVOKED'],
    data.map((k) => [k.id, k.name, k.role, k.tenant ?? '(platform)', k.created_at, k.expires_at ?? '-', k.revoked_at ?? '-']),
  );
}

export async function revokeKey(client: ApiClient, id: string, out: NodeJS.WritableStream): Promise<void> {
  const key = await client.request<KeyView>('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
  out.write(`Revoked key ${key.id} "${key.name}" at ${key.revoked_at}\n`);
}
