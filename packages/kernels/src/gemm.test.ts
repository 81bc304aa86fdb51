// The tuned gemm against gemmReference: all four transpose combinations on tiny, odd and
// block-crossing shapes, alpha and beta, beta = 0 over NaN, K = 0, and strided views (lda, ldb,
// ldc) whose surroundings must stay untouched. Tolerances allow for a different summation order.
import t from 'tap';
import { gemm, gemmReference } from './gemm.js';
import { allClose, randomArray, testRandom } from './testing/arrays.js';

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
function operands(M: number, N: number, K: number, seed: number, fill = 0) {
  const random = testRandom(seed);
  const a = randomArray(M * K, random);
  const b = randomArray(K * N, random);
  const c = new Float32Array(M * N).fill(fill);
  return { a, b, c, random };
}

for (const [M, N, K] of SHAPES) {
  for (const [transA, transB] of TRANSPOSES) {
    t.test(`${label(transA, transB)} matches the reference at M=${M} N=${N} K=${K}`, async (t) => {
      const { a, b, c } = operands(M, N, K, M * 7919 + N * 31 + K);
      const expected = new Float32Array(M * N);
      gemm(c, a, b, M, N, K, transA, transB);
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
    t.test(`${label(transA, transB)} applies alpha and beta at M=${M} N=${N} K=${K}`, async (t) => {
      const { a, b, c, random } = operands(M, N, K, 11 + M + N + K);
      c.set(randomArray(M * N, random));
      const expected = c.slice();
      gemm(c, a, b, M, N, K, transA, transB, 0.5, -1.5);
      gemmReference(expected, a, b, M, N, K, transA, transB, 0.5, -1.5);
      const r = allClose(c, expected, RTOL, ATOL);
      t.ok(r.ok, r.message);
    });

    t.test(`${label(transA, transB)} with beta = 0 ignores NaN in C at M=${M} N=${N} K=${K}`, async (t) => {
      const { a, b, c } = operands(M, N, K, 23 + M + N + K, Number.NaN);
      const expected = new Float32Array(M * N);
      gemm(c, a, b, M, N, K, transA, transB, 2, 0);
      gemmReference(expected, a, b, M, N, K, transA, transB, 2, 0);
      const r = allClose(c, expected, RTOL, ATOL);
      t.ok(r.ok, r.message);
    });
  }
}

t.test('K = 0 scales C by beta, and beta = 0 clears NaN', async (t) => {
  const c = new Float32Array([1, 2, Number.NaN, 4, 5, 6]);
  const empty = new Float32Array(0);
  gemm(c, empty, empty, 2, 3, 0, false, false, 1, 0);
  t.same(Array.from(c), [0, 0, 0, 0, 0, 0]);
  c.set([1, 2, 3, 4, 5, 6]);
  gemm(c, empty, empty, 2, 3, 0, true, true, 1, 2);
  t.same(Array.from(c), [2, 4, 6, 8, 10, 12]);
});

/**
 * A (rows, cols) block at (row0, col0) of a wider (rows + 3, ld) matrix, as gemm sees it: the
 * view starts at the block's first element and the row stride is ld.
 */
function embedded(rows: number, cols: number, random: () => number) {
  const ld = cols + 5;
  const row0 = 2;
  const col0 = 3;
  const whole = randomArray((rows + 3) * ld, random); // (rows + 3, ld)
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
      `${label(transA, transB)} on strided views leaves the rest untouched, M=${M} N=${N} K=${K}`,
      async (t) => {
        const random = testRandom(97 + M + N + K);
        const A = transA ? embedded(K, M, random) : embedded(M, K, random);
        const B = transB ? embedded(N, K, random) : embedded(K, N, random);
        const C = embedded(M, N, random);
        const before = C.whole.slice();
        const expected = C.whole.slice();
        const expectedView = expected.subarray(C.whole.length - C.view.length);
        gemm(C.view, A.view, B.view, M, N, K, transA, transB, 1.25, 0.75, A.ld, B.ld, C.ld);
        gemmReference(expectedView, A.view, B.view, M, N, K, transA, transB, 1.25, 0.75, A.ld, B.ld, C.ld);
        const r = allClose(C.whole, expected, RTOL, ATOL);
        t.ok(r.ok, r.message);
        const touched = C.whole.findIndex((value, i) => !C.inside(i) && !Object.is(value, before[i]));
        t.equal(touched, -1, 'no element outside the C block changes');
      },
    );
  }
}
