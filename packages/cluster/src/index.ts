// @recur/cluster: training across machines through a coordinator; see README.md.
export * from './coordinator.js';
export * from './errors.js';
export * from './node.js';
export { statusPage } from './status.js';
export { tokensEqual } from './wire.js';
