import { invalid } from '../domain/errors.js';
import { DEFAULT_ORIGIN_PREFIX } from './checkpoint.js';
import { isKeyName, type NoteSigner } from './note.js';
import { loadSigningKey } from './signing-key.js';

/** How `vigil serve` signs checkpoints. */
export interface IntegrityOptions {
  signer: NoteSigner;
  /** `VIGIL_CHECKPOINT_ORIGIN_PREFIX`: origins are `<prefix>/<tenant>`; default `vigil`. */
  originPrefix: string;
}

/**
 * Reads the signing key (`VIGIL_SIGNING_KEY`, else `<dataDir>/signing.key`, created on first
 * start) and the origin prefix from the environment. A bad prefix is a VIGIL_ERR_VALIDATION; a bad
 * key a NoteError naming where it came from.
 */
export async function loadIntegrityOptions(env: Record<string, string | undefined>, dataDir: string): Promise<IntegrityOptions> {
  const originPrefix = env.VIGIL_CHECKPOINT_ORIGIN_PREFIX?.trim() || DEFAULT_ORIGIN_PREFIX;
  // The origin is also a key name (C2SP): no spaces, no "+"; a tenant name is appended to it.
  if (!isKeyName(originPrefix)) {
    throw invalid([{ path: 'VIGIL_CHECKPOINT_ORIGIN_PREFIX', message: 'must be non-empty, without spaces, "+" or control characters (e.g. vigil.example.com/audit)' }]);
  }
  return { signer: await loadSigningKey({ dataDir, env }), originPrefix };
}
