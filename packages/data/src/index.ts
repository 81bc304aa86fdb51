// @recur/data: the public surface; see README.md.

export * from './batching.js';
export * from './dataset.js';
export * from './errors.js';
export * from './hash.js';
export {
  type CursorState,
  MAX_SAMPLES,
  permutation,
  rankShare,
  SampleCursor,
  type SampleRange,
  Sampler,
  type SamplerOptions,
  splitRange,
} from './sampler.js';
export * from './scaler.js';
export * from './shards.js';
export * from './text/datasets.js';
export * from './text/tokenizers.js';
export * from './text/vocabulary.js';
export * from './windows.js';
