// Which samples go into which batch: one permutation of the N samples per epoch, keyed by
// (seed, epoch) (Note [one shuffle]); a global batch is a contiguous range of that permutation, split over
// (rank, world) in contiguous near-equal shares in rank order; a range of positions (what a
// coordinator assigns a machine) split the same way. Not here: reading samples (dataset.ts), filling buffers (batching.ts).
//
// Note [exactly once]: the permutation of an epoch is a bijection of 0..N−1; global batch b is
// positions [b·S, min((b+1)·S, N)) of it (S the batch size), so the batches of an epoch tile the
// permutation; rank r of W takes [⌊c·r/W⌋, ⌊c·(r+1)/W⌋) of a batch of c samples, so the ranks
// tile each batch (a rank may get none when W > c). Hence every sample is used exactly once per
// epoch. Remainder policy: when S does not divide N the last batch is smaller (N mod S samples)
// and is kept by default; with `dropRemainder: true` it is dropped and those samples are not used
// in that epoch (a different set each epoch, as the permutation changes).
//
// Note [one shuffle]: the permutation is @recur/kernels' `permutation` (Fisher–Yates whose swap
// for position i draws from the counter-based Philox stream (seed, shuffle, epoch, i)): no
// generator state, so any epoch's permutation is computed alone, the same on every thread and
// machine, and the same seed gives the same order here as in @recur/nn's fit(arrays). It is the
// one shuffle of recur; this file only validates its arguments and cuts it into batches.
import { permutation as kernelPermutation } from '@recur/kernels';
import { DataErrorCode, fail } from './errors.js';

const bad = (message: string): never => fail(DataErrorCode.BAD_OPTION, message);

/** Most samples a Sampler (and so a batchSource) serves: orders are Int32Array, indices int32. */
export const MAX_SAMPLES = 0x7fffffff;

function checkCount(where: string, name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    bad(`${where}: ${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/** Epochs the permutation tells apart: the Philox counter word holds 32 bits. */
export const MAX_EPOCH = 0xffffffff;

function checkEpoch(where: string, epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) {
    bad(`${where}: epoch must be an integer in [0, ${MAX_EPOCH}], got ${epoch}`);
  }
}

/** Fills `out` (N) with the permutation of 0..N−1 for (seed, epoch); Note [one shuffle]. */
export function permutation(out: Int32Array, seed: number, epoch: number): Int32Array {
  checkCount('permutation', 'seed', seed, 0);
  checkEpoch('permutation', epoch);
  kernelPermutation(out, seed, epoch);
  return out;
}

/**
 * The epoch key of a one-off shuffle (records before a split; `shuffled`'s default): the last
 * epoch the permutation tells apart, which no training reaches. Permutations of different lengths
 * under one (seed, epoch) share their swaps (position i's swap is drawn from stream (seed, epoch,
 * i) whatever the length), so records shuffled under epoch 0 and the training split's epoch-0
 * order would be mostly the same permutation (4 positions in 5 for an 80% split); a key of its own
 * keeps the split independent of every epoch's order, as two separate generators would.
 */
export const SHUFFLE_ONCE_EPOCH = MAX_EPOCH;

/** A new array of `items` in the order of permutation(seed, epoch): records shuffled once, e.g. before a split. */
export function shuffled<T>(items: readonly T[], seed: number, epoch = SHUFFLE_ONCE_EPOCH): T[] {
  const order = permutation(new Int32Array(items.length), seed, epoch);
  return Array.from(order, (i) => items[i]);
}

/** The contiguous share [start, end) of a batch of `count` samples that rank `rank` of `world` takes. */
export function rankShare(count: number, rank: number, world: number): [number, number] {
  // Porting note: the same formula as @recur/nn's rankShare (not imported: data stands alone).
  return [Math.floor((count * rank) / world), Math.floor((count * (rank + 1)) / world)];
}

/** Checks (rank, world): integers with 0 ≤ rank < world. */
export function checkRank(where: string, rank: number, world: number): void {
  checkCount(where, 'world', world, 1);
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= world) {
    bad(`${where}: rank must be an integer in [0, ${world}), got ${rank}`);
  }
}

export interface SamplerOptions {
  /** keys the permutation of every epoch; a non-negative safe integer */
  seed: number;
  /** false: every epoch in order 0..N−1; default true */
  shuffle?: boolean;
  /** drop the last, smaller batch of an epoch; default false (keep it); Note [exactly once] */
  dropRemainder?: boolean;
}

/** One permutation per epoch over `size` samples, cut into global batches and rank shares. */
export class Sampler {
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropRemainder: boolean;
  private cached: Int32Array | null = null; // (N) the order of `cachedEpoch`
  private cachedEpoch = -1;

  constructor(
    readonly size: number,
    options: SamplerOptions,
  ) {
    checkCount('Sampler', 'size', size, 1);
    if (size > MAX_SAMPLES) {
      fail(
        DataErrorCode.LIMIT_EXCEEDED,
        `Sampler: ${size} samples exceed MAX_SAMPLES (${MAX_SAMPLES}); split the data set`,
      );
    }
    if (typeof options !== 'object' || options === null)
      bad('Sampler: give options { seed, shuffle?, dropRemainder? }');
    checkCount('Sampler', 'seed', options.seed, 0);
    this.seed = options.seed;
    this.shuffle = options.shuffle ?? true;
    this.dropRemainder = options.dropRemainder ?? false;
  }

  /**
   * The sample order of `epoch` (N). Computed once and kept until another epoch is asked for;
   * each epoch gets a fresh array, so a view handed out earlier stays valid. Do not modify it.
   */
  order(epoch: number): Int32Array {
    if (this.cachedEpoch === epoch && this.cached !== null) return this.cached;
    checkEpoch('Sampler', epoch);
    const out = new Int32Array(this.size);
    if (this.shuffle) permutation(out, this.seed, epoch);
    else for (let i = 0; i < out.length; i++) out[i] = i;
    this.cached = out;
    this.cachedEpoch = epoch;
    return out;
  }

  /** Global batches per epoch: ⌈N/S⌉, or ⌊N/S⌋ with dropRemainder. */
  batchesPerEpoch(batchSize: number): number {
    checkCount('Sampler', 'batchSize', batchSize, 1);
    return this.dropRemainder ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  /** Samples in global batch `batchIndex`: S, fewer for a kept last batch; checks the index. */
  batchCount(batchIndex: number, batchSize: number): number {
    const batches = this.batchesPerEpoch(batchSize);
    if (!Number.isSafeInteger(batchIndex) || batchIndex < 0 || batchIndex >= batches) {
      bad(
        `Sampler: batchIndex must be an integer in [0, ${batches}) for batchSize ${batchSize}, got ${batchIndex}`,
      );
    }
    return Math.min(batchSize, this.size - batchIndex * batchSize);
  }

  /** The sample indices of global batch `batchIndex` of `epoch` (a view of `order(epoch)`). */
  globalBatch(epoch: number, batchIndex: number, batchSize: number): Int32Array {
    const first = batchIndex * batchSize;
    return this.order(epoch).subarray(first, first + this.batchCount(batchIndex, batchSize));
  }

  /** Rank `rank` of `world`'s share of that global batch (a view; empty when world > count). */
  rankBatch(epoch: number, batchIndex: number, batchSize: number, rank: number, world: number): Int32Array {
    checkRank('Sampler', rank, world);
    const batch = this.globalBatch(epoch, batchIndex, batchSize);
    const [start, end] = rankShare(batch.length, rank, world);
    return batch.subarray(start, end);
  }

  /** The sample indices at positions [range.start, range.end) of `range.epoch`'s order (a view). */
  indices(range: SampleRange): Int32Array {
    const { epoch, start, end } = range;
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 0 ||
      end < start ||
      end > this.size
    ) {
      bad(`Sampler: range [${start}, ${end}) must lie in [0, ${this.size}]`);
    }
    return this.order(epoch).subarray(start, end);
  }
}

/** Positions [start, end) of the permutation of `epoch` (not sample indices: see Sampler.indices). */
export interface SampleRange {
  epoch: number;
  start: number;
  end: number;
}

/** Rank `rank` of `world`'s contiguous share of a range (rankShare applied to positions). */
export function splitRange(range: SampleRange, rank: number, world: number): SampleRange {
  checkRank('splitRange', rank, world);
  const [a, b] = rankShare(range.end - range.start, rank, world);
  return { epoch: range.epoch, start: range.start + a, end: range.start + b };
}
