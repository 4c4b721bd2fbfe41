import { HASH_SIZE } from './hash.js';

/** Hashes in a full tile (tiles.ts TILE_WIDTH), kept here so that tiles.ts can import this module. */
const TILE_BYTES = 256 * HASH_SIZE;
/** The smallest buffer a tile gets: a log of a few events keeps a few hashes, not a whole tile's room. */
const MIN_BYTES = 8 * HASH_SIZE;

/** A tile's buffer (at most a whole tile's room), and how many hashes some edge tile has written into it. */
interface Room {
  bytes: Uint8Array;
  filled: number;
}

/**
 * A right-edge partial tile: its hashes, concatenated. An append writes its hashes into the
 * tile's buffer after the ones it has, so that extending a tree by a few leaves costs a few
 * hashes, not a copy of up to 255 (each group commit extends the partial tile of every tenant
 * it touches). The buffer doubles when full, up to a whole tile, so that the many small logs of
 * a store with many tenants hold about what they use. A tile never changes once made: when the
 * buffer is already filled past this tile's hashes — another append was made from the same
 * tree, say one whose transaction rolled back — the append copies them into a buffer of its own
 * first.
 */
export class EdgeTile {
  private constructor(
    private readonly room: Room,
    /** Number of hashes. */
    readonly width: number,
  ) {}

  static readonly EMPTY = new EdgeTile({ bytes: new Uint8Array(0), filled: 0 }, 0);

  /** A tile of `hashes` (concatenated 32-byte hashes, copied). */
  static of(hashes: Uint8Array): EdgeTile {
    if (hashes.length % HASH_SIZE !== 0 || hashes.length >= TILE_BYTES) throw new Error(`an edge tile holds 0 to 255 hashes, not ${hashes.length} bytes`);
    return EdgeTile.EMPTY.with(hashes);
  }

  /** The hashes, concatenated: a view that stays valid and unchanged. */
  get hashes(): Uint8Array {
    return this.room.bytes.subarray(0, this.width * HASH_SIZE);
  }

  /** This tile with `hashes` (concatenated 32-byte hashes) after its own. */
  with(hashes: Uint8Array): EdgeTile {
    const width = this.width + hashes.length / HASH_SIZE;
    let room = this.room;
    if (room.filled !== this.width || room.bytes.length < width * HASH_SIZE) {
      const bytes = new Uint8Array(Math.min(TILE_BYTES, Math.max(width * HASH_SIZE, 2 * room.bytes.length, MIN_BYTES)));
      bytes.set(this.hashes);
      room = { bytes, filled: this.width };
    }
    room.bytes.set(hashes, this.width * HASH_SIZE);
    room.filled = width;
    return new EdgeTile(room, width);
  }
}
