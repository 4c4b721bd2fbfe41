import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NoteError } from './errors.js';
import { formatSignerKey, formatVerifierKey, generateSigner, openNote, signNote, verifierOf } from './note.js';
import { loadSigningKey, SIGNING_KEY_FILE } from './signing-key.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'vigil-signing-key-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const verifierKey = (signer: Awaited<ReturnType<typeof loadSigningKey>>) => formatVerifierKey(verifierOf(signer));

describe('loadSigningKey', () => {
  it('creates signing.key (mode 0600) on first use and loads the same key afterwards', async () => {
    const first = await loadSigningKey({ dataDir, env: {} });
    expect(first.name).toBe('vigil');
    const path = join(dataDir, SIGNING_KEY_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(`${formatSignerKey(first)}\n`);
    const again = await loadSigningKey({ dataDir, env: {}, keyName: 'ignored-for-an-existing-key' });
    expect(verifierKey(again)).toBe(verifierKey(first));
    expect(openNote(signNote('hello\n', again), [verifierOf(first)]).text).toBe('hello\n');
    expect(await readdir(dataDir)).toEqual([SIGNING_KEY_FILE]);
  });

  it('creates the data directory and names a new key as configured', async () => {
    const nested = join(dataDir, 'a', 'b');
    expect((await loadSigningKey({ dataDir: nested, env: {}, keyName: 'audit.example.com' })).name).toBe('audit.example.com');
  });

  it('hands every concurrent first caller the same key', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadSigningKey({ dataDir, env: {} })));
    expect(new Set(keys.map(verifierKey)).size).toBe(1);
    expect(await readdir(dataDir)).toEqual([SIGNING_KEY_FILE]);
  });

  it('prefers VIGIL_SIGNING_KEY and then writes no file', async () => {
    const given = generateSigner('ops-key');
    const loaded = await loadSigningKey({ dataDir, env: { VIGIL_SIGNING_KEY: ` ${formatSignerKey(given)}\n` } });
    expect(verifierKey(loaded)).toBe(verifierKey(given));
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('names the source of a malformed key without quoting the key', async () => {
    const secret = formatSignerKey(generateSigner('vigil'));
    const broken = secret.slice(0, -4);
    const error = await loadSigningKey({ dataDir, env: { VIGIL_SIGNING_KEY: broken } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoteError);
    expect((error as NoteError).message).toMatch(/^VIGIL_SIGNING_KEY: signer key/);
    // The key material follows PRIVATE+KEY+<name>+<hash>+; base64 may itself hold '+'.
    const keyMaterial = broken.split('+').slice(4).join('+');
    expect(keyMaterial.length).toBeGreaterThan(12);
    expect((error as NoteError).message).not.toContain(keyMaterial.slice(0, 12));
    await writeFile(join(dataDir, SIGNING_KEY_FILE), 'not a key\n');
    await expect(loadSigningKey({ dataDir, env: {} })).rejects.toThrow(NoteError);
    await expect(loadSigningKey({ dataDir, env: {} })).rejects.toThrow(/signing\.key: signer key/);
  });
});
