import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashLeaf } from '../../integrity/hash.js';
import { appendLeaves, tileKeyString, type TileKey } from '../../integrity/tiles.js';
import { migrate } from './migrations.js';
import { TreeCache } from './tree-cache.js';

const TENANT = 1;

describe('TreeCache tiles', () => {
  let db: Database.Database;
  let trees: TreeCache;
  const leaves: Uint8Array[] = [];

  beforeEach(() => {
    db = new Database(':memory:');
    migrate(db);
    trees = new TreeCache(db);
    leaves.length = 0;
  });
  afterEach(() => db.close());

  /** Appends `n` leaves as the Appender does, and returns the rows the append inserted, changed or deleted. */
  function append(n: number): number {
    const tree = trees.get(TENANT);
    const added = Array.from({ length: n }, (_, i) => hashLeaf(`leaf ${leaves.length + i}`));
    leaves.push(...added);
    const outcome = appendLeaves(tree.size, tree.edge, added, tree.range);
    const changes = () => db.prepare<[], number>('SELECT total_changes()').pluck().get()!;
    const before = changes();
    trees.write(TENANT, tree.size, outcome);
    trees.set(TENANT, { size: outcome.size, root: outcome.root, edge: outcome.edge, range: outcome.range });
    return changes() - before;
  }

  /** Every tile of the tree so far, as one append of all its leaves from nothing computes them. */
  function expectedTiles(): Map<string, Uint8Array> {
    const { writes } = appendLeaves(0, new Map(), leaves);
    return new Map(writes.map((w) => [tileKeyString(w), new Uint8Array(w.hashes)]));
  }

  it('writes only the strips of a partial tile that an append grows, and the head', () => {
    expect(append(40)).toBe(3 + 1); // strips 0–2 of tile 0/0
    expect(append(1)).toBe(1 + 1); // strip 2 grows
    expect(append(7)).toBe(1 + 1); // strip 2 fills
    expect(append(1)).toBe(1 + 1); // strip 3 begins
    expect(db.prepare('SELECT strip, length(hashes) AS bytes FROM merkle_edge ORDER BY strip').all()).toEqual([
      { strip: 0, bytes: 512 },
      { strip: 1, bytes: 512 },
      { strip: 2, bytes: 512 },
      { strip: 3, bytes: 32 },
    ]);
  });

  it('moves a tile that became full from its strips to merkle_tiles', () => {
    append(49);
    // Tile 0/0 full (one row in, four strips out), 0/1 begun (strips 0–2), 1/0 begun (one strip), and the head.
    expect(append(250)).toBe(1 + 4 + 3 + 1 + 1);
    expect(db.prepare('SELECT level, idx, length(hashes) AS bytes FROM merkle_tiles').all()).toEqual([{ level: 0, idx: 0, bytes: 8192 }]);
    expect(db.prepare('SELECT level, idx, count(*) AS strips FROM merkle_edge GROUP BY level, idx ORDER BY level').all()).toEqual([
      { level: 0, idx: 1, strips: 3 },
      { level: 1, idx: 0, strips: 1 },
    ]);
  });

  it('reads back every tile as the whole tree computes it, and a reloaded cache resumes the tree', () => {
    for (const n of [1, 15, 16, 17, 200, 7, 300, 1, 256, 600]) append(n);
    const keys: TileKey[] = [...expectedTiles().keys()].map((key) => {
      const [level, index] = key.split('/').map(Number);
      return { level: level!, index: index! };
    });
    expect(trees.readTiles(TENANT, keys)).toEqual(expectedTiles());
    expect(trees.readTiles(TENANT, [{ level: 0, index: 99 }]).size).toBe(0);
    trees = new TreeCache(db);
    append(5);
    const { root } = appendLeaves(0, new Map(), leaves);
    expect(trees.get(TENANT).root).toEqual(root);
    expect(db.prepare('SELECT root FROM tree_heads WHERE tenant_id = ?').pluck().get(TENANT)).toEqual(Buffer.from(root));
  });

  it('refuses to shrink a strip or to delete the strips of a tile not stored full', () => {
    append(40);
    expect(() => db.prepare('UPDATE merkle_edge SET hashes = substr(hashes, 1, 64) WHERE strip = 2').run()).toThrow('merkle tiles only grow');
    expect(() => db.prepare('DELETE FROM merkle_edge WHERE strip = 0').run()).toThrow('a partial merkle tile is deleted only once stored full');
  });
});
