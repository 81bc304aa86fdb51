// @recur/parallel: data-parallel training on worker threads; see README.md.
export * from './balance.js';
export * from './buckets.js';
export * from './control.js';
export * from './errors.js';
export * from './group.js';
export * from './phases.js';
export type { FaultInjection, RankInit, RankOutcome } from './rank-init.js';
export * from './threads.js';
