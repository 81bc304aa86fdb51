// Entry of the WebAssembly SIMD kernels (AssemblyScript 0.28.20, plain SIMD, imported shared
// memory, stub runtime: no allocator, no static data beyond what the compiler emits). Built by
// the kernels package's `build:wasm` script into dist/kernels.wasm; wrapped by src/wasm/.
export { addBiasRows, addColumnSums, gruCellBackward, gruCellForward, lstmCellBackward, lstmCellForward, rnnCellForward } from './cells';
export { gemm, heapBase, SCRATCH_BYTES, setScratch } from './gemm';
export { adamUpdate, sgdUpdate } from './optim';
