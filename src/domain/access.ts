/** Roles and what each may do (DESIGN.md §8). Pure: used by auth/ and by the store's key records. */
export const ROLES = ['admin', 'auditor', 'viewer', 'writer'] as const;
export type Role = (typeof ROLES)[number];

export type Permission = 'ingest' | 'read' | 'export' | 'verify' | 'manage';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['ingest', 'read', 'export', 'verify', 'manage'],
  auditor: ['read', 'export', 'verify'],
  viewer: ['read'],
  writer: ['ingest'],
};

export function allows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/** An API key as stored: never the secret, only its SHA-256. `tenant: null` is a platform key. */
export interface ApiKeyRecord {
  /** Public key id, the part of the key before the secret (`vk_<id>_<secret>`). */
  id: string;
  tenant: string | null;
  role: Role;
  name: string;
  /** Hex SHA-256 of the secret part. */
  secretHash: string;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

/** Tenant names: short, URL- and origin-line-safe; a leading underscore is reserved for Vigil. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** Where events about platform-wide changes (platform keys) are recorded. */
export const PLATFORM_TENANT = '_platform';
