// The node's view of its data: it reads exactly the sample range the coordinator assigned (the
// coordinator owns the data cursor). Before a step the node hands the assignment's range
// [rangeStart, rangeEnd) of the epoch's order to `assign`; the thread group then fills each
// rank's batch buffers through `fill`, which reads that rank's part of the range with the
// source's `fillRange`. A part is cut at the same positions as one machine with threads(W)
// cuts the global batch (rankShare of the batch), so the cluster equals threads bit for bit;
// a part outside the assigned range is refused (ERR_CLUSTER_BAD_FRAME), nothing is read.
import { type BatchBuffers, type BatchSource, rankShare, type SampleRange } from '@recur/nn';
import { ClusterErrorCode, fail } from './errors.js';

/** A source that a cluster node can read assigned ranges from. */
export type RangeSource = BatchSource & Required<Pick<BatchSource, 'fillRange'>>;

export class AssignedRangeSource implements BatchSource {
  readonly size: number;
  readonly hasLengths: boolean;
  private range: SampleRange | null = null;

  constructor(private readonly source: RangeSource) {
    if (typeof source?.fillRange !== 'function') {
      fail(
        ClusterErrorCode.BAD_OPTION,
        'node: source must have fillRange (a @recur/data batch source or @recur/nn ArraySource) to read assigned ranges',
      );
    }
    this.size = source.size;
    this.hasLengths = source.hasLengths;
  }

  /** The range of the assignment in hand: positions [start, end) of epoch's order. */
  assign(range: SampleRange): void {
    this.range = range;
  }

  /** Rank `part` of `world`'s share of global batch `batchIndex`, read from the assigned range. */
  fill(
    into: BatchBuffers,
    epoch: number,
    batchIndex: number,
    batchSize: number,
    part: number,
    world: number,
  ): number {
    const range = this.range;
    const first = batchIndex * batchSize;
    const [a, b] = rankShare(Math.max(0, Math.min(batchSize, this.size - first)), part, world);
    const start = first + a;
    const end = first + b;
    if (range === null || range.epoch !== epoch || start < range.start || end > range.end) {
      const assigned = range === null ? 'none' : `[${range.start}, ${range.end}) of epoch ${range.epoch}`;
      fail(
        ClusterErrorCode.BAD_FRAME,
        `node: part ${part} of ${world} of batch ${batchIndex} (positions [${start}, ${end}) of epoch ${epoch}) lies outside the assigned range ${assigned}`,
      );
    }
    return this.source.fillRange(into, { epoch, start, end }, batchSize, 0, 1);
  }
}
