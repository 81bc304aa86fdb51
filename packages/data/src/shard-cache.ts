// A least-recently-used cache of fixed-size file blocks for the streaming shard reader: it never
// holds more than `limitBytes`, and once full it recycles the oldest block's buffer for the next
// miss, so reading allocates nothing in steady state. Not a file reader itself: the caller's
// `load` fills a block. Blocks are 4-byte aligned, so typed views read their values in place.

/** One cached block with typed views over the same bytes. */
export interface Block {
  key: number;
  bytes: Buffer; // (blockBytes)
  f32: Float32Array; // (blockBytes / 4)
  i32: Int32Array; // (blockBytes / 4)
  length: number; // bytes filled by load
}

export class BlockCache {
  // Map iteration order is insertion order: the first entry is the least recently used.
  private readonly blocks = new Map<number, Block>();
  private held = 0; // bytes of allocated blocks, cached or in flight
  private newest = -1; // key of the most recently used block (skips reordering on repeats)

  constructor(
    readonly blockBytes: number,
    readonly limitBytes: number,
  ) {}

  /** Bytes of block buffers held now (≤ limitBytes). */
  get bytes(): number {
    return this.held;
  }

  /** The block `key`; on a miss `load(into)` fills a recycled or new buffer and returns its length. */
  get(key: number, load: (into: Buffer) => number): Block {
    const hit = this.blocks.get(key);
    if (hit !== undefined) {
      if (key !== this.newest) {
        this.blocks.delete(key);
        this.blocks.set(key, hit);
        this.newest = key;
      }
      return hit;
    }
    const block = this.take();
    try {
      block.length = load(block.bytes);
    } catch (e) {
      this.held -= this.blockBytes; // drop the buffer rather than cache a half-filled block
      throw e;
    }
    block.key = key;
    this.blocks.set(key, block);
    this.newest = key;
    return block;
  }

  /** Frees every block. */
  clear(): void {
    this.blocks.clear();
    this.held = 0;
    this.newest = -1;
  }

  /** A new buffer while under the limit, else the least recently used block, evicted. */
  private take(): Block {
    if (this.held + this.blockBytes <= this.limitBytes || this.blocks.size === 0) {
      this.held += this.blockBytes;
      const buffer = new ArrayBuffer(this.blockBytes);
      return {
        key: -1,
        bytes: Buffer.from(buffer),
        f32: new Float32Array(buffer),
        i32: new Int32Array(buffer),
        length: 0,
      };
    }
    const [key, oldest] = this.blocks.entries().next().value as [number, Block];
    this.blocks.delete(key);
    return oldest;
  }
}
