/**
 * JSON Lines: each event's stored canonical JSON, byte for byte as hashed into its Merkle leaf,
 * one per line. A reader can recompute every leaf hash from the file alone.
 */
export function jsonlLines(bodies: readonly string[]): string {
  let out = '';
  for (const body of bodies) out += `${body}\n`;
  return out;
}
