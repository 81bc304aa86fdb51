// @recur/cluster: training across machines through a coordinator; see README.md.
export * from './coordinator.js';
export type { DashboardInfo } from './dashboard-status.js';
export * from './errors.js';
export { installProtocolKernels } from './halves.js';
export { useAtomicMarking } from './marking.js';
export * from './node.js';
export { CLUSTER_LIMITS } from './options.js';
export { bytesPerMember, MIN_TOKEN_LENGTH, NO_RUN_HASH, runHashOf, tokensEqual } from './wire.js';
