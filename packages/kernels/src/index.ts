// @recur/kernels: the public surface. Free functions over Float32Array views; see README.md.

export * from './activations.js';
export * from './backend.js';
export * from './dense.js';
export * from './embedding.js';
export * from './errors.js';
export * from './gemm.js';
export * from './gru.js';
export * from './losses.js';
export * from './lstm.js';
export { type NativeAddon, type NativeLoad, nativeAddon } from './native/addon.js';
export type { GemmFunction, KernelOps } from './ops.js';
export * from './optim.js';
export * from './random.js';
export * from './rnn.js';
export * from './sequence.js';
export { WasmKernels } from './wasm/kernels.js';
export { type KernelMemoryLayout, kernelMemoryLayout, wasmSimdSupported } from './wasm/module.js';
