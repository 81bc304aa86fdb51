// Batching: a SequenceDataset seen as @recur/nn's BatchSource (met structurally, never
// imported). `fill` writes rank r's share of a global batch into preallocated batch-major
// buffers, right-padded: x (B, T, F) or ids (B, T), target (B, O), lengths (B), sampleIndex (B).
// Which samples form the batch is the Sampler's (sampler.ts, Note [exactly once]); optional
// bucketing by length reorders each chunk of the epoch's permutation. Not here: reading samples
// (each data set's `read`), allocation of buffers (dataset.ts allocateBatchBuffers).
//
// Note [bucketing]: with `bucketing: { bucketSize: K }` the permutation of an epoch is cut into
// chunks of K·S positions (S the batch size); each chunk is sorted by sample length (ties keep
// permutation order), then batches are cut as usual. Chunks are whole batches, so a batch never
// spans two chunks; sorting a chunk only permutes it, so every sample is still used exactly
// once per epoch, and it is as deterministic as the permutation. Lengths are read once, when the
// source is built (one `read` per sample into a one-row scratch), unless given.
import { allocateBatchBuffers, type BatchBuffers, type SequenceDataset } from './dataset.js';
import { DataErrorCode, fail } from './errors.js';
import { checkRank, type SampleRange, Sampler, splitRange } from './sampler.js';

const bad = (message: string): never => fail(DataErrorCode.BAD_OPTION, `batchSource: ${message}`);

export interface BucketingOptions {
  /** batches per chunk sorted by length (K); a positive integer */
  bucketSize: number;
  /** (N) sample lengths, if known, to spare a pass over the data set */
  lengths?: Int32Array;
}

export interface BatchSourceOptions {
  /** keys every epoch's permutation; a non-negative safe integer */
  seed: number;
  /** default true; false serves 0..N−1 in order every epoch */
  shuffle?: boolean;
  /** drop each epoch's last, smaller batch; default false (keep it) */
  dropRemainder?: boolean;
  /** group samples of similar length into batches; Note [bucketing] */
  bucketing?: BucketingOptions;
}

/** The lengths of every sample, read once through a one-row scratch buffer. */
function readLengths(dataset: SequenceDataset): Int32Array {
  const scratch = allocateBatchBuffers(dataset, 1);
  const lengths = new Int32Array(dataset.size); // (N)
  for (let i = 0; i < dataset.size; i++) lengths[i] = dataset.read(i, scratch, 0);
  return lengths;
}

function checkBucketing(dataset: SequenceDataset, bucketing: BucketingOptions): Int32Array {
  if (typeof bucketing !== 'object' || bucketing === null) bad('bucketing must be { bucketSize, lengths? }');
  const { bucketSize, lengths } = bucketing;
  if (!Number.isSafeInteger(bucketSize) || bucketSize < 1) {
    bad(`bucketing.bucketSize must be a positive integer, got ${bucketSize}`);
  }
  if (!dataset.hasLengths) bad('bucketing needs a data set with lengths (all its samples have T steps)');
  if (lengths === undefined) return readLengths(dataset);
  if (!(lengths instanceof Int32Array) || lengths.length !== dataset.size) {
    bad(`bucketing.lengths must be an Int32Array of ${dataset.size} lengths`);
  }
  return lengths;
}

/** Sorts positions [start, end) of `order` by length, ties in their current order. */
function sortChunk(order: Int32Array, lengths: Int32Array, start: number, end: number): void {
  const n = end - start;
  const keys = new Float64Array(n); // (chunk) length · n + offset: unique, so the sort is stable
  for (let k = 0; k < n; k++) keys[k] = lengths[order[start + k]] * n + k;
  keys.sort();
  const chunk = order.slice(start, end);
  for (let k = 0; k < n; k++) order[start + k] = chunk[keys[k] % n];
}

/** A SequenceDataset as a BatchSource: (epoch, batch, rank, world) → a filled share. */
export class DatasetBatchSource {
  readonly size: number;
  readonly hasLengths: boolean;
  readonly sampler: Sampler;
  private readonly lengths: Int32Array | null; // (N) for bucketing
  private readonly bucketSize: number;
  private bucketed: Int32Array | null = null; // (N) the bucketed order of the (epoch, batchSize) below
  private bucketedFor: [number, number] = [-1, -1];

  constructor(
    readonly dataset: SequenceDataset,
    options: BatchSourceOptions,
  ) {
    if (typeof dataset !== 'object' || dataset === null || typeof dataset.read !== 'function') {
      bad('dataset must be a SequenceDataset');
    }
    if (typeof options !== 'object' || options === null)
      bad('give options { seed, shuffle?, dropRemainder?, bucketing? }');
    this.sampler = new Sampler(dataset.size, options);
    this.size = dataset.size;
    this.hasLengths = dataset.hasLengths;
    this.lengths = options.bucketing === undefined ? null : checkBucketing(dataset, options.bucketing);
    this.bucketSize = options.bucketing?.bucketSize ?? 0;
  }

  /** Global batches per epoch for batches of `batchSize`: ⌈N/S⌉, or ⌊N/S⌋ with dropRemainder. */
  batchesPerEpoch(batchSize: number): number {
    return this.sampler.batchesPerEpoch(batchSize);
  }

  /** The sample order of `epoch` for batches of `batchSize` (bucketed when asked); do not modify. */
  order(epoch: number, batchSize: number): Int32Array {
    const order = this.sampler.order(epoch);
    if (this.lengths === null) return order;
    const [cachedEpoch, cachedSize] = this.bucketedFor;
    if (cachedEpoch === epoch && cachedSize === batchSize && this.bucketed !== null) return this.bucketed;
    const out = order.slice();
    const chunk = this.bucketSize * batchSize;
    for (let start = 0; start < out.length; start += chunk) {
      sortChunk(out, this.lengths, start, Math.min(out.length, start + chunk));
    }
    this.bucketed = out;
    this.bucketedFor = [epoch, batchSize];
    return out;
  }

  /**
   * Fills `into` with rank `rank` of `world`'s share of global batch `batchIndex` of `epoch`
   * (batches of `batchSize`) and returns how many samples it wrote. With dropRemainder the
   * dropped last batch (index ⌊N/S⌋ when S does not divide N) fills nothing and returns 0.
   */
  fill(
    into: BatchBuffers,
    epoch: number,
    batchIndex: number,
    batchSize: number,
    rank: number,
    world: number,
  ): number {
    const first = batchIndex * batchSize;
    const range = { epoch, start: first, end: first + this.countOf(batchIndex, batchSize) };
    return this.fillRange(into, range, batchSize, rank, world);
  }

  /**
   * Fills `into` with rank `rank` of `world`'s contiguous share of positions [range.start,
   * range.end) of range.epoch's order (bucketed for batches of `batchSize` when bucketing is on):
   * what a cluster coordinator assigns one machine. `fill` is this over one global batch.
   */
  fillRange(into: BatchBuffers, range: SampleRange, batchSize: number, rank: number, world: number): number {
    checkRank('batchSource.fill', rank, world);
    const { start, end } = splitRange(range, rank, world);
    const order = this.order(range.epoch, batchSize);
    if (
      !Number.isSafeInteger(range.start) ||
      range.start < 0 ||
      range.end < range.start ||
      range.end > order.length
    ) {
      bad(`fillRange: range [${range.start}, ${range.end}) must lie in [0, ${order.length}]`);
    }
    this.checkBuffers(into, end - start);
    for (let k = start; k < end; k++) this.readRow(into, order[k], k - start);
    return end - start;
  }

  /** Samples in global batch `batchIndex`; 0 for a dropped remainder batch. */
  private countOf(batchIndex: number, batchSize: number): number {
    const dropped = this.sampler.dropRemainder && batchIndex === this.sampler.batchesPerEpoch(batchSize);
    if (dropped && this.size % batchSize !== 0) return 0;
    return this.sampler.batchCount(batchIndex, batchSize);
  }

  /** Reads sample `i` into row `b`, zeroes the padding of x / ids beyond its length. */
  private readRow(into: BatchBuffers, i: number, b: number): void {
    const { steps: T, features: F } = this.dataset;
    const length = this.dataset.read(i, into, b);
    if (!Number.isInteger(length) || length < 1 || length > T) {
      fail(
        DataErrorCode.BAD_OPTION,
        `batchSource: the data set's read(${i}) gave length ${length}, expected [1, ${T}]`,
      );
    }
    if (into.x !== null && !this.dataset.ids) into.x.fill(0, (b * T + length) * F, (b + 1) * T * F);
    if (into.ids !== null && this.dataset.ids) into.ids.fill(0, b * T + length, (b + 1) * T);
    into.lengths[b] = length;
    into.sampleIndex[b] = i;
  }

  /** The buffers must hold `rows` samples of this data set's shape. */
  private checkBuffers(into: BatchBuffers, rows: number): void {
    const d = this.dataset;
    const rowSize = d.ids ? d.steps : d.steps * d.features;
    const input = d.ids ? into.ids : into.x;
    const O = d.targetPerSample;
    const short =
      input === null ||
      input.length < rows * rowSize ||
      into.lengths.length < rows ||
      into.sampleIndex.length < rows ||
      (O > 0 && into.target !== null && into.target.length < rows * O);
    if (short) {
      bad(
        `fill: buffers too small or of the wrong kind for ${rows} samples of ` +
          `${d.ids ? `(T=${d.steps}) token ids` : `(T=${d.steps}, F=${d.features}) floats`}; ` +
          'allocate them with allocateBatchBuffers(dataset, batchSize)',
      );
    }
  }
}

/** A BatchSource (structural, as @recur/nn's) over `dataset`; see DatasetBatchSource. */
export function batchSource(dataset: SequenceDataset, options: BatchSourceOptions): DatasetBatchSource {
  return new DatasetBatchSource(dataset, options);
}
