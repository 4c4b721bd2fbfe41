import { invalid } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { generateApiKey, parseApiKey, secretMatches } from './api-key.js';
import type { KeyService } from './key-service.js';

export type BootstrapOutcome = 'installed' | 'present' | 'created' | 'not-needed';

/**
 * Makes sure someone can administer a new server (DESIGN.md §8). With `VIGIL_ADMIN_KEY`, that
 * exact key becomes a platform admin key (once; later starts find it). Without it, the first
 * start (no key ever created) creates a platform admin key and hands it to `show` — the only
 * time its secret exists outside the caller.
 */
export async function bootstrapAdminKey(
  store: Store,
  keys: KeyService,
  adminKey: string | undefined,
  show: (token: string) => void,
): Promise<BootstrapOutcome> {
  if (adminKey !== undefined) return installAdminKey(store, keys, adminKey);
  if (await store.hasKeys()) return 'not-needed';
  const created = await keys.createAsSystem({ name: 'admin', role: 'admin' }, generateApiKey());
  show(created.token);
  return 'created';
}

async function installAdminKey(store: Store, keys: KeyService, token: string): Promise<BootstrapOutcome> {
  const parsed = parseApiKey(token);
  if (!parsed) {
    const example = generateApiKey().token;
    throw invalid([{ path: 'VIGIL_ADMIN_KEY', message: `must have the API key format vk_<12 hex>_<43 base64url>, such as ${example}` }]);
  }
  const existing = await store.findKey(parsed.id);
  if (existing) {
    if (!secretMatches(parsed.secret, existing.secretHash)) {
      throw invalid([{ path: 'VIGIL_ADMIN_KEY', message: `a different key with id ${parsed.id} already exists` }]);
    }
    return 'present';
  }
  await keys.createAsSystem({ name: 'admin (VIGIL_ADMIN_KEY)', role: 'admin' }, { ...parsed, token });
  return 'installed';
}
