import { createHash } from 'node:crypto';

/** A deliberately simple recursive RFC 9162 MTH, for checking the fast code in tests. */
export function referenceRoot(leaves: readonly (string | Uint8Array)[]): Buffer {
  const sha = (...parts: (Uint8Array | string)[]) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const mth = (from: number, to: number): Buffer => {
    const n = to - from;
    if (n === 0) return sha();
    if (n === 1) return sha(Buffer.from([0]), leaves[from]!);
    let k = 1;
    while (k * 2 < n) k *= 2;
    return sha(Buffer.from([1]), mth(from, from + k), mth(from + k, to));
  };
  return mth(0, leaves.length);
}
