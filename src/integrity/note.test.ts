import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NoteError } from './errors.js';
import {
  formatSignerKey,
  formatVerifierKey,
  generateSigner,
  keyIdOf,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifierOf,
} from './note.js';

// The C2SP example, from the shared test data beside the repository.
const SIGNED_NOTE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'testdata', 'signed-note');
const EXAMPLE_NOTE = readFileSync(join(SIGNED_NOTE, 'example.note'), 'utf8');
const EXAMPLE_KEY = /^\s+(\S+\+[0-9a-f]{8}\+\S+)$/m.exec(readFileSync(join(SIGNED_NOTE, 'README.md'), 'utf8'))![1]!;

// The documented example of Go's golang.org/x/mod/sumdb/note (Ed25519 signatures are
// deterministic, so signing the same text with the same key must give this note byte for byte).
const PETER_SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VERIFIER = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

const peter = parseVerifierKey(PETER_VERIFIER);
const enoch = parseVerifierKey(ENOCH_VERIFIER);

describe('the C2SP signed-note example', () => {
  const key = parseVerifierKey(EXAMPLE_KEY);

  it('opens with the key from the README', () => {
    expect(EXAMPLE_KEY).toBe('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
    const opened = openNote(EXAMPLE_NOTE, [key]);
    expect(opened.text).toBe('This is an example message.\n');
    expect(opened.verifiedBy).toEqual([key]);
  });

  it('is refused when its text is changed', () => {
    expect(() => openNote(EXAMPLE_NOTE.replace('example message', 'example massage'), [key])).toThrow(/invalid signature/);
    expect(() => openNote(EXAMPLE_NOTE.replace('message.\n', 'message.\nAnother line.\n'), [key])).toThrow(/invalid signature/);
  });

  it('is refused when its signature is changed', () => {
    const line = EXAMPLE_NOTE.slice(EXAMPLE_NOTE.lastIndexOf('— '));
    const b64 = line.split(' ')[2]!.trim();
    const bytes = Buffer.from(b64, 'base64');
    bytes[bytes.length - 1]! ^= 0x01;
    expect(() => openNote(EXAMPLE_NOTE.replace(b64, bytes.toString('base64')), [key])).toThrow(/invalid signature/);
    bytes[bytes.length - 1]! ^= 0x01;
    bytes[0]! ^= 0x01; // the key ID: now an unknown key, so no known signature is left
    expect(() => openNote(EXAMPLE_NOTE.replace(b64, bytes.toString('base64')), [key])).toThrow(/no signature by a known key/);
  });

  it('is refused under another key name, or with a key for another name', () => {
    expect(() => openNote(EXAMPLE_NOTE.replace('— example.com/foo', '— example.com/bar'), [key])).toThrow(NoteError);
    const renamed = { ...key, name: 'example.com/bar', keyId: keyIdOf('example.com/bar', rawKey(EXAMPLE_KEY)) };
    expect(() => openNote(EXAMPLE_NOTE, [renamed])).toThrow(/no signature by a known key/);
    expect(() => parseVerifierKey(EXAMPLE_KEY.replace('example.com/foo', 'example.com/bar'))).toThrow(/key ID does not match/);
  });

  it('is refused with the wrong key', () => {
    expect(() => openNote(EXAMPLE_NOTE, [peter])).toThrow(/no signature by a known key/);
    expect(() => openNote(EXAMPLE_NOTE, [])).toThrow(/no signature by a known key/);
  });
});

describe("Go's note package example", () => {
  it('signs byte for byte as Go does, and the keys round-trip', () => {
    const signer = parseSignerKey(PETER_SIGNER);
    expect(signNote(TEXT, signer)).toBe(`${TEXT}\n${PETER_SIG}`);
    expect(formatSignerKey(signer)).toBe(PETER_SIGNER);
    expect(formatVerifierKey(verifierOf(signer))).toBe(PETER_VERIFIER);
    expect(formatVerifierKey(peter)).toBe(PETER_VERIFIER);
    expect(peter).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3 });
  });

  it('accepts a note also signed by an unknown key, and reports the known keys that verified', () => {
    expect(openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peter]).verifiedBy).toEqual([peter]);
    expect(openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peter, enoch]).verifiedBy).toEqual([peter, enoch]);
    expect(openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}`, [peter]).verifiedBy).toEqual([peter]);
    const badEnoch = ENOCH_SIG.slice(0, 60) + 'ABCD' + ENOCH_SIG.slice(60);
    expect(openNote(`${TEXT}\n${PETER_SIG}${badEnoch}`, [peter]).verifiedBy).toEqual([peter]);
  });

  it('refuses a bad signature by a known key even beside a good one', () => {
    const bad = PETER_SIG.slice(0, 60) + 'ABCD' + PETER_SIG.slice(60);
    expect(() => openNote(`${TEXT}\n${bad}`, [peter])).toThrow('invalid signature for key PeterNeumann+c74f20a3');
    expect(() => openNote(`${TEXT}\n${ENOCH_SIG}${bad}`, [peter, enoch])).toThrow(/invalid signature/);
  });

  it('refuses ambiguous known keys and too many signatures', () => {
    expect(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, peter, { ...enoch }])).toThrow(/ambiguous key EnochRoot\+af0cfe78/);
    expect(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, [peter])).toThrow(/more than 100 signatures/);
    expect(openNote(`${TEXT}\n${PETER_SIG.repeat(100)}`, [peter]).verifiedBy).toEqual([peter]);
  });

  it('refuses malformed notes', () => {
    for (const note of [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\x01${TEXT}\n${PETER_SIG}`,
      `\uD800${TEXT}\n${PETER_SIG}`,
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n— PeterNeumann\n`,
      `${TEXT}\n— PeterNeumann AAAA\n`,
      `${TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n`,
      `${TEXT}\r\n${PETER_SIG}`,
    ]) {
      expect(() => openNote(note, [peter]), JSON.stringify(note)).toThrow(/malformed note/);
    }
  });

  it('refuses every truncation and every one-character change of a key string', () => {
    for (const [key, parse] of [
      [PETER_VERIFIER, parseVerifierKey],
      [PETER_SIGNER, parseSignerKey],
    ] as const) {
      for (let i = 0; i <= key.length; i++) {
        for (let j = i + 1; j <= key.length; j++) {
          if (i !== 0 || j !== key.length) expect(() => parse(key.slice(i, j)), key.slice(i, j)).toThrow(NoteError);
        }
      }
      for (let i = 0; i < key.length; i++) {
        const changed = key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1);
        expect(() => parse(changed), changed).toThrow(NoteError);
      }
    }
  });

  it('never quotes a signer key in its errors', () => {
    const secret = PETER_SIGNER.replace('c74f20a3', 'c74f20a4');
    expect(() => parseSignerKey(secret)).toThrow(NoteError);
    try {
      parseSignerKey(secret);
    } catch (error) {
      expect((error as Error).message).not.toContain('AYEKFALV');
    }
  });
});

describe('generated keys', () => {
  const signer = generateSigner('vigil');

  it('sign notes that open with the verifier key string', () => {
    const verifier = parseVerifierKey(formatVerifierKey(verifierOf(signer)));
    expect(verifier).toMatchObject({ name: 'vigil', keyId: signer.keyId });
    expect(parseSignerKey(formatSignerKey(signer))).toMatchObject({ name: 'vigil', keyId: signer.keyId });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 40 }), (body) => {
        const text = `${body.replace(/[\x00-\x1f]/g, '\n')}\n`;
        const note = signNote(text, signer);
        expect(openNote(note, [verifier]).text).toBe(text);
        expect(parseNote(note).signatures).toEqual([expect.objectContaining({ name: 'vigil', keyId: signer.keyId })]);
      }),
    );
  });

  it('refuse to sign text that is not a note text, or under an invalid name', () => {
    expect(() => signNote('no newline', signer)).toThrow(/must end with a newline/);
    expect(() => signNote('', signer)).toThrow(/must end with a newline/);
    expect(() => signNote('tab\there\n', signer)).toThrow(/control character/);
    expect(() => generateSigner('two words')).toThrow(NoteError);
    expect(() => generateSigner('a+b')).toThrow(NoteError);
    expect(() => generateSigner('')).toThrow(NoteError);
  });
});

function rawKey(verifierKey: string): Uint8Array {
  return Buffer.from(verifierKey.split('+')[2]!, 'base64').subarray(1);
}
