// What fit, evaluate and predict read: the batch-source interface, and an in-memory source over
// arrays. @recur/data implements BatchSource structurally (without importing nn).
//
// A source fills preallocated batch-major buffers with the samples of one global batch that
// belong to (rank, world): ranks take contiguous, near-equal shares, in rank order, so the
// union over ranks is the whole batch and every sample is used once per epoch.
import { kernelBackend, nativeAllFinite, permutation } from '@recur/kernels';
import { allocateInts, type FloatAllocator } from '../arena.js';
import type { Batch } from '../batch.js';
import { fail, NnErrorCode } from '../errors.js';

/** Preallocated batch buffers (sized for the largest batch), batch-major. */
export interface BatchBuffers {
  x: Float32Array | null; // (B, T, F)
  ids: Int32Array | null; // (B, T)
  lengths: Int32Array; // (B)
  target: Float32Array | Int32Array | null; // (B, [T,] O) or (B[, T]) labels
  sampleIndex: Int32Array; // (B)
}

export interface BatchSource {
  /** samples per epoch */
  readonly size: number;
  /** whether samples carry lengths (variable-length sequences) */
  readonly hasLengths: boolean;
  /**
   * Fills `into` with rank `rank`'s share of global batch `batchIndex` (batches of `batchSize`)
   * of `epoch`, and returns how many samples it wrote.
   */
  /** Global batches per epoch (default ceil(size / batchSize); less when a source drops a remainder). */
  batchesPerEpoch?(batchSize: number): number;
  fill(
    into: BatchBuffers,
    epoch: number,
    batchIndex: number,
    batchSize: number,
    rank: number,
    world: number,
  ): number;
  /**
   * Fills `into` with rank `rank`'s contiguous share of positions [range.start, range.end) of
   * range.epoch's order (what a cluster coordinator assigns a machine); `fill` is this over one
   * global batch. Optional: a cluster node needs it.
   */
  fillRange?(into: BatchBuffers, range: SampleRange, batchSize: number, rank: number, world: number): number;
}

/** Positions [start, end) of the sample order of `epoch`. */
export interface SampleRange {
  epoch: number;
  start: number;
  end: number;
}

/** Numbers with a shape, as users hand them over (a tensor without a library). */
export interface ArrayData {
  data: Float32Array | Int32Array | ArrayLike<number>;
  /** batch-major: [N, T, F], [N, T], [N, F] or [N] */
  shape: number[];
  /** (N) real steps per sample for right-padded sequences */
  lengths?: Int32Array | ArrayLike<number>;
}

/** The contiguous share [start, end) of a batch of `count` samples that rank `rank` takes. */
export function rankShare(count: number, rank: number, world: number): [number, number] {
  const start = Math.floor((count * rank) / world);
  const end = Math.floor((count * (rank + 1)) / world);
  return [start, end];
}

export interface ArraySourceOptions {
  shuffle: boolean;
  seed: number;
  /** which samples of the arrays this source serves (a validation split); default all */
  indices?: Int32Array;
}

/** A BatchSource over in-memory arrays; shuffles with one permutation per (seed, epoch). */
export class ArraySource implements BatchSource {
  readonly size: number;
  readonly hasLengths: boolean;
  private readonly x: Float32Array | Int32Array;
  private readonly y: Float32Array | Int32Array | null;
  private readonly lengths: Int32Array | null;
  private readonly xPerSample: number;
  private readonly yPerSample: number;
  private readonly indices: Int32Array;
  private readonly order: Int32Array;
  private orderEpoch = -1;

  constructor(
    x: ArrayData,
    y: ArrayData | null,
    private readonly options: ArraySourceOptions,
  ) {
    const n = x.shape[0];
    this.x = x.data as Float32Array | Int32Array;
    this.y = y === null ? null : (y.data as Float32Array | Int32Array);
    this.lengths = x.lengths === undefined ? null : Int32Array.from(x.lengths);
    this.hasLengths = this.lengths !== null;
    this.xPerSample = x.shape.slice(1).reduce((a, b) => a * b, 1);
    this.yPerSample = y === null ? 0 : y.shape.slice(1).reduce((a, b) => a * b, 1);
    this.indices = options.indices ?? Int32Array.from({ length: n }, (_, i) => i);
    this.size = this.indices.length;
    this.order = new Int32Array(this.size);
  }

  private orderFor(epoch: number): Int32Array {
    if (this.orderEpoch === epoch) return this.order;
    if (this.options.shuffle) permutation(this.order, this.options.seed, epoch);
    else for (let i = 0; i < this.size; i++) this.order[i] = i;
    this.orderEpoch = epoch;
    return this.order;
  }

  fill(
    into: BatchBuffers,
    epoch: number,
    batchIndex: number,
    batchSize: number,
    rank: number,
    world: number,
  ): number {
    const first = batchIndex * batchSize;
    const count = Math.min(batchSize, this.size - first);
    return this.fillRange(into, { epoch, start: first, end: first + count }, batchSize, rank, world);
  }

  fillRange(into: BatchBuffers, range: SampleRange, _batchSize: number, rank: number, world: number): number {
    const order = this.orderFor(range.epoch);
    if (range.start < 0 || range.end < range.start || range.end > this.size) {
      fail(
        NnErrorCode.BAD_DATA,
        `fillRange: range [${range.start}, ${range.end}) must lie in [0, ${this.size}]`,
      );
    }
    const [start, end] = rankShare(range.end - range.start, rank, world);
    for (let k = start; k < end; k++) {
      const b = k - start;
      const sample = this.indices[order[range.start + k]];
      into.sampleIndex[b] = sample;
      copySample(into.x ?? into.ids, this.x, b, sample, this.xPerSample);
      if (this.y !== null && into.target !== null)
        copySample(into.target, this.y, b, sample, this.yPerSample);
      if (this.lengths !== null) into.lengths[b] = this.lengths[sample];
    }
    return end - start;
  }
}

function copySample(
  out: Float32Array | Int32Array | null,
  from: Float32Array | Int32Array,
  b: number,
  sample: number,
  perSample: number,
): void {
  if (out === null) return;
  const i = sample * perSample;
  out.set(from.subarray(i, i + perSample), b * perSample); // a memcpy where both are one type
}

/** A heap allocator: fresh zeroed floats each call (batch buffers outside any arena). */
const heap: FloatAllocator = { allocate: (n) => new Float32Array(n) };

/**
 * Buffers for batches of up to `maxBatch` samples of the given per-sample sizes, from
 * `allocator` (an arena region, for threads) or the heap.
 */
export function allocateBatchBuffers(
  maxBatch: number,
  xPerSample: number,
  ids: boolean,
  yPerSample: number,
  labels: boolean,
  allocator: FloatAllocator = heap,
): BatchBuffers {
  const floats = (n: number) => allocator.allocate(n);
  const ints = (n: number) => allocateInts(allocator, n);
  return {
    x: ids ? null : floats(maxBatch * xPerSample),
    ids: ids ? ints(maxBatch * xPerSample) : null,
    lengths: ints(maxBatch),
    target: yPerSample === 0 ? null : labels ? ints(maxBatch * yPerSample) : floats(maxBatch * yPerSample),
    sampleIndex: ints(maxBatch),
  };
}

/** A Batch view over filled buffers. */
export function batchOf(buffers: BatchBuffers, B: number, T: number, hasLengths: boolean): Batch {
  return {
    B,
    T,
    x: buffers.x,
    ids: buffers.ids,
    lengths: hasLengths ? buffers.lengths : null,
    target: buffers.target,
    sampleIndex: buffers.sampleIndex,
  };
}

/** Checks user arrays against the model's input and output shapes; converts plain arrays. */
export function checkArrayData(
  what: 'x' | 'y',
  value: ArrayData,
  perSample: number[],
  kind: 'float' | 'ids' | 'labels',
  limit: number,
): ArrayData {
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray(value.shape) ||
    value.data === undefined
  ) {
    fail(NnErrorCode.BAD_DATA, `${what}: give { data, shape } (batch-major), got ${typeof value}`);
  }
  const expected = [value.shape[0], ...perSample];
  if (value.shape.length !== expected.length || value.shape.some((d, i) => i > 0 && d !== expected[i])) {
    fail(
      NnErrorCode.BAD_DATA,
      `${what}: expected shape [N, ${perSample.join(', ')}], got [${value.shape.join(', ')}]`,
    );
  }
  const n = value.shape[0];
  if (!Number.isInteger(n) || n < 1)
    fail(NnErrorCode.BAD_DATA, `${what}: needs at least one sample, got shape [${value.shape.join(', ')}]`);
  const size = value.shape.reduce((a, b) => a * b, 1);
  if (value.data.length !== size) {
    fail(
      NnErrorCode.BAD_DATA,
      `${what}: shape [${value.shape.join(', ')}] needs ${size} values, data has ${value.data.length}`,
    );
  }
  const data = kind === 'float' ? Float32Array.from(value.data) : Int32Array.from(value.data);
  if (kind === 'float' && knownFinite(data as Float32Array))
    return withLengths(what, value, data, n, perSample);
  for (let i = 0; i < size; i++) {
    const v = data[i];
    if (kind === 'float' ? !Number.isFinite(v) : v < 0 || v >= limit || v !== value.data[i]) {
      const sample = Math.floor(i / Math.max(1, size / n));
      const rule = kind === 'float' ? 'a finite number' : `an integer in [0, ${limit})`;
      fail(NnErrorCode.BAD_DATA, `${what}: sample ${sample} has ${value.data[i]} where ${rule} is needed`);
    }
  }
  return withLengths(what, value, data, n, perSample);
}

/**
 * Whether every value is finite, in one native pass (7 against 19–27 ms for 41 MB here) when
 * the native backend runs; false means "not known": the loop then decides, and names the first
 * value that is not finite.
 */
function knownFinite(data: Float32Array): boolean {
  if (kernelBackend().name !== 'native') return false;
  return nativeAllFinite()?.(data) ?? false;
}

/** The checked array data, with its lengths checked when it has them. */
function withLengths(
  what: 'x' | 'y',
  value: ArrayData,
  data: Float32Array | Int32Array,
  n: number,
  perSample: number[],
): ArrayData {
  const lengths =
    value.lengths === undefined ? undefined : checkLengths(what, value.lengths, n, perSample[0]);
  return lengths === undefined ? { data, shape: value.shape } : { data, shape: value.shape, lengths };
}

function checkLengths(what: string, lengths: ArrayLike<number>, n: number, maxSteps: number): Int32Array {
  if (lengths.length !== n)
    fail(NnErrorCode.BAD_DATA, `${what}.lengths: expected ${n} lengths, got ${lengths.length}`);
  const out = Int32Array.from(lengths);
  out.forEach((len, i) => {
    if (!(len >= 1 && len <= maxSteps) || len !== lengths[i]) {
      fail(
        NnErrorCode.BAD_DATA,
        `${what}.lengths: sample ${i} has length ${lengths[i]}, expected an integer in [1, ${maxSteps}]`,
      );
    }
  });
  return out;
}
