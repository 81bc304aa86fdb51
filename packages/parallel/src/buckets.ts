// Bucketed sums (PyTorch DDP's buckets, for a cluster node that sends finished layers while the
// backward goes on): the plan of buckets from a byte cap, a rank's report of its final layers,
// and the main thread's reduce of each bucket as soon as every rank has finished it.
//
// Note [bucketed sums]: under Command.BUCKETS each rank computes its share into its own slot as
// for SUMS, and after the backward of the LAST non-empty micro-batch of the step returns from
// layer i (nn's Note [final layers]) it stores, with Atomics.store + notify, how many layers
// from the top are final in its slot (`progress[rank]`, PROGRESS_GEN bumped). Earlier
// micro-batches report nothing: with accumulate k > 1 a layer's sums are final only after the
// k-th. Before its first report the rank has written its loss sum and count (known before the
// last backward starts), and after its compute it reports every layer final (a micro-batch with
// no samples reports nothing on its own). The ranks do not reduce; the main thread sums bucket j
// over the slots in rank order into slot 0, with SUMS' own reduce (reduceChunk, count 1) on
// the bucket's range: each element is summed alone, so the bits are those of the whole reduce.
// A bucket lies in layers the backward no longer writes, so the main thread's reduce and the
// ranks' compute never touch the same floats.
//
// Dimension letters: P parameters, L layers, W ranks.
import type { LossSum } from '@recur/nn';
import { aborted, type ControlBlock, Field, Stat, setStat, sumStat, waitAsyncWhile } from './control.js';
import { ParallelError, ParallelErrorCode } from './errors.js';
import { reduceChunk, type ShareProgress } from './phases.js';

/** One bucket: the floats [start, end) of the layout, final once `layers` layers from the top are. */
export interface Bucket {
  start: number;
  end: number;
  /** layers, counted from the top, whose backward must have ended */
  layers: number;
}

/** A bucket summed over the machine's ranks into slot 0, with the machine's loss sum and count. */
export interface SummedBucket {
  start: number;
  end: number;
  sum: number;
  count: number;
}

/**
 * The buckets of a model whose layer i holds the floats `layerRanges[i]` (contiguous, in layer
 * order): layers are merged from the top until a bucket holds at least `bucketBytes` bytes (4 a
 * float); the layers left at the bottom make the last bucket (joined to the one above when they
 * hold no parameters). Porting note: DDP's bucket_cap_mb, in bytes, filled in the backward's order.
 */
export function planBuckets(
  layerRanges: readonly (readonly [number, number])[],
  bucketBytes: number,
): Bucket[] {
  if (!Number.isInteger(bucketBytes) || bucketBytes < 1) {
    throw new ParallelError(
      ParallelErrorCode.BAD_OPTION,
      `buckets: bucketBytes must be a positive integer, got ${String(bucketBytes)}`,
    );
  }
  const L = layerRanges.length;
  const buckets: Bucket[] = [];
  let top = L; // layers [lo, top) not yet in a bucket
  for (let lo = L - 1; lo >= 0; lo--) {
    const start = layerRanges[lo][0];
    if (4 * (layerRanges[top - 1][1] - start) >= bucketBytes) {
      buckets.push({ start, end: layerRanges[top - 1][1], layers: L - lo });
      top = lo;
    }
  }
  if (top > 0) {
    const rest = { start: layerRanges[0][0], end: layerRanges[top - 1][1], layers: L };
    const last = buckets.at(-1);
    if (rest.end > rest.start || last === undefined) buckets.push(rest);
    else last.layers = L;
  }
  return buckets;
}

/** Throws ERR_PARALLEL_BAD_OPTION unless `buckets` tile [0, P) from the top, as planBuckets makes them. */
export function checkBuckets(buckets: readonly Bucket[], P: number, L: number): void {
  let end = P;
  let layers = 0;
  buckets.forEach((b, j) => {
    if (b.end !== end || b.start > b.end || b.layers <= layers || b.layers > L) {
      throw new ParallelError(
        ParallelErrorCode.BAD_OPTION,
        `buckets: bucket ${j} ([${b.start}, ${b.end}), ${b.layers} layers) does not follow the one above; use planBuckets`,
      );
    }
    end = b.start;
    layers = b.layers;
  });
  if (end !== 0 || layers !== L) {
    throw new ParallelError(
      ParallelErrorCode.BAD_OPTION,
      `buckets: they end at ${end} with ${layers} of ${L} layers, not at 0 with all`,
    );
  }
}

/** Publishes that `layers` layers from the top are final in this rank's slot. */
export function publishProgress(c: ControlBlock, rank: number, layers: number): void {
  Atomics.store(c.progress, rank, layers);
  Atomics.add(c.ints, Field.PROGRESS_GEN, 1);
  Atomics.notify(c.ints, Field.PROGRESS_GEN);
}

/** A rank's listener for its last micro-batch's backward (Note [bucketed sums]); made once per rank. */
export function progressReporter(c: ControlBlock, rank: number, L: number): ShareProgress {
  const before: LossSum = { sum: 0, count: 0 };
  return {
    before,
    lossKnown: (loss: LossSum) => {
      // the share's totals, added in micro-batch order as computeShare adds them
      setStat(c, rank, Stat.LOSS_SUM, before.sum + loss.sum);
      setStat(c, rank, Stat.COUNT, before.count + loss.count);
    },
    layerFinal: (layer: number) => publishProgress(c, rank, L - layer),
  };
}

/** Layers from the top that are final in every rank's slot. */
function finalEverywhere(c: ControlBlock): number {
  let least = Number.POSITIVE_INFINITY;
  for (let r = 0; r < c.world; r++) least = Math.min(least, Atomics.load(c.progress, r));
  return least;
}

/**
 * The main thread's side of a BUCKETS command: reduces each bucket into slot 0 once every rank
 * has finished it, then hands it to `onBucket`. Returns 'done', 'timeout' (the deadline, a
 * performance.now() time, passed), 'aborted', or 'non-finite' (the loss sum is not finite:
 * nothing is reduced or handed on; the caller reports it as SUMS does). An error thrown by
 * onBucket stops the hand-overs and is rethrown by the caller once the ranks are done.
 */
export async function reduceBuckets(
  c: ControlBlock,
  slots: readonly Float32Array[],
  buckets: readonly Bucket[],
  deadline: number,
  onBucket: (bucket: SummedBucket) => void,
): Promise<'done' | 'timeout' | 'aborted' | 'non-finite'> {
  let next = 0;
  let loss: LossSum | null = null;
  while (next < buckets.length) {
    const seen = Atomics.load(c.ints, Field.PROGRESS_GEN);
    if (aborted(c)) return 'aborted';
    const final = finalEverywhere(c);
    if (final > 0 && loss === null) {
      // every rank has reported once: its loss sum and count are written (rank order, as sums())
      loss = { sum: sumStat(c, Stat.LOSS_SUM), count: sumStat(c, Stat.COUNT) };
      if (!Number.isFinite(loss.sum)) return 'non-finite';
    }
    for (; next < buckets.length && final >= buckets[next].layers; next++) {
      const { start, end } = buckets[next];
      reduceChunk(slots, start, end, 1);
      onBucket({ start, end, sum: (loss as LossSum).sum, count: (loss as LossSum).count });
    }
    if (next === buckets.length) return 'done';
    const left = deadline - performance.now();
    if (left <= 0 || !(await waitAsyncWhile(c.ints, Field.PROGRESS_GEN, seen, left))) return 'timeout';
  }
  return 'done';
}
