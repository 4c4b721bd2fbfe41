/**
 * The Merkle tiles' share of a group commit, without the database: `appendLeaves` for every
 * tenant a group touches, as the stores call it, over tenants of Zipf-distributed volume. Small
 * groups (single events) touch many tenants with a few leaves each, where the partial tiles'
 * upkeep is paid per tenant rather than per leaf.
 *
 *   node --import tsx bench/tile-append.ts [--leaves 300000] [--group 64] [--tenants 100] [--rounds 3]
 *
 * Prints CPU microseconds per leaf for each round and the fastest, and the tile bytes each leaf
 * makes the store write (partial tiles are rewritten whole at every append that touches them).
 */
import { parseArgs } from 'node:util';
import { CompactRange } from '../src/integrity/compact-range.js';
import type { EdgeTile } from '../src/integrity/edge-tile.js';
import { hashLeaf } from '../src/integrity/hash.js';
import { appendLeaves } from '../src/integrity/tiles.js';
import { seeded, Zipf } from './random.js';

const { values } = parseArgs({
  options: { leaves: { type: 'string', default: '300000' }, group: { type: 'string', default: '64' }, tenants: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' } },
});
const LEAVES = Number(values.leaves);
const GROUP = Number(values.group);
const TENANTS = Number(values.tenants);
const ROUNDS = Number(values.rounds);

interface Tree {
  size: number;
  edge: ReadonlyMap<number, EdgeTile>;
  range: CompactRange;
}

const hashes = Array.from({ length: 4096 }, (_, i) => hashLeaf(`leaf ${i}`));

/** One pass over LEAVES leaves in groups of GROUP; returns CPU µs per leaf and tile bytes written per leaf. */
function pass(): { cpuUs: number; tileBytes: number } {
  const random = seeded(42);
  const tenants = new Zipf(TENANTS, 1);
  const trees: Tree[] = Array.from({ length: TENANTS }, () => ({ size: 0, edge: new Map(), range: new CompactRange() }));
  let tileBytes = 0;
  const started = process.cpuUsage();
  for (let done = 0; done < LEAVES; done += GROUP) {
    const groups = new Map<number, Uint8Array[]>();
    for (let i = 0; i < GROUP; i++) {
      const tenant = tenants.draw(random);
      let leaves = groups.get(tenant);
      if (!leaves) groups.set(tenant, (leaves = []));
      leaves.push(hashes[(done + i) % hashes.length]!);
    }
    for (const [tenant, leaves] of groups) {
      const tree = trees[tenant]!;
      const outcome = appendLeaves(tree.size, tree.edge, leaves, tree.range);
      for (const write of outcome.writes) tileBytes += write.hashes.length;
      trees[tenant] = { size: outcome.size, edge: outcome.edge, range: outcome.range };
    }
  }
  const used = process.cpuUsage(started);
  return { cpuUs: (used.user + used.system) / LEAVES, tileBytes: tileBytes / LEAVES };
}

const results = Array.from({ length: ROUNDS }, (_, round) => {
  const result = pass();
  console.log(`round ${round + 1}: ${result.cpuUs.toFixed(2)} µs CPU per leaf, ${result.tileBytes.toFixed(0)} tile bytes written per leaf`);
  return result;
});
console.log(`fastest: ${Math.min(...results.map((r) => r.cpuUs)).toFixed(2)} µs CPU per leaf (${LEAVES.toLocaleString('en-US')} leaves in groups of ${GROUP} over ${TENANTS} tenants)`);
