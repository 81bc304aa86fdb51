// @recur/kernels: the public surface. Free functions over Float32Array views; see README.md.
export * from './gemm.js';
export * from './gru.js';
export * from './lstm.js';
export * from './rnn.js';
export * from './sequence.js';
