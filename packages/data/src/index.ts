// @recur/data: the public surface; see README.md.
export * from './errors.js';
