import type { EventRow } from '../store/store.js';

/**
 * JSON Lines: each event's stored canonical JSON, byte for byte as hashed into its Merkle leaf,
 * one per line. A reader can recompute every leaf hash from the file alone.
 */
export function jsonlLines(rows: readonly EventRow[]): string {
  let out = '';
  for (const row of rows) out += `${row.body}\n`;
  return out;
}
