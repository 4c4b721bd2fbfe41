import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NoteError } from './errors.js';
import { formatSignerKey, generateSigner, parseSignerKey, type NoteSigner } from './note.js';

/**
 * The checkpoint signing key: `VIGIL_SIGNING_KEY` (a `PRIVATE+KEY+…` string) when set, else
 * `<dataDir>/signing.key`, created (mode 0600) on first use. Processes that share one PostgreSQL
 * database but not a data directory must all be given the same VIGIL_SIGNING_KEY.
 */

export const SIGNING_KEY_FILE = 'signing.key';
export const DEFAULT_KEY_NAME = 'vigil';

export interface SigningKeyOptions {
  /** Where `signing.key` is kept when VIGIL_SIGNING_KEY is not set. */
  dataDir: string;
  /** Where VIGIL_SIGNING_KEY is read from; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Name of a newly created key (default `vigil`); an existing key keeps the name it has. */
  keyName?: string;
}

export async function loadSigningKey(options: SigningKeyOptions): Promise<NoteSigner> {
  const fromEnv = (options.env ?? process.env).VIGIL_SIGNING_KEY?.trim();
  if (fromEnv) return parseKey('VIGIL_SIGNING_KEY', fromEnv);
  const path = join(options.dataDir, SIGNING_KEY_FILE);
  const stored = await readKeyFile(path);
  if (stored !== null) return parseKey(path, stored);
  return createKeyFile(path, generateSigner(options.keyName ?? DEFAULT_KEY_NAME));
}

function parseKey(source: string, text: string): NoteSigner {
  try {
    return parseSignerKey(text);
  } catch (error) {
    throw error instanceof NoteError ? new NoteError(`${source}: ${error.message}`) : error;
  }
}

async function readKeyFile(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Writes the key to a temporary file, makes it durable, then links it into place: the link is
 * atomic and fails if another process got there first, whose key then wins. Nobody ever reads a
 * half-written key.
 */
async function createKeyFile(path: string, signer: NoteSigner): Promise<NoteSigner> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomUUID()}.tmp`;
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(`${formatSignerKey(signer)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return parseKey(path, (await readKeyFile(path)) ?? '');
  } finally {
    await unlink(temp);
  }
  await syncDirectory(dirname(path));
  return signer;
}

/** Makes the new directory entry durable (POSIX: fsync of the directory). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
