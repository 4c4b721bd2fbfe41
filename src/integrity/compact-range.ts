import { EMPTY_ROOT, hashChildren } from './hash.js';

/**
 * The compact range [0, size) of an RFC 9162 tree: the roots of the perfect subtrees its leaves
 * make up, largest first (one per set bit of `size`). Appending a leaf merges equal-height
 * subtrees, O(1) hashes amortised and O(log n) memory, so a verifier streams any number of
 * leaves and still gets the root — and the root of every prefix it passes through.
 */
export class CompactRange {
  private readonly peaks: Uint8Array[] = [];
  private count = 0;

  /**
   * The range of a tree of `size` leaves whose perfect-subtree roots are `peaks`, largest first
   * (one per set bit of `size`), to go on appending to it.
   */
  static resume(size: number, peaks: readonly Uint8Array[]): CompactRange {
    const range = new CompactRange();
    range.count = size;
    range.peaks.push(...peaks);
    return range;
  }

  /** An independent copy, to append to without changing this one. */
  clone(): CompactRange {
    return CompactRange.resume(this.count, this.peaks);
  }

  /** Number of leaves appended. */
  get size(): number {
    return this.count;
  }

  /** Appends the hash of leaf number `size`. */
  append(leafHash: Uint8Array): void {
    let hash = leafHash;
    // Each trailing 1 bit of the old size is a subtree of the new leaf's height: merge it.
    for (let n = this.count; n % 2 === 1; n = (n - 1) / 2) hash = hashChildren(this.peaks.pop()!, hash);
    this.peaks.push(hash);
    this.count++;
  }

  /** MTH of the leaves appended so far: the peaks hashed together from the right. */
  root(): Uint8Array {
    const last = this.peaks[this.peaks.length - 1];
    if (!last) return EMPTY_ROOT;
    let root = last;
    for (let i = this.peaks.length - 2; i >= 0; i--) root = hashChildren(this.peaks[i]!, root);
    return root;
  }
}
