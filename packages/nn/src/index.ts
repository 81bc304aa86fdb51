// @recur/nn: the public surface. Layers, models, training, checkpoints and interop; see README.md.
export * from './arena.js';
export * from './base-model.js';
export * from './errors.js';
export type * from './layer.js';
export * from './layers/bidirectional.js';
export * from './layers/dense.js';
export * from './layers/dropout.js';
export * from './layers/embedding.js';
export * from './layers/recurrent.js';
export * from './layout.js';
export * from './model.js';
export * from './training/compile.js';
export * from './training/data.js';
export * from './training/fit.js';
export * from './training/loss.js';
export * from './training/metrics.js';
export * from './training/optimizers.js';
export * from './training/schedules.js';
