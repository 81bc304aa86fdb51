// The tuned gemm against gemmReference: all four transpose combinations on tiny, odd and
// block-crossing shapes, alpha and beta, beta = 0 over NaN, K = 0, and strided views (lda, ldb,
// ldc) whose surroundings must stay untouched, and many-row products (M ≥ 256, the native gemm's
// other loop order) whose row blocks give the same bits as the whole call (each thread of
// threads(W) calls gemm on its own rows). Tolerances allow for a different summation order.
// Each case runs on every backend (testBackends(): the TypeScript gemm and the WebAssembly SIMD one,
// which accumulates in float32), always against the float64-accumulating gemmReference.
import t from 'tap';
import { gemmReference } from './gemm.js';
import { allClose, testRandom } from './testing/arrays.js';
import { type TestBackend, testBackends } from './testing/backends.js';

const RTOL = 1e-5;
const ATOL = 1e-5;
const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

/** Shapes (M, N, K): trivial, one tile, odd sizes, and sizes past every block constant. */
const SHAPES = [
  [1, 1, 1],
  [4, 4, 4],
  [7, 13, 5],
  [65, 129, 33],
  [131, 517, 259],
] as const;

const label = (transA: boolean, transB: boolean) => `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`;

/** Random dense operands for op(A) (M, K) and op(B) (K, N), and a C filled with `fill`. */
function operands(backend: TestBackend, M: number, N: number, K: number, seed: number, fill = 0) {
  backend.fresh();
  const random = testRandom(seed);
  const a = backend.random(M * K, random);
  const b = backend.random(K * N, random);
  const c = backend.allocate(M * N).fill(fill);
  return { a, b, c, random };
}

for (const backend of testBackends()) {
  runCases(backend);
}

function runCases(backend: TestBackend) {
  const name = (s: string) => `[${backend.name}] ${s}`;
  for (const [M, N, K] of SHAPES) {
    for (const [transA, transB] of TRANSPOSES) {
      t.test(name(`${label(transA, transB)} matches the reference at M=${M} N=${N} K=${K}`), async (t) => {
        const { a, b, c } = operands(backend, M, N, K, M * 7919 + N * 31 + K);
        const expected = new Float32Array(M * N);
        backend.kernels.gemm(c, a, b, M, N, K, transA, transB);
        gemmReference(expected, a, b, M, N, K, transA, transB);
        const r = allClose(c, expected, RTOL, ATOL);
        t.ok(r.ok, r.message);
      });
    }
  }

  for (const [M, N, K] of [
    [65, 129, 33],
    [131, 517, 259],
  ] as const) {
    for (const [transA, transB] of TRANSPOSES) {
      t.test(name(`${label(transA, transB)} applies alpha and beta at M=${M} N=${N} K=${K}`), async (t) => {
        const { a, b, c, random } = operands(backend, M, N, K, 11 + M + N + K);
        for (let i = 0; i < c.length; i++) c[i] = 2 * random() - 1;
        const expected = c.slice();
        backend.kernels.gemm(c, a, b, M, N, K, transA, transB, 0.5, -1.5);
        gemmReference(expected, a, b, M, N, K, transA, transB, 0.5, -1.5);
        const r = allClose(c, expected, RTOL, ATOL);
        t.ok(r.ok, r.message);
      });

      t.test(
        name(`${label(transA, transB)} with beta = 0 ignores NaN in C at M=${M} N=${N} K=${K}`),
        async (t) => {
          const { a, b, c } = operands(backend, M, N, K, 23 + M + N + K, Number.NaN);
          const expected = new Float32Array(M * N);
          backend.kernels.gemm(c, a, b, M, N, K, transA, transB, 2, 0);
          gemmReference(expected, a, b, M, N, K, transA, transB, 2, 0);
          const r = allClose(c, expected, RTOL, ATOL);
          t.ok(r.ok, r.message);
        },
      );
    }
  }

  t.test(name('K = 0 scales C by beta, and beta = 0 clears NaN'), async (t) => {
    backend.fresh();
    const c = backend.copy([1, 2, Number.NaN, 4, 5, 6]);
    const empty = new Float32Array(0);
    backend.kernels.gemm(c, empty, empty, 2, 3, 0, false, false, 1, 0);
    t.same(Array.from(c), [0, 0, 0, 0, 0, 0]);
    c.set([1, 2, 3, 4, 5, 6]);
    backend.kernels.gemm(c, empty, empty, 2, 3, 0, true, true, 1, 2);
    t.same(Array.from(c), [2, 4, 6, 8, 10, 12]);
  });

  /**
   * A (rows, cols) block at (row0, col0) of a wider (rows + 3, ld) matrix, as gemm sees it: the
   * view starts at the block's first element and the row stride is ld.
   */
  function embedded(rows: number, cols: number, random: () => number, backend: TestBackend) {
    const ld = cols + 5;
    const row0 = 2;
    const col0 = 3;
    const whole = backend.random((rows + 3) * ld, random); // (rows + 3, ld)
    const start = row0 * ld + col0;
    const inside = (index: number) => {
      const row = Math.floor(index / ld) - row0;
      const col = (index % ld) - col0;
      return row >= 0 && row < rows && col >= 0 && col < cols;
    };
    return { whole, view: whole.subarray(start), ld, inside };
  }

  for (const [M, N, K] of [
    [7, 13, 5],
    [131, 517, 259],
  ] as const) {
    for (const [transA, transB] of TRANSPOSES) {
      t.test(
        name(`${label(transA, transB)} on strided views leaves the rest untouched, M=${M} N=${N} K=${K}`),
        async (t) => {
          backend.fresh();
          const random = testRandom(97 + M + N + K);
          const A = transA ? embedded(K, M, random, backend) : embedded(M, K, random, backend);
          const B = transB ? embedded(N, K, random, backend) : embedded(K, N, random, backend);
          const C = embedded(M, N, random, backend);
          const before = C.whole.slice();
          const expected = C.whole.slice();
          const expectedView = expected.subarray(C.whole.length - C.view.length);
          backend.kernels.gemm(C.view, A.view, B.view, M, N, K, transA, transB, 1.25, 0.75, A.ld, B.ld, C.ld);
          gemmReference(expectedView, A.view, B.view, M, N, K, transA, transB, 1.25, 0.75, A.ld, B.ld, C.ld);
          const r = allClose(C.whole, expected, RTOL, ATOL);
          t.ok(r.ok, r.message);
          const touched = C.whole.findIndex((value, i) => !C.inside(i) && !Object.is(value, before[i]));
          t.equal(touched, -1, 'no element outside the C block changes');
        },
      );
    }
  }

  /** Many rows (the native gemm runs A's strips outermost from 256 rows), short and long depth. */
  for (const [M, N, K] of [
    [300, 70, 40],
    [272, 40, 300],
  ] as const) {
    for (const [transA, transB] of TRANSPOSES) {
      t.test(
        name(
          `${label(transA, transB)} with many rows matches the reference, and row blocks the whole, M=${M} N=${N} K=${K}`,
        ),
        async (t) => {
          const { a, b, c } = operands(backend, M, N, K, 41 + M + N + K);
          const expected = new Float32Array(M * N);
          backend.kernels.gemm(c, a, b, M, N, K, transA, transB);
          gemmReference(expected, a, b, M, N, K, transA, transB);
          const r = allClose(c, expected, RTOL, ATOL);
          t.ok(r.ok, r.message);
          const blocks = backend.allocate(M * N);
          const lda = transA ? M : K;
          for (const [row0, rows] of [
            [0, 264],
            [264, M - 264],
          ]) {
            const aView = a.subarray(transA ? row0 : row0 * K);
            const cView = blocks.subarray(row0 * N);
            backend.kernels.gemm(cView, aView, b, rows, N, K, transA, transB, 1, 0, lda, transB ? K : N, N);
          }
          t.same(Array.from(blocks), Array.from(c), 'rows [0, 264) and [264, M) in two calls: the same bits');
        },
      );
    }
  }
}
