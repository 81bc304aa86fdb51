// Buffers for the frames that carry a tensor, reused (issue 16: the exchange's cost). Every step
// a node encodes a gradient and the coordinator its parameters: 4·P bytes each, which would be
// a fresh buffer per step for the garbage collector to find (on 2 cores its marking competes
// with the members' compute). A buffer goes back to the pool only when every send of it has
// been written to its socket (ws calls back then, or with an error once the socket is gone) and
// the turn of the event loop that encoded it has ended, so no queued write ever sees it change;
// the frame it held forgets its cached bytes then (a later send encodes it again). A frame sent
// while every pooled buffer is still being written gets a buffer of its own. A node that sends its
// gradient in pieces (bucketBytes) has a pool of its own, with room for every piece in flight.
import { encodeFrame, type Frame } from '@recur/protocol';

/** Buffers kept for reuse: a gradient or a broadcast in flight and the next one being encoded. */
export const POOLED_SEND_BUFFERS = 3;

interface Pooled {
  memory: Uint8Array;
  /** sends handed to ws and not yet called back */
  writing: number;
  /** the frame whose bytes it holds (its cache entry goes when the buffer is reused) */
  frame: Frame | null;
}

export class SendBuffers {
  private readonly pool: Pooled[] = [];
  private readonly byBytes = new WeakMap<Uint8Array, Pooled>();
  private readonly encoded = new WeakMap<Frame, Uint8Array>();

  /** `capacity`: how many buffers are kept for reuse */
  constructor(private readonly capacity = POOLED_SEND_BUFFERS) {}

  /** The frame's bytes, encoded on first use (a frame is not changed after it is sent). */
  bytes(frame: Frame): Uint8Array {
    let bytes = this.encoded.get(frame);
    if (bytes === undefined) {
      bytes = encodeFrame(frame, (n) => this.allocate(n, frame));
      this.encoded.set(frame, bytes);
    }
    return bytes;
  }

  /** A send of `bytes` was handed to ws; call the returned function when ws calls back. */
  sending(bytes: Uint8Array): () => void {
    const pooled = this.byBytes.get(bytes);
    if (pooled === undefined) return () => {};
    pooled.writing += 1;
    return () => {
      pooled.writing -= 1;
    };
  }

  /** Buffers pooled so far (tests). */
  get size(): number {
    return this.pool.length;
  }

  private allocate(n: number, frame: Frame): Uint8Array {
    // the smallest free buffer that holds n bytes: pieces of mixed sizes keep their buffers
    let pooled: Pooled | undefined;
    for (const p of this.pool) {
      const fits = p.writing === 0 && p.memory.byteLength >= n;
      if (fits && (pooled === undefined || p.memory.byteLength < pooled.memory.byteLength)) pooled = p;
    }
    if (pooled === undefined && this.pool.length < this.capacity) {
      pooled = { memory: new Uint8Array(0), writing: 0, frame: null };
      this.pool.push(pooled);
    }
    // a full pool: a free buffer grows rather than a fresh one each time (pieces of mixed sizes)
    pooled ??= this.pool.find((p) => p.writing === 0);
    if (pooled === undefined) return Buffer.allocUnsafe(n);
    if (pooled.memory.byteLength < n) pooled.memory = Buffer.allocUnsafeSlow(n); // its own memory, not a slab
    // held to the end of this turn of the event loop, which sends it (a broadcast sends one
    // frame to every member in one turn); each send holds it on until ws calls back
    pooled.writing += 1;
    setImmediate(() => {
      pooled.writing -= 1;
    });
    if (pooled.frame !== null) this.encoded.delete(pooled.frame);
    pooled.frame = frame;
    const bytes = pooled.memory.subarray(0, n);
    this.byBytes.set(bytes, pooled);
    return bytes;
  }
}
