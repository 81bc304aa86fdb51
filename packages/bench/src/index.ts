// @recur/bench: recur beside its peers on the standard workloads, in one run; see README.md.
export * from './cli.js';
export * from './errors.js';
export * from './format.js';
export * from './html.js';
export { parseChildOutput, RESULT_MARKER } from './measure.js';
export * from './options.js';
export { APT_PACKAGES, PEER_VERSIONS } from './peers.js';
export * from './run.js';
export * from './stats.js';
export type * from './types.js';
export * from './workloads.js';
