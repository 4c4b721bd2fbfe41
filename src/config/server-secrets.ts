import { createHmac, randomBytes } from 'node:crypto';
import { BoundedCache } from '../domain/bounded-cache.js';
import type { Store } from '../store/store.js';

/**
 * Keys every process on one database shares, kept in the store (`Store.secret`) so that cursors
 * issued by one process are honoured by another and redaction markers correlate across them.
 */
export interface ServerSecrets {
  /** Signs pagination cursors. */
  cursorKey: Buffer;
  /** The redaction HMAC key of one tenant: equal values correlate within a tenant, never across. */
  redactionKey(tenant: string): Buffer;
  /** What the redaction keys derive from (`redactionKeys`), for the ingest thread. */
  redactionRoot: Buffer;
  /** Signs viewer tokens (`auth/viewer-token.ts`), so every process accepts the tokens any one mints. */
  viewerTokenKey: Buffer;
}

export async function loadServerSecrets(store: Store): Promise<ServerSecrets> {
  const fresh = (): string => randomBytes(32).toString('base64url');
  const cursorKey = Buffer.from(await store.secret('cursor-key', fresh), 'base64url');
  const redactionRoot = Buffer.from(await store.secret('redaction-key', fresh), 'base64url');
  const viewerTokenKey = Buffer.from(await store.secret('viewer-token-key', fresh), 'base64url');
  return { cursorKey, viewerTokenKey, redactionRoot, redactionKey: redactionKeys(redactionRoot) };
}

/** Each tenant's redaction key, derived from `root` once per tenant, not once per event: an HMAC costs about as much as the redaction it keys. */
export function redactionKeys(root: Buffer): (tenant: string) => Buffer {
  const keys = new BoundedCache<string, Buffer>(10_000);
  return (tenant) => {
    let key = keys.get(tenant);
    if (!key) keys.set(tenant, (key = createHmac('sha256', root).update(tenant, 'utf8').digest()));
    return key;
  };
}
