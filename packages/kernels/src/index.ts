// @recur/kernels: the public surface. Free functions over Float32Array views; see README.md.

export * from './activations.js';
export * from './backend.js';
export {
  allocateGruCache,
  allocateGruWorkspace,
  type GruCache,
  type GruWorkspace,
  gruCellBackwardResetAfter,
  gruCellForward,
} from './cells/gru-cell.js';
export {
  allocateLstmCache,
  allocateLstmWorkspace,
  type LstmCache,
  type LstmWorkspace,
  lstmCellBackward,
  lstmCellForward,
} from './cells/lstm-cell.js';
export {
  allocateRnnCache,
  allocateRnnWorkspace,
  type RnnActivation,
  type RnnCache,
  type RnnWorkspace,
  rnnCellForward,
} from './cells/rnn-cell.js';
export * from './dense.js';
export * from './embedding.js';
export * from './errors.js';
export * from './gemm.js';
export * from './gru.js';
export * from './losses.js';
export * from './lstm.js';
export {
  alignedOrigin,
  type HalfConversions,
  type NativeAddon,
  type NativeLoad,
  nativeAddon,
  nativeAllFinite,
  nativeHalfConversions,
  nativeScratchUse,
} from './native/addon.js';
export type { GemmFunction, KernelOps } from './ops.js';
export * from './optim.js';
export * from './random.js';
export * from './reduce.js';
export {
  denseBackward,
  denseForward,
  gruBackward,
  gruForward,
  lstmBackward,
  lstmForward,
  rnnBackward,
  rnnForward,
} from './reference.js';
export * from './rnn.js';
export * from './scratch.js';
export * from './sequence.js';
export { WasmKernels } from './wasm/kernels.js';
export { type KernelMemoryLayout, kernelMemoryLayout, wasmSimdSupported } from './wasm/module.js';
export type { WasmMemory, WasmMemoryDescriptor } from './wasm/webassembly-types.js';
