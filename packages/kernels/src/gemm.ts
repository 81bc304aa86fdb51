// General matrix product C = alpha · op(A) · op(B) + beta · C over row-major Float32Array views.
//
// op(A) is (M, K): A is (M, K), or (K, M) when transA. op(B) is (K, N): B is (K, N), or (N, K)
// when transB. Leading dimensions (row strides) default to the dense ones, so a view can be a
// block of a wider matrix: lda >= (transA ? M : K), ldb >= (transB ? K : N), ldc >= N.
// beta = 0 ignores C's previous contents (NaN included), as BLAS does.
//
// TEMPORARY: gemm is the reference until the tuned kernel lands.

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

export const gemm = gemmReference;
