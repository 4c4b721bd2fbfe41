import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProofError } from '../src/integrity/errors.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { appendLeaves } from '../src/integrity/tiles.js';
import { verifyConsistency, verifyInclusion } from '../src/integrity/verify-proof.js';

/**
 * The transparency-dev/merkle proof-verification vectors and the RFC 6962 reference tree, read
 * from the shared test data beside the repository (`<repo>/../shared/testdata`).
 */
const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'testdata', 'merkle');

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? jsonFiles(path) : name.endsWith('.json') ? [path] : [];
    })
    .sort();
}

function load<T>(kind: string): [string, T][] {
  const dir = join(TESTDATA, kind);
  return jsonFiles(dir).map((path) => [relative(dir, path), JSON.parse(readFileSync(path, 'utf8')) as T]);
}

const b64 = (text: string): Uint8Array => Buffer.from(text, 'base64');
const proofOf = (proof: string[] | null): Uint8Array[] => (proof ?? []).map(b64);

/** Runs a verification: the ProofError it throws, or null when it verified. */
function outcome(verify: () => void): ProofError | null {
  try {
    verify();
    return null;
  } catch (error) {
    if (error instanceof ProofError) return error;
    throw error;
  }
}

const inclusion = load<InclusionVector>('inclusion');
const consistency = load<ConsistencyVector>('consistency');

describe('RFC 9162 proof-verification vectors (transparency-dev/merkle)', () => {
  it('has all 98 inclusion and 98 consistency vectors', () => {
    expect(inclusion).toHaveLength(98);
    expect(consistency).toHaveLength(98);
  });

  it.each(inclusion)('inclusion %s', (_name, v) => {
    const error = outcome(() => verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), proofOf(v.proof), b64(v.root)));
    if (v.wantErr) expect(error).toBeInstanceOf(ProofError);
    else expect(error).toBeNull();
  });

  it.each(consistency)('consistency %s', (_name, v) => {
    const error = outcome(() => verifyConsistency(v.size1, v.size2, proofOf(v.proof), b64(v.root1), b64(v.root2)));
    if (v.wantErr) expect(error).toBeInstanceOf(ProofError);
    else expect(error).toBeNull();
  });
});

describe('RFC 6962 reference tree', () => {
  const reference = JSON.parse(readFileSync(join(TESTDATA, 'reference.json'), 'utf8')) as {
    leaf_inputs_hex: string[];
    root_by_size_hex: string[];
  };

  it('reproduces the root of every prefix of the reference leaves, appended one at a time', () => {
    const leaves = reference.leaf_inputs_hex.map((input) => hashLeaf(Buffer.from(input, 'hex')));
    let tree = appendLeaves(0, new Map(), []);
    const roots = [Buffer.from(tree.root).toString('hex')];
    for (const leaf of leaves) {
      tree = appendLeaves(tree.size, tree.edge, [leaf]);
      roots.push(Buffer.from(tree.root).toString('hex'));
    }
    expect(roots).toEqual(reference.root_by_size_hex);
  });

  it('reproduces the root of all eight leaves appended at once', () => {
    const leaves = reference.leaf_inputs_hex.map((input) => hashLeaf(Buffer.from(input, 'hex')));
    expect(Buffer.from(appendLeaves(0, new Map(), leaves).root).toString('hex')).toBe(reference.root_by_size_hex[8]);
  });
});
