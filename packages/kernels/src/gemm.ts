// General matrix product C = alpha · op(A) · op(B) + beta · C over row-major Float32Array views.
//
// op(A) is (M, K): A is (M, K), or (K, M) when transA. op(B) is (K, N): B is (K, N), or (N, K)
// when transB. Leading dimensions (row strides) default to the dense ones, so a view can be a
// block of a wider matrix: lda >= (transA ? M : K), ldb >= (transB ? K : N), ldc >= N.
// beta = 0 ignores C's previous contents (NaN included), as BLAS does.
//
// Is: `gemm`, tuned plain TypeScript (cache blocks, packed panels, a 4×4 register tile; the
// pieces are in gemm-pack.ts), and `gemmReference`, the readable triple loop it is tested
// against. Is not: threads, SIMD or WebAssembly; nor a "prepacked weights" API (each call packs
// its operands again, which costs O(MK + KN) beside the O(MNK) product).
//
// Note [gemm blocking]: the loops follow the usual cache-blocked scheme. For each (KC × NC)
// block of op(B), packed once into NR-wide column panels, and each (MC × KC) block of op(A),
// packed into MR-tall row panels, the micro kernel walks the panels' common depth with MR·NR
// scalar accumulators and updates one MR × NR tile of C. Transposes are folded into packing, so
// the micro kernel only ever sees one layout. beta applies on the first depth block only; later
// depth blocks add to what the first one wrote.
import { KC, MC, macroKernel, NC, packA, packB } from './gemm-pack.js';

/** The readable triple loop: the oracle every faster gemm is tested against. */
export function gemmReference(
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  alpha = 1,
  beta = 0,
  lda = transA ? M : K,
  ldb = transB ? K : N,
  ldc = N,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const aik = transA ? a[k * lda + i] : a[i * lda + k];
        const bkj = transB ? b[j * ldb + k] : b[k * ldb + j];
        sum += aik * bkj;
      }
      const previous = beta === 0 ? 0 : beta * c[i * ldc + j];
      c[i * ldc + j] = alpha * sum + previous;
    }
  }
}

/** C = alpha · op(A) · op(B) + beta · C, cache-blocked and register-tiled (Note [gemm blocking]). */
export function gemm(
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  alpha = 1,
  beta = 0,
  lda = transA ? M : K,
  ldb = transB ? K : N,
  ldc = N,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scaleBlock(c, M, N, ldc, beta);
    return;
  }
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = Math.min(NC, N - j0);
    for (let p0 = 0; p0 < K; p0 += KC) {
      const kc = Math.min(KC, K - p0);
      // op(B)[p0.., j0..] into NR-wide column panels: element (k, j) sits at b[k·ldb + j], or b[j·ldb + k].
      if (transB) packB(b, j0 * ldb + p0, ldb, 1, nc, kc);
      else packB(b, p0 * ldb + j0, 1, ldb, nc, kc);
      const blockBeta = p0 === 0 ? beta : 1;
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        // op(A)[i0.., p0..] into MR-tall row panels: element (i, k) sits at a[i·lda + k], or a[k·lda + i].
        if (transA) packA(a, p0 * lda + i0, 1, lda, mc, kc);
        else packA(a, i0 * lda + p0, lda, 1, mc, kc);
        macroKernel(c, i0 * ldc + j0, ldc, mc, nc, kc, alpha, blockBeta);
      }
    }
  }
}

/** C (M, N) with row stride ldc = beta · C; beta = 0 writes zeros (NaN-proof). */
function scaleBlock(c: Float32Array, M: number, N: number, ldc: number, beta: number): void {
  for (let i = 0; i < M; i++) {
    const row = i * ldc;
    for (let j = 0; j < N; j++) c[row + j] = beta === 0 ? 0 : beta * c[row + j];
  }
}
