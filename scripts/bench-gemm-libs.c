/*
 * Library gemm at the workloads' shapes (scripts/gemm-products.mjs), for the kernels README's
 * "own micro-kernels or a library" comparison. Not part of any build: scripts/bench-gemm-libs.mjs
 * compiles it when a library's headers are installed (Debian: libopenblas-dev, libxsmm-dev) and
 * runs it beside the native addon. Usage: bench-gemm-libs M N K transA transB (row-major C (M, N) =
 * op(A)·op(B)); prints "<library> <GFLOP/s> <error>" per library linked in: the best of 40 samples
 * of >= 3 ms of this thread's CPU time each, and the largest |c − exact| / (1 + |exact|) over every
 * 7th row against a float64 product (wrong results show there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>
#include <cblas.h>
#ifdef WITH_LIBXSMM
#include <libxsmm.h>
#endif

static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

typedef void (*Product)(int M, int N, int K, int ta, int tb, const float* a, const float* b, float* c);

static void openblas(int M, int N, int K, int ta, int tb, const float* a, const float* b, float* c) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.f, a,
              ta ? M : K, b, tb ? K : N, 0.f, c, N);
}

#ifdef WITH_LIBXSMM
/* libxsmm is column-major: row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ. */
static void xsmm(int M, int N, int K, int ta, int tb, const float* a, const float* b, float* c) {
  const libxsmm_blasint m = N, n = M, k = K, lda = tb ? K : N, ldb = ta ? M : K, ldc = N;
  const float alpha = 1.f, beta = 0.f;
  libxsmm_sgemm(tb ? "T" : "N", ta ? "T" : "N", &m, &n, &k, &alpha, b, &lda, a, &ldb, &beta, c, &ldc);
}
#endif

static double rate(Product f, int M, int N, int K, int ta, int tb, const float* a, const float* b, float* c) {
  double best = 0;
  for (int rep = 0; rep < 40; rep++) {
    int calls = 0;
    const double t0 = cpu();
    double el = 0;
    while (el < 0.003) {
      f(M, N, K, ta, tb, a, b, c);
      calls++;
      el = cpu() - t0;
    }
    const double g = 2.0 * M * N * K / (el / calls) / 1e9;
    if (g > best) best = g;
  }
  return best;
}

/* The largest |c − exact| / (1 + |exact|) over rows 0, 7, 14, … */
static double error(int M, int N, int K, int ta, int tb, const float* a, const float* b, const float* c) {
  double worst = 0;
  for (int i = 0; i < M; i += 7)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int k = 0; k < K; k++) s += (double)a[ta ? k * M + i : i * K + k] * b[tb ? j * K + k : k * N + j];
      const double e = fabs(c[i * N + j] - s) / (1 + fabs(s));
      if (e > worst) worst = e;
    }
  return worst;
}

int main(int argc, char** argv) {
  if (argc < 6) return 2;
  const int M = atoi(argv[1]), N = atoi(argv[2]), K = atoi(argv[3]), ta = atoi(argv[4]), tb = atoi(argv[5]);
  float* a = malloc(sizeof(float) * M * K);
  float* b = malloc(sizeof(float) * K * N);
  float* c = malloc(sizeof(float) * M * N);
  for (long i = 0; i < (long)M * K; i++) a[i] = sinf(i);
  for (long i = 0; i < (long)K * N; i++) b[i] = cosf(i);
  const double g = rate(openblas, M, N, K, ta, tb, a, b, c);
  printf("openblas %.1f %.1e\n", g, error(M, N, K, ta, tb, a, b, c));
#ifdef WITH_LIBXSMM
  libxsmm_init();
  const double x = rate(xsmm, M, N, K, ta, tb, a, b, c);
  printf("libxsmm %.1f %.1e\n", x, error(M, N, K, ta, tb, a, b, c));
#endif
  return 0;
}
