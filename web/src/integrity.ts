/**
 * Checks in the browser that an event as the dashboard shows it is in the tenant's signed log,
 * without taking the server's word: the leaf hash is recomputed from the shown event (RFC 8785
 * canonical JSON, as Vigil hashes it), the inclusion proof is followed from that leaf to a root,
 * and that root and tree size must be the ones the signed checkpoint note states.
 */
import canonicalize from 'canonicalize';
import type { StoredEvent } from './api.js';
import { fromBase64, leafHash, rootFromInclusionProof, sameBytes } from './merkle.js';

/** What `GET /v1/audit/logs/{id}` adds to the stored event. */
export interface EventWithProof extends StoredEvent {
  /** SHA-256(0x00 ‖ the stored canonical JSON), base64. */
  leaf_hash: string;
  /** Inclusion in the latest checkpoint; null while the tenant's tree fails its integrity check. */
  proof: { size: number; root: string; checkpoint: string; hashes: string[] } | null;
}

export type Verdict = { verified: true; origin: string; size: number } | { verified: false; reason: string };

/** The origin, size and root a C2SP checkpoint note states (its first three lines). */
export function checkpointBody(note: string): { origin: string; size: number; root: string } {
  const [origin = '', size = '', root = ''] = note.split('\n');
  return { origin, size: Number(size), root };
}

export async function verifyEvent(shown: StoredEvent, served: EventWithProof): Promise<Verdict> {
  const { proof } = served;
  if (!proof) return { verified: false, reason: "the server has no valid proof: the tenant's log failed its integrity check" };
  const text = canonicalize(shown);
  if (text === undefined) return { verified: false, reason: 'the event has no JSON form' };
  const leaf = await leafHash(new TextEncoder().encode(text));
  if (!sameBytes(leaf, fromBase64(served.leaf_hash))) return { verified: false, reason: 'the event shown differs from the one in the log' };
  try {
    const root = await rootFromInclusionProof(shown.seq, proof.size, leaf, proof.hashes.map(fromBase64));
    if (!sameBytes(root, fromBase64(proof.root))) return { verified: false, reason: 'the inclusion proof does not lead to the checkpoint root' };
  } catch (err) {
    return { verified: false, reason: `the inclusion proof is malformed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const signed = checkpointBody(proof.checkpoint);
  if (signed.size !== proof.size || signed.root !== proof.root) return { verified: false, reason: 'the proof is not for the signed checkpoint' };
  return { verified: true, origin: signed.origin, size: signed.size };
}
