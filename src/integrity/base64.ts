/** Standard padded base64 (RFC 4648 §4), as signed notes and checkpoints use it. */

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/**
 * The bytes of `text`, or null unless it is canonical standard base64. Node's own decoder skips
 * characters it does not know, which would let two different strings name the same key.
 */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : null;
}
