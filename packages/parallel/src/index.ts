// @recur/parallel: data-parallel training on worker threads; see README.md.
//
// The public surface: threads() and its options, the ThreadGroup a cluster node drives, the
// buckets of sumsInBuckets, the step phases a node puts its exchange between, and the errors.
// The control block (control.ts), the balanced micro-batches' claims (balance.ts) and the ranks'
// progress reports (buckets.ts) are how the ranks and the main thread talk inside one group; they
// are not exported, so no caller can hand them a wrong argument.
export { type Bucket, checkBuckets, planBuckets, type SummedBucket } from './buckets.js';
export { ParallelError, ParallelErrorCode, type ParallelErrorCodeValue } from './errors.js';
export {
  type GroupOptions,
  type Parts,
  type RankTimings,
  ThreadGroup,
  type ThreadsProgress,
} from './group.js';
export { chunkOf, computeShare, reduceChunk, type ShareProgress, updateChunk } from './phases.js';
export type { FaultInjection, RankInit, RankOutcome } from './rank-init.js';
export * from './threads.js';
