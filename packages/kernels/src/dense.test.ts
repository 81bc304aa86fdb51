// Dense layer: forward against a float64 triple loop, with and without bias, and finite-
// difference checks of every gradient (x, w, b), which accumulate.
import t from 'tap';
import { denseBackward, denseForward } from './dense.js';
import { allClose, randomArray, testRandom } from './testing/arrays.js';
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

for (const { N, In, O } of SHAPES) {
  for (const withBias of [true, false]) {
    const name = `N=${N} In=${In} O=${O} ${withBias ? 'with' : 'without'} bias`;

    t.test(`forward matches x·wᵀ + b, ${name}`, async (t) => {
      const random = testRandom(N * 100 + In * 10 + O);
      const x = randomArray(N * In, random);
      const w = randomArray(O * In, random);
      const b = withBias ? randomArray(O, random) : null;
      const y = new Float32Array(N * O).fill(Number.NaN); // forward overwrites, NaN included
      denseForward(y, x, w, b, N, In, O);
      const r = allClose(y, reference(x, w, b, N, In, O), 1e-6, 1e-6);
      t.ok(r.ok, r.message);
    });

    t.test(`backward matches finite differences for x, w and b, ${name}`, async (t) => {
      const random = testRandom(N * 7 + In * 3 + O + 1);
      const x = randomArray(N * In, random);
      const w = randomArray(O * In, random);
      const b = withBias ? randomArray(O, random) : null;
      const gy = randomArray(N * O, random);
      const y = new Float32Array(N * O);
      const loss = () => {
        denseForward(y, x, w, b, N, In, O);
        return dot(y, gy);
      };
      // Start every gradient at 1 to check accumulation, then take the 1 away.
      const dx = new Float32Array(N * In).fill(1);
      const dw = new Float32Array(O * In).fill(1);
      const db = withBias ? new Float32Array(O).fill(1) : null;
      denseBackward(dx, dw, db, x, w, gy, N, In, O);
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

t.test('backward with dx and db null computes only dw', async (t) => {
  const random = testRandom(9);
  const x = randomArray(12, random);
  const w = randomArray(8, random);
  const dy = randomArray(6, random);
  const full = new Float32Array(8);
  denseBackward(new Float32Array(12), full, new Float32Array(2), x, w, dy, 3, 4, 2);
  const only = new Float32Array(8);
  denseBackward(null, only, null, x, w, dy, 3, 4, 2);
  t.same(only, full);
});
