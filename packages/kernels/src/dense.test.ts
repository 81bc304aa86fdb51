// Dense layer: forward against a float64 triple loop, with and without bias, and finite-
// difference checks of every gradient (x, w, b), which accumulate; on every backend (testBackends()).
import t from 'tap';
import { allClose, testRandom } from './testing/arrays.js';
import { type TestBackend, testBackends } from './testing/backends.js';
import { dot, gradcheck } from './testing/gradcheck.js';

/** y (N, O) = x (N, In) · wᵀ + b in float64. */
function reference(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  N: number,
  In: number,
  O: number,
) {
  const y = new Float64Array(N * O);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let sum = b === null ? 0 : b[o];
      for (let i = 0; i < In; i++) sum += x[n * In + i] * w[o * In + i];
      y[n * O + o] = sum;
    }
  }
  return y;
}

const SHAPES = [
  { N: 1, In: 1, O: 1 },
  { N: 4, In: 3, O: 5 },
  { N: 7, In: 6, O: 2 },
];

for (const backend of testBackends()) runCases(backend);

function runCases(backend: TestBackend) {
  for (const { N, In, O } of SHAPES) {
    for (const withBias of [true, false]) {
      const name = `N=${N} In=${In} O=${O} ${withBias ? 'with' : 'without'} bias`;

      t.test(`[${backend.name}] forward matches x·wᵀ + b, ${name}`, async (t) => {
        backend.fresh();
        const random = testRandom(N * 100 + In * 10 + O);
        const x = backend.random(N * In, random);
        const w = backend.random(O * In, random);
        const b = withBias ? backend.random(O, random) : null;
        const y = backend.allocate(N * O).fill(Number.NaN); // forward overwrites, NaN included
        backend.kernels.denseForward(y, x, w, b, N, In, O);
        const r = allClose(y, reference(x, w, b, N, In, O), 1e-6, 1e-6);
        t.ok(r.ok, r.message);
      });

      t.test(`[${backend.name}] backward matches finite differences for x, w and b, ${name}`, async (t) => {
        backend.fresh();
        const random = testRandom(N * 7 + In * 3 + O + 1);
        const x = backend.random(N * In, random);
        const w = backend.random(O * In, random);
        const b = withBias ? backend.random(O, random) : null;
        const gy = backend.random(N * O, random);
        const y = backend.allocate(N * O);
        const loss = () => {
          backend.kernels.denseForward(y, x, w, b, N, In, O);
          return dot(y, gy);
        };
        // Start every gradient at 1 to check accumulation, then take the 1 away.
        const dx = backend.allocate(N * In).fill(1);
        const dw = backend.allocate(O * In).fill(1);
        const db = withBias ? backend.allocate(O).fill(1) : null;
        backend.kernels.denseBackward(dx, dw, db, x, w, gy, N, In, O);
        for (const d of [dx, dw, db]) if (d !== null) for (let i = 0; i < d.length; i++) d[i] -= 1;
        const rx = gradcheck(x, dx, loss);
        t.ok(rx.ok, `dx: ${rx.message}`);
        const rw = gradcheck(w, dw, loss);
        t.ok(rw.ok, `dw: ${rw.message}`);
        if (b !== null && db !== null) {
          const rb = gradcheck(b, db, loss);
          t.ok(rb.ok, `db: ${rb.message}`);
        }
      });
    }
  }

  t.test(`[${backend.name}] backward with dx and db null computes only dw`, async (t) => {
    backend.fresh();
    const random = testRandom(9);
    const x = backend.random(12, random);
    const w = backend.random(8, random);
    const dy = backend.random(6, random);
    const full = backend.allocate(8);
    backend.kernels.denseBackward(backend.allocate(12), full, backend.allocate(2), x, w, dy, 3, 4, 2);
    const only = backend.allocate(8);
    backend.kernels.denseBackward(null, only, null, x, w, dy, 3, 4, 2);
    t.same(only, full);
  });
}
