import { describe, expect, it } from 'vitest';
import { VigilError } from '../domain/errors.js';
import { generateApiKey, hashSecret, parseApiKey, secretMatches } from './api-key.js';
import { readTenant, requirePermission, writeTenant, type Principal } from './principal.js';

const tenantKey: Principal = { keyId: 'aaaaaaaaaaaa', name: 'k', role: 'viewer', tenant: 'acme' };
const platformKey: Principal = { ...tenantKey, role: 'admin', tenant: null };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as VigilError).code;
  }
  return undefined;
}

describe('API keys', () => {
  it('generates keys that parse back, with 256-bit secrets', () => {
    const key = generateApiKey();
    expect(key.token).toMatch(/^vk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(key.token)).toEqual({ id: key.id, secret: key.secret });
    expect(Buffer.from(key.secret, 'base64url')).toHaveLength(32);
    expect(generateApiKey().token).not.toBe(key.token);
  });

  it('refuses strings that are not keys', () => {
    for (const text of ['', 'vk_', 'vk_abc_def', `vk_ABCDEF123456_${'a'.repeat(43)}`, `vk_abcdef123456_${'a'.repeat(42)}`, `xk_abcdef123456_${'a'.repeat(43)}`]) {
      expect(parseApiKey(text)).toBeNull();
    }
  });

  it('matches a secret against its stored hash only', () => {
    const { secret } = generateApiKey();
    const stored = hashSecret(secret);
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    expect(secretMatches(secret, stored)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}A`, stored)).toBe(secret.endsWith('A'));
    expect(secretMatches(secret, 'not-hex')).toBe(false);
  });
});

describe('tenant and permission rules', () => {
  it('grants by role', () => {
    expect(codeOf(() => requirePermission(tenantKey, 'read'))).toBeUndefined();
    expect(codeOf(() => requirePermission(tenantKey, 'ingest'))).toBe('VIGIL_ERR_FORBIDDEN');
    expect(codeOf(() => requirePermission({ ...tenantKey, role: 'writer' }, 'read'))).toBe('VIGIL_ERR_FORBIDDEN');
  });

  it('a tenant key acts on its own tenant and may not name another', () => {
    expect(readTenant(tenantKey, undefined)).toBe('acme');
    expect(readTenant(tenantKey, 'acme')).toBe('acme');
    expect(() => readTenant(tenantKey, 'globex')).toThrow(/"acme".*"globex"/);
    expect(codeOf(() => writeTenant(tenantKey, 'globex', 'events[2].tenant'))).toBe('VIGIL_ERR_FORBIDDEN');
  });

  it('a platform key must name a valid tenant; only reads may name _platform', () => {
    expect(codeOf(() => readTenant(platformKey, undefined))).toBe('VIGIL_ERR_VALIDATION');
    expect(readTenant(platformKey, 'globex')).toBe('globex');
    expect(readTenant(platformKey, '_platform')).toBe('_platform');
    expect(codeOf(() => writeTenant(platformKey, '_platform', 'tenant'))).toBe('VIGIL_ERR_VALIDATION');
    expect(codeOf(() => readTenant(platformKey, 'Not Valid'))).toBe('VIGIL_ERR_VALIDATION');
  });
});
