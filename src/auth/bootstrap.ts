import { invalid } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import { generateApiKey, parseApiKey, secretMatches, type NewApiKey } from './api-key.js';
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
  const parsed = adminKey === undefined ? undefined : parseAdminKey(adminKey);
  // Processes starting at once on one database take turns: the later ones find the key made.
  const outcome = await store.bootstrapExclusively(async () => {
    if (parsed) return installAdminKey(store, keys, parsed);
    if (await store.hasKeys()) return 'not-needed';
    return keys.createAsSystem({ name: 'admin', role: 'admin' }, generateApiKey());
  });
  if (typeof outcome === 'string') return outcome;
  show(outcome.token);
  return 'created';
}

function parseAdminKey(token: string): NewApiKey {
  const parsed = parseApiKey(token);
  if (!parsed) {
    const example = generateApiKey().token;
    throw invalid([{ path: 'VIGIL_ADMIN_KEY', message: `must have the API key format vk_<12 hex>_<43 base64url>, such as ${example}` }]);
  }
  return { ...parsed, token };
}

async function installAdminKey(store: Store, keys: KeyService, key: NewApiKey): Promise<BootstrapOutcome> {
  const existing = await store.findKey(key.id);
  if (existing) {
    if (!secretMatches(key.secret, existing.secretHash)) {
      throw invalid([{ path: 'VIGIL_ADMIN_KEY', message: `a different key with id ${key.id} already exists` }]);
    }
    return 'present';
  }
  await keys.createAsSystem({ name: 'admin (VIGIL_ADMIN_KEY)', role: 'admin' }, key);
  return 'installed';
}
