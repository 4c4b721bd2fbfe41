import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { encodeBase64 } from '../integrity/base64.js';
import { openCheckpoint, type Checkpoint } from '../integrity/checkpoint.js';
import type { NoteVerifier } from '../integrity/note.js';

/**
 * The auditor's memory between runs of `vigil verify`: the last checkpoint it verified, kept
 * outside Vigil. Every later checkpoint must extend it. The signed note is kept whole and opened
 * again on load, so a state file that was edited is refused rather than believed.
 */
interface StateFile {
  version: 1;
  origin: string;
  size: number;
  root: string;
  /** The signed checkpoint note, exactly as served. */
  note: string;
  verified_at: string;
}

/** `~/.vigil/verify-<host>-<tenant>.json`, one per server and tenant. */
export function defaultStatePath(url: string, tenant: string): string {
  const host = new URL(url).host.replace(/[^A-Za-z0-9.-]/g, '_');
  return path.join(homedir(), '.vigil', `verify-${host}-${tenant}.json`);
}

/** The saved checkpoint, or null before the first run. Throws if it does not open with `verifier` for `origin`. */
export async function loadState(file: string, verifier: NoteVerifier, origin: string): Promise<(Checkpoint & { verifiedAt: string }) | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const state = JSON.parse(text) as StateFile;
    return { ...openCheckpoint(state.note, verifier, origin), verifiedAt: state.verified_at };
  } catch (err) {
    throw new Error(`state file ${file}: the saved checkpoint does not open with this verifier key for ${origin} (${(err as Error).message}); remove the file only if you know why`);
  }
}

/** Saves a verified checkpoint, atomically (a crash leaves the old state or the new, never half). */
export async function saveState(file: string, note: string, checkpoint: Checkpoint): Promise<void> {
  const state: StateFile = {
    version: 1,
    origin: checkpoint.origin,
    size: checkpoint.size,
    root: encodeBase64(checkpoint.root),
    note,
    verified_at: new Date().toISOString(),
  };
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, file);
}
