import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The API key format: `vk_<id>_<secret>`. The id (12 lowercase hex characters) is public and
 * finds the stored record; the secret (32 random bytes, base64url) is shown once and only its
 * SHA-256 is kept.
 */
const KEY_PATTERN = /^vk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  id: string;
  secret: string;
}

export interface NewApiKey extends ParsedApiKey {
  /** The whole key, as the caller sends it in `Authorization: Bearer …`. */
  token: string;
}

/** A fresh random key. */
export function generateApiKey(): NewApiKey {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `vk_${id}_${secret}` };
}

/** Splits a key into id and secret; `null` when it does not have the key format. */
export function parseApiKey(token: string): ParsedApiKey | null {
  const m = KEY_PATTERN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

/** Hex SHA-256 of a key's secret: what the store keeps. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Compares a presented secret with a stored hash in constant time. One-shot `hash`: half the CPU of a Hash object, on every request. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = hash('sha256', secret, 'buffer');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
