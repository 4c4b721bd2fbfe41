import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkpointOrigin, formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import { NoteError } from './errors.js';
import { EMPTY_ROOT, hashLeaf } from './hash.js';
import { formatVerifierKey, generateSigner, parseVerifierKey, signNote, verifierOf } from './note.js';

const root = hashLeaf('root');
const rootB64 = Buffer.from(root).toString('base64');
const signer = generateSigner('vigil');
const verifier = parseVerifierKey(formatVerifierKey(verifierOf(signer)));

describe('checkpoint text', () => {
  it('is origin, size and base64 root, one per line', () => {
    expect(checkpointOrigin('acme')).toBe('vigil/acme');
    expect(checkpointOrigin('acme', 'audit.example.com')).toBe('audit.example.com/acme');
    expect(formatCheckpoint({ origin: 'vigil/acme', size: 1234, root })).toBe(`vigil/acme\n1234\n${rootB64}\n`);
    expect(formatCheckpoint({ origin: 'vigil/acme', size: 0, root: EMPTY_ROOT })).toBe(
      'vigil/acme\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n',
    );
  });

  it('parses what it formats, extension lines included, for any size below 2^53', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.string({ minLength: 1 }).filter((s) => !/[\p{Cc}\p{Cs}]/u.test(s))),
        (size, bytes, extensions) => {
          const parsed = parseCheckpoint(formatCheckpoint({ origin: 'vigil/t-1', size, root: bytes, extensions }));
          expect(parsed).toEqual({ origin: 'vigil/t-1', size, root: bytes, extensions });
        },
      ),
    );
  });

  it('parses the C2SP example', () => {
    expect(parseCheckpoint('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n')).toMatchObject({
      origin: 'example.com/behind-the-sofa',
      size: 20852163,
      extensions: [],
    });
  });

  it('refuses anything else', () => {
    for (const text of [
      `vigil/acme\n12\n${rootB64}`,
      `vigil/acme\n12\n`,
      `vigil/acme\n\n12\n${rootB64}\n`,
      `\n12\n${rootB64}\n`,
      `vigil/acme\n012\n${rootB64}\n`,
      `vigil/acme\n-1\n${rootB64}\n`,
      `vigil/acme\n1e3\n${rootB64}\n`,
      `vigil/acme\n 12\n${rootB64}\n`,
      `vigil/acme\n9007199254740992\n${rootB64}\n`,
      `vigil/acme\n12\n${rootB64.slice(4)}\n`,
      `vigil/acme\n12\n${rootB64.replace('=', '')}\n`,
      `vigil/acme\n12\n${Buffer.from(root).toString('hex')}\n`,
      `vigil/acme\n12\n${rootB64}\n\n`,
      `vigil/acme\n12\n${rootB64}\next\n\n`,
    ]) {
      expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(NoteError);
    }
    expect(() => formatCheckpoint({ origin: 'vigil/a b', size: 1, root })).toThrow(/origin/);
    expect(() => formatCheckpoint({ origin: 'vigil/a+b', size: 1, root })).toThrow(/origin/);
    expect(() => formatCheckpoint({ origin: '', size: 1, root })).toThrow(/origin/);
    expect(() => formatCheckpoint({ origin: 'vigil/a', size: 1.5, root })).toThrow(/size/);
    expect(() => formatCheckpoint({ origin: 'vigil/a', size: 2 ** 53, root })).toThrow(/size/);
    expect(() => formatCheckpoint({ origin: 'vigil/a', size: 1, root: root.subarray(1) })).toThrow(/root/);
    expect(() => formatCheckpoint({ origin: 'vigil/a', size: 1, root, extensions: ['a\nb'] })).toThrow(/extension/);
  });
});

describe('signed checkpoints', () => {
  const note = signCheckpoint(signer, 'vigil/acme', 42, root);

  it('open with the verifier key to the tree head that was signed', () => {
    expect(note.startsWith(`vigil/acme\n42\n${rootB64}\n\n— vigil `)).toBe(true);
    expect(openCheckpoint(note, verifier)).toEqual({ origin: 'vigil/acme', size: 42, root: new Uint8Array(root), extensions: [] });
    expect(openCheckpoint(note, verifier, 'vigil/acme').size).toBe(42);
  });

  it("refuse another tenant's origin, another key, or any change", () => {
    expect(() => openCheckpoint(note, verifier, 'vigil/other')).toThrow(/origin "vigil\/acme", expected "vigil\/other"/);
    expect(() => openCheckpoint(note, verifierOf(generateSigner('vigil')))).toThrow(NoteError);
    expect(() => openCheckpoint(note.replace('\n42\n', '\n43\n'), verifier)).toThrow(/invalid signature/);
    expect(() => openCheckpoint(note.replace('vigil/acme', 'vigil/acmf'), verifier)).toThrow(/invalid signature/);
  });

  it('refuse a validly signed note that is not a checkpoint', () => {
    expect(() => openCheckpoint(signNote('vigil/acme\n42\n', signer), verifier)).toThrow(/checkpoint/);
  });
});
