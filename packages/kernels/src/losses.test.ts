// Losses: values against plain float64 definitions, gradients against finite differences, for
// both reductions with and without a row mask; masked rows (even NaN ones) get zero gradient; an
// all-zero mask gives 0; large logits stay finite.
import t, { type Test } from 'tap';
import {
  binaryCrossEntropyWithLogits,
  maeLoss,
  maskWeight,
  mseLoss,
  type Reduction,
  softmaxCrossEntropy,
  sparseSoftmaxCrossEntropy,
} from './losses.js';
import { allClose, randomArray, testRandom } from './testing/arrays.js';
import { gradcheck } from './testing/gradcheck.js';

const N = 5;
const D = 4; // values per row, or classes V for the cross entropies
const MASKS: [string, Float32Array | null][] = [
  ['no mask', null],
  ['mask 1,0,1,1,0', Float32Array.from([1, 0, 1, 1, 0])],
];
const REDUCTIONS: Reduction[] = ['mean', 'sum'];

/** A loss with its targets bound: (gradient or null, prediction, mask, reduction) → loss. */
type BoundLoss = (d: Float32Array | null, x: Float32Array, mask: Float32Array | null, r: Reduction) => number;
/** The same loss per row in float64: Σ over the row of the elementwise loss. */
type RowLoss = (x: Float32Array, n: number) => number;

interface LossCase {
  name: string;
  /** elementwise losses divide 'mean' by Σmask·D, cross entropies by Σmask */
  perElement: boolean;
  make: (seed: number) => { x: Float32Array; loss: BoundLoss; row: RowLoss };
}

function logSoftmax64(x: Float32Array, n: number, j: number): number {
  let sum = 0;
  for (let k = 0; k < D; k++) sum += Math.exp(x[n * D + k]);
  return x[n * D + j] - Math.log(sum);
}

const CASES: LossCase[] = [
  {
    name: 'mseLoss',
    perElement: true,
    make: (seed) => {
      const random = testRandom(seed);
      const target = randomArray(N * D, random);
      const x = randomArray(N * D, random);
      return {
        x,
        loss: (d, p, mask, r) => mseLoss(d, p, target, mask, N, D, r),
        row: (p, n) => sumRow((i) => (p[i] - target[i]) ** 2, n),
      };
    },
  },
  {
    name: 'maeLoss',
    perElement: true,
    make: (seed) => {
      const random = testRandom(seed);
      const target = randomArray(N * D, random);
      const x = randomArray(N * D, random);
      // keep |p − t| clear of the kink at 0 by more than the finite-difference step
      for (let i = 0; i < x.length; i++) if (Math.abs(x[i] - target[i]) < 0.05) x[i] = target[i] + 0.1;
      return {
        x,
        loss: (d, p, mask, r) => maeLoss(d, p, target, mask, N, D, r),
        row: (p, n) => sumRow((i) => Math.abs(p[i] - target[i]), n),
      };
    },
  },
  {
    name: 'softmaxCrossEntropy',
    perElement: false,
    make: (seed) => {
      const random = testRandom(seed);
      const target = randomArray(N * D, random, 0, 1);
      for (let n = 0; n < N; n++) normaliseRow(target, n, n === 2 ? 0.7 : 1); // row 2 sums to 0.7
      target[D + 1] = 0; // a zero probability is skipped, not multiplied by a log
      const x = randomArray(N * D, random, -3, 3);
      return {
        x,
        loss: (d, p, mask, r) => softmaxCrossEntropy(d, p, target, mask, N, D, r),
        row: (p, n) => sumRow((i) => -target[i] * logSoftmax64(p, n, i - n * D), n),
      };
    },
  },
  {
    name: 'sparseSoftmaxCrossEntropy',
    perElement: false,
    make: (seed) => {
      const random = testRandom(seed);
      const labels = Int32Array.from([0, 3, 1, 3, 2]);
      const x = randomArray(N * D, random, -3, 3);
      return {
        x,
        loss: (d, p, mask, r) => sparseSoftmaxCrossEntropy(d, p, labels, mask, N, D, r),
        row: (p, n) => -logSoftmax64(p, n, labels[n]),
      };
    },
  },
  {
    name: 'binaryCrossEntropyWithLogits',
    perElement: true,
    make: (seed) => {
      const random = testRandom(seed);
      const target = randomArray(N * D, random, 0, 1);
      target[0] = 0;
      target[1] = 1;
      const x = randomArray(N * D, random, -4, 4);
      const s = (v: number) => 1 / (1 + Math.exp(-v));
      return {
        x,
        loss: (d, p, mask, r) => binaryCrossEntropyWithLogits(d, p, target, mask, N, D, r),
        row: (p, n) =>
          sumRow((i) => -(target[i] * Math.log(s(p[i])) + (1 - target[i]) * Math.log(1 - s(p[i]))), n),
      };
    },
  },
];

function sumRow(f: (i: number) => number, n: number): number {
  let sum = 0;
  for (let i = n * D; i < (n + 1) * D; i++) sum += f(i);
  return sum;
}

function normaliseRow(a: Float32Array, n: number, total: number): void {
  const sum = sumRow((i) => a[i], n);
  for (let i = n * D; i < (n + 1) * D; i++) a[i] *= total / sum;
}

function expectedLoss(c: LossCase, row: RowLoss, x: Float32Array, mask: Float32Array | null, r: Reduction) {
  let total = 0;
  for (let n = 0; n < N; n++) total += (mask === null ? 1 : mask[n]) * row(x, n);
  if (r === 'sum') return total;
  return total / (maskWeight(mask, N) * (c.perElement ? D : 1));
}

function checkCase(t: Test, c: LossCase, maskName: string, mask: Float32Array | null, r: Reduction) {
  t.test(`${c.name}, ${r}, ${maskName}: value and finite differences`, async (t) => {
    const { x, loss, row } = c.make(11);
    const d = new Float32Array(x.length).fill(Number.NaN); // written (=), never read
    const value = loss(d, x, mask, r);
    const close = allClose([value], [expectedLoss(c, row, x, mask, r)], 1e-12, 1e-12);
    t.ok(close.ok, `loss: ${close.message}`);
    t.equal(loss(null, x, mask, r), value, 'the same loss without a gradient buffer');
    // The loss is float64 of float32 inputs, so central differences are accurate to ~ε².
    const g = gradcheck(x, d, () => loss(null, x, mask, r), { rtol: 1e-3, atol: 1e-6, maxElements: N * D });
    t.ok(g.ok, `gradient: ${g.message}`);
  });
}

for (const c of CASES) {
  for (const [maskName, mask] of MASKS) for (const r of REDUCTIONS) checkCase(t, c, maskName, mask, r);

  t.test(`${c.name}: masked rows are ignored and get zero gradient, even when NaN`, async (t) => {
    const { x, loss } = c.make(12);
    const mask = Float32Array.from([1, 0, 1, 1, 0]);
    const clean = loss(null, x, mask, 'mean');
    x.fill(Number.NaN, D, 2 * D);
    x.fill(Number.NaN, 4 * D, 5 * D);
    const d = new Float32Array(x.length).fill(7);
    t.equal(loss(d, x, mask, 'mean'), clean);
    t.same(Array.from(d.subarray(D, 2 * D)), [0, 0, 0, 0], 'row 1');
    t.same(Array.from(d.subarray(4 * D)), [0, 0, 0, 0], 'row 4');
  });

  t.test(`${c.name}: an all-zero mask gives loss 0 and zero gradients`, async (t) => {
    const { x, loss } = c.make(13);
    const mask = new Float32Array(N);
    for (const r of REDUCTIONS) {
      const d = new Float32Array(x.length).fill(Number.NaN);
      t.equal(loss(d, x, mask, r), 0, r);
      t.ok(
        d.every((v) => v === 0),
        `${r}: zero gradient`,
      );
    }
  });
}

t.test('maskWeight is Σmask, or N without a mask', async (t) => {
  t.equal(maskWeight(null, 7), 7);
  t.equal(maskWeight(Float32Array.from([1, 0, 1, 1]), 4), 3);
  t.equal(maskWeight(Float32Array.from([1, 1, 1, 1]), 2), 2, 'only the first N rows count');
});

t.test('maeLoss takes the subgradient 0 where prediction equals target (as PyTorch)', async (t) => {
  const d = new Float32Array(3);
  const loss = maeLoss(d, Float32Array.from([1, 2, 3]), Float32Array.from([1, 0, 5]), null, 1, 3, 'sum');
  t.equal(loss, 4);
  t.same(Array.from(d), [0, 1, -1]);
});

t.test('cross entropies stay finite and exact for logits of ±1000', async (t) => {
  const logits = Float32Array.from([1000, 999, -1000, 0]);
  const d = new Float32Array(4);
  const expected = Math.log(1 + Math.exp(-1) + Math.exp(-1000) + Math.exp(-1000)) + 1;
  const sparse = sparseSoftmaxCrossEntropy(d, logits, Int32Array.from([1]), null, 1, 4, 'sum');
  t.ok(Math.abs(sparse - expected) < 1e-12, `sparse: ${sparse} vs ${expected}`);
  t.ok(
    d.every((v) => Number.isFinite(v)),
    'finite gradient',
  );
  const dense = softmaxCrossEntropy(d, logits, Float32Array.from([0, 1, 0, 0]), null, 1, 4, 'sum');
  t.equal(dense, sparse, 'a one-hot target gives the sparse loss');
});

t.test('binary cross entropy on logits is stable for |x| = 100', async (t) => {
  const d = new Float32Array(4);
  const loss = binaryCrossEntropyWithLogits(
    d,
    Float32Array.from([100, -100, 100, -100]),
    Float32Array.from([1, 0, 0, 1]),
    null,
    1,
    4,
    'sum',
  );
  t.ok(Math.abs(loss - 200) < 1e-9, `loss ${loss} ≈ 200 (two confident mistakes)`);
  const r = allClose(d, [0, 0, 1, -1], 0, 1e-30);
  t.ok(r.ok, r.message);
});
