// Activations and softmax: forward values, in-place use, extreme inputs, and finite-difference
// checks of every backward (which derives f' from the output y and accumulates into dx).
import t from 'tap';
import {
  type Activation,
  activationBackward,
  activationForward,
  hardSigmoid,
  sigmoid,
  softmaxBackward,
  softmaxForward,
} from './activations.js';
import { allClose, randomArray, testRandom } from './testing/arrays.js';
import { dot, gradcheck } from './testing/gradcheck.js';

const KINDS: Activation[] = ['linear', 'tanh', 'sigmoid', 'relu', 'hardSigmoid'];
const EPSILON = 3e-3;

/** Float64 definitions, independent of the kernels. */
const REFERENCE: Record<Activation, (x: number) => number> = {
  linear: (x) => x,
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => Math.max(0, x),
  hardSigmoid: (x) => Math.min(1, Math.max(0, x / 6 + 0.5)),
};

/** Inputs in [-5, 5] kept away from the kinks (0 for relu, ±3 for hard sigmoid) by more than the FD step. */
function inputsAwayFromKinks(n: number, seed: number): Float32Array {
  const x = randomArray(n, testRandom(seed), -5, 5);
  for (let i = 0; i < n; i++) {
    for (const kink of [0, -3, 3]) {
      if (Math.abs(x[i] - kink) < 4 * EPSILON) x[i] = kink + 0.1;
    }
  }
  return x;
}

t.test('sigmoid is exact at 0, saturates without NaN, and matches 1/(1+e^-x)', async (t) => {
  t.equal(sigmoid(0), 0.5);
  t.equal(sigmoid(1000), 1);
  t.equal(sigmoid(-1000), 0);
  const xs = [-30, -5, -0.5, 0.25, 3, 30];
  const r = allClose(xs.map(sigmoid), xs.map(REFERENCE.sigmoid), 1e-14, 0);
  t.ok(r.ok, r.message);
  t.ok(sigmoid(-745) > 0 && sigmoid(-745) < 1e-300, 'tiny but positive far to the left');
});

t.test('hard sigmoid is clip(x/6 + 1/2, 0, 1) (PyTorch, Keras 3)', async (t) => {
  const r = allClose([-4, -3, 0, 1.2, 3, 9].map(hardSigmoid), [0, 0, 0.5, 0.7, 1, 1], 0, 1e-15);
  t.ok(r.ok, r.message);
});

for (const kind of KINDS) {
  t.test(`${kind} forward matches the float64 definition, also in place`, async (t) => {
    const x = randomArray(40, testRandom(1), -6, 6);
    const y = new Float32Array(40);
    activationForward(kind, y, x, 40);
    const expected = Array.from(x, REFERENCE[kind]);
    const r = allClose(y, expected, 1e-6, 1e-7);
    t.ok(r.ok, r.message);
    const inPlace = x.slice();
    activationForward(kind, inPlace, inPlace, 40);
    t.same(inPlace, y, 'y aliasing x gives the same result');
  });

  t.test(`${kind} backward matches finite differences and accumulates`, async (t) => {
    const n = 30;
    const x = inputsAwayFromKinks(n, 2);
    const gy = randomArray(n, testRandom(3));
    const y = new Float32Array(n);
    const loss = () => {
      activationForward(kind, y, x, n);
      return dot(y, gy);
    };
    loss();
    const dx = new Float32Array(n).fill(0.5);
    activationBackward(kind, dx, y, gy, n);
    for (let i = 0; i < n; i++) dx[i] -= 0.5;
    const r = gradcheck(x, dx, loss, { epsilon: EPSILON });
    t.ok(r.ok, r.message);
  });
}

t.test('relu and hard sigmoid pass no gradient on their flat parts and at the kinks', async (t) => {
  const x = Float32Array.from([-1, 0, 2, -3, 3, -5, 5]);
  const y = new Float32Array(7);
  const dy = new Float32Array(7).fill(1);
  const dx = new Float32Array(7);
  activationForward('relu', y, x, 7);
  activationBackward('relu', dx, y, dy, 7);
  t.same(Array.from(dx), [0, 0, 1, 0, 1, 0, 1]);
  dx.fill(0);
  activationForward('hardSigmoid', y, x, 7);
  activationBackward('hardSigmoid', dx, y, dy, 7);
  t.same(Array.from(dx), [1 / 6, 1 / 6, 1 / 6, 0, 0, 0, 0].map(Math.fround));
});

t.test('softmax rows sum to one, survive huge logits, and work in place', async (t) => {
  const rows = 3;
  const cols = 5;
  const x = randomArray(rows * cols, testRandom(4), -3, 3);
  x[5] = 1000; // row 1 holds a logit that would overflow exp without the max shift
  x[6] = 999;
  const y = new Float32Array(rows * cols);
  softmaxForward(y, x, rows, cols);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += y[r * cols + j];
    t.ok(Math.abs(sum - 1) < 1e-6, `row ${r} sums to ${sum}`);
  }
  t.ok(Math.abs(y[5] - 1 / (1 + Math.exp(-1))) < 1e-6, 'the huge pair splits as sigmoid(1)');
  const inPlace = x.slice();
  softmaxForward(inPlace, inPlace, rows, cols);
  t.same(inPlace, y, 'y aliasing x gives the same result');
});

t.test('softmax backward matches finite differences and accumulates', async (t) => {
  const rows = 4;
  const cols = 6;
  const x = randomArray(rows * cols, testRandom(5), -2, 2);
  const gy = randomArray(rows * cols, testRandom(6));
  const y = new Float32Array(rows * cols);
  const loss = () => {
    softmaxForward(y, x, rows, cols);
    return dot(y, gy);
  };
  loss();
  const dx = new Float32Array(rows * cols).fill(-1);
  softmaxBackward(dx, y, gy, rows, cols);
  for (let i = 0; i < dx.length; i++) dx[i] += 1;
  const r = gradcheck(x, dx, loss, { epsilon: EPSILON });
  t.ok(r.ok, r.message);
});
