// The matrix products the gemm benchmarks time: lstm-std's shapes and BENCHMARKS.md's three, as
// [label, M, N, K, transA, transB] (C (M, N) = op(A) (M, K) · op(B) (K, N)). Shared by
// bench-kernels.mjs (every backend beside PyTorch) and bench-native-ab.mjs (two native builds).
// Their operands start a cache line, as nn's arena places a training step's buffers.
import { alignedOrigin } from '@recur/kernels';

/** `length` zeroed floats starting at a line-aligned address (kernels' alignedOrigin), as in the arena. */
export function lineAligned(length) {
  const buffer = new ArrayBuffer(length * 4 + 64);
  return new Float32Array(buffer, alignedOrigin(buffer), length);
}
export const GEMM_PRODUCTS = [
  ['A·B    (64×160)·(160×512)          BENCHMARKS.md', 64, 512, 160, false, false],
  ['A·Bᵀ   (64×512)·(160×512)ᵀ         BENCHMARKS.md', 64, 160, 512, false, true],
  ['Aᵀ·B   (64×160)ᵀ·(64×512)          BENCHMARKS.md', 160, 512, 64, true, false],
  ['A·Bᵀ   X·W_ihᵀ (3200×32)·(512×32)ᵀ', 3200, 512, 32, false, true],
  ['A·Bᵀ   h·W_hhᵀ (64×128)·(512×128)ᵀ', 64, 512, 128, false, true],
  ['A·B    dGates·W_hh (64×512)·(512×128)', 64, 128, 512, false, false],
  ['A·B    dGates·W_ih (3200×512)·(512×32)', 3200, 32, 512, false, false],
  ['Aᵀ·B   dGatesᵀ·H (3200×512)ᵀ·(3200×128)', 512, 128, 3200, true, false],
  ['Aᵀ·B   dGatesᵀ·X (3200×512)ᵀ·(3200×32)', 512, 32, 3200, true, false],
];
