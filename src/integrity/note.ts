import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { NoteError } from './errors.js';

/**
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, interoperable with Go's
 * golang.org/x/mod/sumdb/note: a text ending in a newline, a blank line, then signature lines
 * `— <key name> base64(key ID ‖ signature)`. Keys are written as Go writes them:
 * verifier `name+keyid+base64(0x01 ‖ public key)`, signer `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`.
 * Error messages never quote a key string, since a signer key is a secret.
 */

const ALG_ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
const SIGNER_PREFIX = 'PRIVATE+KEY+';
/** As Go's note package: enough for any real note, and a bound on the work a hostile one causes. */
const MAX_SIGNATURES = 100;
/** DER header of a PKCS #8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SIGNATURE_SIZE = 64;

/** A known public key that checks note signatures. */
export interface NoteVerifier {
  readonly name: string;
  /** SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[0:4], big-endian. */
  readonly keyId: number;
  readonly publicKey: KeyObject;
}

/** A private key that signs notes, with its public half. Secret: never log, store in events, or return it. */
export interface NoteSigner extends NoteVerifier {
  readonly privateKey: KeyObject;
}

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
}

/** A note split into its text and signature lines, nothing verified. */
export interface ParsedNote {
  /** The signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A note with at least one valid signature by a known key. */
export interface OpenedNote {
  readonly text: string;
  /** The known keys whose signatures verified, each once. */
  readonly verifiedBy: readonly NoteVerifier[];
}

/** The C2SP key ID of an Ed25519 public key (32 raw bytes) under `name`. */
export function keyIdOf(name: string, publicKey: Uint8Array): number {
  return createHash('sha256').update(name).update('\n').update(Uint8Array.of(ALG_ED25519)).update(publicKey).digest().readUInt32BE(0);
}

/** A new Ed25519 signer named `name`. */
export function generateSigner(name: string): NoteSigner {
  checkName(name, 'key name');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { name, keyId: keyIdOf(name, rawPublicKey(publicKey)), publicKey, privateKey };
}

/** The public half of a signer. */
export function verifierOf(signer: NoteSigner): NoteVerifier {
  return { name: signer.name, keyId: signer.keyId, publicKey: signer.publicKey };
}

/** `name+keyid+base64(0x01 ‖ public key)`: what Vigil publishes and auditors configure. */
export function formatVerifierKey(verifier: NoteVerifier): string {
  return `${verifier.name}+${hexId(verifier.keyId)}+${encodeBase64(withAlg(rawPublicKey(verifier.publicKey)))}`;
}

/** Parses a verifier key string, checking its key ID; throws NoteError. */
export function parseVerifierKey(text: string): NoteVerifier {
  const { name, keyId, key } = splitKey(text, 'verifier key');
  const verifier = { name, keyId, publicKey: importKey('verifier key', () => publicKeyFromRaw(key)) };
  if (keyIdOf(name, key) !== keyId) throw new NoteError('verifier key: the key ID does not match the name and key');
  return verifier;
}

/** `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`: the secret signer key. */
export function formatSignerKey(signer: NoteSigner): string {
  const seed = Buffer.from(signer.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  return `${SIGNER_PREFIX}${signer.name}+${hexId(signer.keyId)}+${encodeBase64(withAlg(seed))}`;
}

/** Parses a signer key string, checking its key ID; throws NoteError (never quoting the key). */
export function parseSignerKey(text: string): NoteSigner {
  if (!text.startsWith(SIGNER_PREFIX)) throw new NoteError('signer key: must start with PRIVATE+KEY+');
  const { name, keyId, key } = splitKey(text.slice(SIGNER_PREFIX.length), 'signer key');
  const privateKey = importKey('signer key', () =>
    createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, key]), format: 'der', type: 'pkcs8' }),
  );
  const publicKey = createPublicKey(privateKey);
  if (keyIdOf(name, rawPublicKey(publicKey)) !== keyId) {
    throw new NoteError('signer key: the key ID does not match the name and key');
  }
  return { name, keyId, publicKey, privateKey };
}

/** Signs `text` (non-empty, ending in a newline) and returns the signed note. */
export function signNote(text: string, signer: NoteSigner): string {
  checkNoteChars(text);
  if (!text.endsWith('\n')) throw new NoteError('note text must end with a newline');
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  return `${text}\n${signatureLine(signer, signature)}`;
}

/** Splits a note into text and signatures; checks the syntax only. */
export function parseNote(note: string): ParsedNote {
  checkNoteChars(note);
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed note: no blank line before the signatures');
  const block = note.slice(split + 2);
  if (!block.endsWith('\n')) throw new NoteError('malformed note: no signature lines, or the last one does not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError(`malformed note: more than ${MAX_SIGNATURES} signatures`);
  return { text: note.slice(0, split + 1), signatures: lines.map(parseSignatureLine) };
}

/**
 * Opens a signed note with the known keys (C2SP): signatures by unknown keys are ignored, every
 * signature by a known key must verify, and at least one must. Throws NoteError otherwise.
 */
export function openNote(note: string, known: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const message = Buffer.from(text, 'utf8');
  const verifiedBy: NoteVerifier[] = [];
  for (const { name, keyId, signature } of signatures) {
    const matches = known.filter((k) => k.name === name && k.keyId === keyId);
    if (matches.length > 1) throw new NoteError(`ambiguous key ${name}+${hexId(keyId)}: several known keys have this name and ID`);
    const key = matches[0];
    if (!key) continue;
    if (signature.length !== ED25519_SIGNATURE_SIZE || !verify(null, message, key.publicKey, signature)) {
      throw new NoteError(`invalid signature for key ${name}+${hexId(keyId)}`);
    }
    if (!verifiedBy.includes(key)) verifiedBy.push(key);
  }
  if (verifiedBy.length === 0) throw new NoteError('note has no signature by a known key');
  return { text, verifiedBy };
}

function signatureLine(signer: NoteVerifier, signature: Uint8Array): string {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyId);
  return `${SIGNATURE_PREFIX}${signer.name} ${encodeBase64(Buffer.concat([id, signature]))}\n`;
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError('malformed note: a signature line must start with "\u2014 "');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new NoteError('malformed note: a signature line must be "— <key name> <base64 signature>"');
  const name = rest.slice(0, space);
  checkName(name, 'malformed note: signature key name');
  const bytes = decodeBase64(rest.slice(space + 1));
  if (!bytes || bytes.length < 5) throw new NoteError(`malformed note: the signature of ${name} is not base64 of a key ID and a signature`);
  return { name, keyId: Buffer.from(bytes).readUInt32BE(0), signature: bytes.subarray(4) };
}

/** `name+keyid+base64(0x01 ‖ 32 bytes)`, the common shape of both key strings. */
function splitKey(text: string, what: string): { name: string; keyId: number; key: Uint8Array } {
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new NoteError(`${what}: expected name+keyid+key`);
  const name = text.slice(0, first);
  const id = text.slice(first + 1, second);
  checkName(name, `${what}: name`);
  if (!/^[0-9a-fA-F]{8}$/.test(id)) throw new NoteError(`${what}: the key ID must be 8 hexadecimal digits`);
  const key = decodeBase64(text.slice(second + 1));
  if (!key || key.length !== 33 || key[0] !== ALG_ED25519) {
    throw new NoteError(`${what}: the key must be base64 of 0x01 (Ed25519) and 32 bytes`);
  }
  return { name, keyId: Number.parseInt(id, 16), key: key.subarray(1) };
}

function importKey(what: string, load: () => KeyObject): KeyObject {
  try {
    return load();
  } catch {
    throw new NoteError(`${what}: not a valid Ed25519 key`);
  }
}

/** A valid key name (C2SP): non-empty, without Unicode spaces or "+" (nor control characters). */
export function isKeyName(name: string): boolean {
  return name !== '' && !/[\p{White_Space}+\p{Cc}\p{Cs}]/u.test(name);
}

function checkName(name: string, what: string): void {
  if (!isKeyName(name)) throw new NoteError(`${what} must be non-empty, without spaces, "+" or control characters`);
}

/** Notes (C2SP) are valid UTF-8 without ASCII control characters other than newline. */
function checkNoteChars(note: string): void {
  if (/[\x00-\x09\x0b-\x1f]/.test(note)) throw new NoteError('malformed note: contains a control character other than newline');
  if (/\p{Cs}/u.test(note)) throw new NoteError('malformed note: is not valid Unicode');
}

function rawPublicKey(key: KeyObject): Uint8Array {
  return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

function withAlg(key: Uint8Array): Buffer {
  return Buffer.concat([Uint8Array.of(ALG_ED25519), key]);
}

function hexId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}
