/**
 * The two ways integrity input can be wrong. Both are plain errors of this module; the HTTP and
 * CLI layers turn them into a `VigilError` (400) or a failed verification.
 */

/** A proof that does not verify, or a request for a proof that cannot exist. */
export class ProofError extends Error {
  /** The input at fault: `leafIndex`, `treeSize`, `size1`, `size2`, `proof`, `proof[3]`, `root`… */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ProofError';
    this.field = field;
  }
}

/** A signed note, key string or checkpoint that is malformed or whose signature does not verify. */
export class NoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoteError';
  }
}
