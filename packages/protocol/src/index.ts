// @recur/protocol: recur.proto, its codec with limits and validation; see README.md.
export * from './codec.js';
export * from './errors.js';
export * from './float16.js';
