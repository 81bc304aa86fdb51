// The arena: one backing buffer that hands out 64-byte-aligned Float32Array ranges. All numbers
// of a training process live in it (params, gradient slots, optimizer moments, each rank's
// workspace), so threads can share it and a step allocates nothing (DESIGN.md, "The memory
// model"). It never grows: size it first with a SizeCounter, running the same allocations.
// Ranges are aligned from the arena's base; Arena.create puts the base at a line-aligned address
// when the kernels can tell where that is (@recur/kernels' alignedOrigin), so that aligned from
// the base is aligned in memory too.
import { fail, NnErrorCode } from './errors.js';

export const ARENA_ALIGNMENT_BYTES = 64;

/** A shared WebAssembly.Memory, or anything else that exposes its bytes as `buffer`. */
export interface MemoryLike {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

export type BackingBuffer = ArrayBuffer | SharedArrayBuffer | MemoryLike;

const isMemoryLike = (b: BackingBuffer): b is MemoryLike =>
  !(b instanceof ArrayBuffer) &&
  !(typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer);

/** `bytes` rounded up to the arena alignment. */
export const alignUp = (bytes: number): number =>
  Math.ceil(bytes / ARENA_ALIGNMENT_BYTES) * ARENA_ALIGNMENT_BYTES;

/** Anything that hands out float buffers: the arena, or a counter that only measures. */
export interface FloatAllocator {
  allocate(length: number): Float32Array;
}

/** `n` int32s from a float allocator (same size and alignment); empty on a SizeCounter's dry run. */
export function allocateInts(allocator: FloatAllocator, n: number): Int32Array {
  const f = allocator.allocate(n);
  return f.length === n ? new Int32Array(f.buffer, f.byteOffset, n) : new Int32Array(0);
}

/** Counts the bytes a sequence of allocations needs in an arena, without allocating them. */
export class SizeCounter implements FloatAllocator {
  bytes = 0;
  private static readonly empty = new Float32Array(0);

  allocate(length: number): Float32Array {
    this.bytes = alignUp(this.bytes) + length * 4;
    return SizeCounter.empty;
  }
}

export class Arena implements FloatAllocator {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  private next: number;
  /** the first usable byte */
  readonly base: number;
  readonly end: number;

  /**
   * @param backing the memory; a WebAssembly.Memory is used through its buffer
   * @param baseOffset first usable byte (leave room for a WebAssembly module's static data)
   * @param byteLength bytes from baseOffset that this arena may use (default: to the end)
   */
  constructor(backing: BackingBuffer, baseOffset = 0, byteLength?: number) {
    this.buffer = isMemoryLike(backing) ? backing.buffer : backing;
    if (!Number.isInteger(baseOffset) || baseOffset < 0 || baseOffset % 4 !== 0) {
      fail(NnErrorCode.BAD_OPTION, `arena: baseOffset must be a multiple of 4 bytes, got ${baseOffset}`);
    }
    this.next = baseOffset;
    this.base = baseOffset;
    this.end = byteLength === undefined ? this.buffer.byteLength : baseOffset + byteLength;
    if (this.end > this.buffer.byteLength) {
      fail(
        NnErrorCode.BAD_OPTION,
        `arena: ${this.end} bytes asked for, but the backing buffer has ${this.buffer.byteLength}`,
      );
    }
  }

  /**
   * A shared or private buffer for `bytes` (rounded up to the alignment), one line longer so that
   * the arena can start at `origin(buffer)`: the buffer's first byte at a line-aligned address
   * (@recur/kernels' alignedOrigin; 0 where it cannot be known).
   */
  static create(
    bytes: number,
    shared: boolean,
    origin: (buffer: ArrayBuffer | SharedArrayBuffer) => number = () => 0,
  ): Arena {
    const size = alignUp(Math.max(bytes, ARENA_ALIGNMENT_BYTES));
    const buffer = shared
      ? new SharedArrayBuffer(size + ARENA_ALIGNMENT_BYTES)
      : new ArrayBuffer(size + ARENA_ALIGNMENT_BYTES);
    const base = origin(buffer);
    return new Arena(buffer, base, size);
  }

  /** The next `length` floats, 64-byte aligned, zero-filled on creation of the buffer. */
  allocate(length: number): Float32Array {
    const start = this.base + alignUp(this.next - this.base);
    const stop = start + length * 4;
    if (stop > this.end) {
      fail(
        NnErrorCode.LIMIT_EXCEEDED,
        `arena: out of memory (${stop - this.end} bytes short); size it with a SizeCounter first`,
      );
    }
    this.next = stop;
    return new Float32Array(this.buffer, start, length);
  }

  /** Bytes handed out so far, from the start of the buffer. */
  get used(): number {
    return this.next;
  }
}
