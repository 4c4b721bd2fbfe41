import { PLATFORM_TENANT, type ApiKeyRecord, type Role } from '../domain/access.js';
import { invalid, VigilError } from '../domain/errors.js';
import type { Actor, EventInput } from '../domain/event.js';
import type { Store } from '../store/store.js';
import { generateApiKey, hashSecret, type NewApiKey } from './api-key.js';
import type { KeyCache } from './key-cache.js';
import { readTenant, requirePermission, writeTenant, type Principal } from './principal.js';

/** Where Vigil records its own changes: an event is appended to a tenant's log, durably. */
export interface EventSink {
  record(tenant: string, event: EventInput): Promise<void>;
}

/** What a caller asks for when creating a key. */
export interface CreateKeyInput {
  name: string;
  role: Role;
  /** Absent: the caller's own tenant; for a platform admin, absent means a platform key. */
  tenant?: string;
  expires_at?: string;
}

/** A key as the API shows it: never the secret, nor its hash. */
export interface KeyView {
  id: string;
  name: string;
  role: Role;
  tenant: string | null;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

/** The actor recorded for changes Vigil makes on its own (the first-start admin key). */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'vigil', name: 'vigil' };

/**
 * Creates, lists and revokes API keys. Only admins manage keys; a tenant admin only its own
 * tenant's. Every change is recorded in the key's tenant's log (platform keys: `_platform`)
 * before it takes effect, so the log never misses a change.
 */
export class KeyService {
  constructor(
    private readonly store: Store,
    private readonly sink: EventSink,
    /** The request path's cache of keys, told of each revocation here. */
    private readonly cache?: Pick<KeyCache, 'forget'>,
  ) {}

  /** Creates a key; the returned `token` is the only time the secret exists outside the caller. */
  async create(principal: Principal, input: CreateKeyInput): Promise<{ key: KeyView; token: string }> {
    requirePermission(principal, 'manage');
    const platformKey = principal.tenant === null && input.tenant === undefined;
    const tenant = platformKey ? null : writeTenant(principal, input.tenant, 'tenant');
    return this.insert(input, tenant, principalActor(principal), generateApiKey());
  }

  /** Creates a key on behalf of Vigil itself (bootstrap), recorded with the system actor. */
  async createAsSystem(input: Omit<CreateKeyInput, 'tenant'>, key: NewApiKey): Promise<{ key: KeyView; token: string }> {
    return this.insert(input, null, SYSTEM_ACTOR, key);
  }

  async list(principal: Principal, tenant: string | undefined): Promise<KeyView[]> {
    requirePermission(principal, 'manage');
    const scope = principal.tenant === null && tenant === undefined ? undefined : readTenant(principal, tenant);
    const records = await this.store.listKeys(scope);
    return records.map(keyView);
  }

  /** Revokes a key; revoking a key already revoked changes nothing and returns it as it is. */
  async revoke(principal: Principal, id: string): Promise<KeyView> {
    requirePermission(principal, 'manage');
    const record = await this.store.findKey(id);
    // A tenant admin cannot learn whether another tenant's key id exists.
    if (!record || (principal.tenant !== null && record.tenant !== principal.tenant)) {
      throw new VigilError('VIGIL_ERR_NOT_FOUND', `no key with id "${id}"`);
    }
    if (record.revokedAt !== null) return keyView(record);
    const revokedAt = new Date().toISOString();
    await this.sink.record(record.tenant ?? PLATFORM_TENANT, keyEvent('vigil.key.revoked', record, principalActor(principal)));
    const revoked = await this.store.revokeKey(id, revokedAt);
    this.cache?.forget(id);
    if (!revoked) {
      // Revoked concurrently by another request: the result is the same.
      const now = await this.store.findKey(id);
      return keyView(now ?? { ...record, revokedAt });
    }
    return keyView({ ...record, revokedAt });
  }

  private async insert(
    input: CreateKeyInput,
    tenant: string | null,
    actor: Actor,
    fresh: NewApiKey,
  ): Promise<{ key: KeyView; token: string }> {
    const expiresAt = checkExpiry(input.expires_at);
    const record: ApiKeyRecord = {
      id: fresh.id,
      tenant,
      role: input.role,
      name: input.name,
      secretHash: hashSecret(fresh.secret),
      createdAt: new Date().toISOString(),
      createdBy: actor.type === 'api_key' ? actor.id : null,
      revokedAt: null,
      expiresAt,
    };
    await this.sink.record(tenant ?? PLATFORM_TENANT, keyEvent('vigil.key.created', record, actor));
    await this.store.insertKey(record);
    return { key: keyView(record), token: fresh.token };
  }
}

function checkExpiry(expiresAt: string | undefined): string | null {
  if (expiresAt === undefined) return null;
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw invalid([{ path: 'expires_at', message: 'must be an RFC 3339 time' }]);
  if (ms <= Date.now()) throw invalid([{ path: 'expires_at', message: 'must be in the future' }]);
  return new Date(ms).toISOString();
}

/** The actor recorded for a change made with an API key. */
export function principalActor(principal: Principal): Actor {
  return { type: 'api_key', id: principal.keyId, name: principal.name };
}

/** The event recording a key change. It names the key by id and name; the secret never appears. */
function keyEvent(action: 'vigil.key.created' | 'vigil.key.revoked', key: ApiKeyRecord, actor: Actor): EventInput {
  const context: Record<string, string> = { role: key.role, scope: key.tenant ?? 'platform' };
  if (key.expiresAt !== null) context.expires_at = key.expiresAt;
  return {
    log: 'audit',
    action,
    category: 'vigil',
    actor,
    resource: { type: 'api_key', id: key.id, name: key.name },
    source: 'api',
    outcome: { success: true },
    context,
  };
}

export function keyView(record: ApiKeyRecord): KeyView {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    tenant: record.tenant,
    created_at: record.createdAt,
    created_by: record.createdBy,
    expires_at: record.expiresAt,
    revoked_at: record.revokedAt,
  };
}
