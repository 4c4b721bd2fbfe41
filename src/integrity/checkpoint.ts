import { decodeBase64, encodeBase64 } from './base64.js';
import { NoteError } from './errors.js';
import { HASH_SIZE } from './hash.js';
import { isKeyName, openNote, signNote, type NoteSigner, type NoteVerifier } from './note.js';

/**
 * C2SP tlog-checkpoint bodies (c2sp.org/tlog-checkpoint): the note text `origin\nsize\nbase64(root)\n`,
 * then optional extension lines. One Vigil key signs the checkpoints of every tenant, so the
 * origin is what tells tenants apart: whoever opens a checkpoint must check it.
 */

/** A tree head: what a signed checkpoint states. */
export interface Checkpoint {
  /** Who issued it and for which log: `vigil/<tenant>` unless configured otherwise. */
  readonly origin: string;
  readonly size: number;
  /** RFC 9162 root of the tree of `size` leaves (32 bytes). */
  readonly root: Uint8Array;
  /** Opaque extension lines (C2SP discourages them; Vigil writes none). */
  readonly extensions: readonly string[];
}

export const DEFAULT_ORIGIN_PREFIX = 'vigil';

/** The origin line of a tenant's checkpoints: `<prefix>/<tenant>`. */
export function checkpointOrigin(tenant: string, prefix: string = DEFAULT_ORIGIN_PREFIX): string {
  return `${prefix}/${tenant}`;
}

/**
 * The note text of a checkpoint. Vigil's own origins are held to the C2SP recommendation (no
 * spaces, no "+"), so that the origin line is also a valid key name.
 */
export function formatCheckpoint(checkpoint: Omit<Checkpoint, 'extensions'> & { extensions?: readonly string[] }): string {
  const { origin, size, root, extensions = [] } = checkpoint;
  if (!isKeyName(origin)) throw new NoteError('checkpoint origin must be non-empty, without spaces, "+" or control characters');
  if (!Number.isSafeInteger(size) || size < 0) throw new NoteError(`checkpoint size must be an integer from 0 to 2^53 - 1, got ${size}`);
  if (root.length !== HASH_SIZE) throw new NoteError(`checkpoint root must be ${HASH_SIZE} bytes, got ${root.length}`);
  if (extensions.some((line) => line === '' || /[\p{Cc}\p{Cs}]/u.test(line))) {
    throw new NoteError('checkpoint extension lines must be non-empty, without control characters');
  }
  return [origin, String(size), encodeBase64(root), ...extensions].map((line) => `${line}\n`).join('');
}

/** Parses a checkpoint's note text, strictly: any deviation from C2SP is a NoteError. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new NoteError('checkpoint: the text must end with a newline');
  const [origin = '', sizeLine = '', rootLine = '', ...extensions] = text.slice(0, -1).split('\n');
  if ([origin, sizeLine, rootLine, ...extensions].some((line) => line === '')) {
    throw new NoteError('checkpoint: needs an origin, a size and a root line, and no empty lines');
  }
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) throw new NoteError('checkpoint: the size must be a decimal number without leading zeros');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw new NoteError(`checkpoint: size ${sizeLine} is beyond 2^53 - 1, which Vigil does not support`);
  const root = decodeBase64(rootLine);
  if (!root || root.length !== HASH_SIZE) throw new NoteError(`checkpoint: the root must be base64 of ${HASH_SIZE} bytes`);
  return { origin, size, root, extensions };
}

/** Signs the checkpoint of the tree of `size` leaves with root `root` and returns the note. */
export function signCheckpoint(signer: NoteSigner, origin: string, size: number, root: Uint8Array): string {
  return signNote(formatCheckpoint({ origin, size, root }), signer);
}

/**
 * Opens a signed checkpoint with the verifier key; with `origin`, also requires that origin (a
 * checkpoint of another tenant, signed by the same key, is refused). Throws NoteError.
 */
export function openCheckpoint(note: string, verifier: NoteVerifier, origin?: string): Checkpoint {
  const checkpoint = parseCheckpoint(openNote(note, [verifier]).text);
  if (origin !== undefined && checkpoint.origin !== origin) {
    throw new NoteError(`checkpoint is for origin ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(origin)}`);
  }
  return checkpoint;
}
