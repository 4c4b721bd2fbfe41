import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileDestinationConfig } from '../config.js';
import type { Destination } from './destination.js';

/**
 * A local directory. A file is written beside its final name, synced, then renamed into place,
 * so a reader (or a crash) never sees half a file under the final name.
 */
export class FileDestination implements Destination {
  private readonly root: string;

  constructor(readonly config: FileDestinationConfig) {
    this.root = path.resolve(config.directory);
  }

  async put(key: string, body: Readable, _contentType: string, signal?: AbortSignal): Promise<void> {
    const target = this.resolve(key);
    await mkdir(path.dirname(target), { recursive: true });
    await removeLeftovers(target);
    const partial = `${target}.partial-${randomBytes(4).toString('hex')}`;
    try {
      await pipeline(body, createWriteStream(partial), ...(signal ? [{ signal }] : []));
      const handle = await open(partial, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(partial, target);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    return createReadStream(this.resolve(key));
  }

  async close(): Promise<void> {}

  /** The file for `key`, which must stay inside the directory. */
  private resolve(key: string): string {
    const target = path.resolve(this.root, key);
    if (!target.startsWith(this.root + path.sep)) throw new Error(`key "${key}" leaves the destination directory`);
    return target;
  }
}

/** Partial files of `target` left by a process that died while writing it (a job resumes there). */
async function removeLeftovers(target: string): Promise<void> {
  const prefix = `${path.basename(target)}.partial-`;
  for (const name of await readdir(path.dirname(target))) {
    if (name.startsWith(prefix)) await rm(path.join(path.dirname(target), name), { force: true });
  }
}
