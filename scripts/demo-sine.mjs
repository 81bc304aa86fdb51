// The README's main job until the `recur` CLI exists: train a small LSTM with @recur/kernels to
// predict the next value of a generated sine-wave series, and print the falling loss.
//
// Many-to-one: a window of T past values (B windows a batch) → LSTM → last hidden state → dense
// → the next value; MSE loss; Adam. Every parameter lives in one flat buffer described by a
// layout table, gradients in a second buffer of the same layout, so the optimizer is one call
// over the whole range (the memory model of DESIGN.md in miniature).
//
//   node scripts/demo-sine.mjs [--steps 300] [--seed 1]
import { parseArgs } from 'node:util';
import {
  adamUpdate,
  allocateLstmCache,
  allocateLstmWorkspace,
  denseBackward,
  denseForward,
  fillUniform,
  lstmBackward,
  lstmForward,
  mseLoss,
  RandomPurpose,
} from '@recur/kernels';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '300' }, seed: { type: 'string', default: '1' } },
});
const steps = Number(values.steps);
const seed = Number(values.seed);
for (const [name, value] of [
  ['steps', steps],
  ['seed', seed],
]) {
  if (!Number.isInteger(value) || value < 0 || (name === 'steps' && value === 0)) {
    console.error(
      `--${name} must be a ${name === 'steps' ? 'positive' : 'non-negative'} integer, got ${values[name]}`,
    );
    process.exit(2);
  }
}

const T = 24; // window length
const B = 32; // windows per batch
const I = 1; // one feature: the series value
const H = 32; // hidden units
const G = 4 * H;

// Layout table: (name, shape) rows in order; offsets follow from it.
const layout = [
  ['lstm.weight_ih', [G, I]],
  ['lstm.weight_hh', [G, H]],
  ['lstm.bias_ih', [G]],
  ['lstm.bias_hh', [G]],
  ['head.weight', [1, H]],
  ['head.bias', [1]],
];
const sizes = layout.map(([, shape]) => shape.reduce((a, b) => a * b, 1));
const P = sizes.reduce((a, b) => a + b, 0);
const params = new Float32Array(P);
const grads = new Float32Array(P);
const moment1 = new Float32Array(P);
const moment2 = new Float32Array(P);
const views = (buffer) => {
  let offset = 0;
  return Object.fromEntries(
    layout.map(([name], i) => {
      const view = buffer.subarray(offset, offset + sizes[i]);
      offset += sizes[i];
      return [name, view];
    }),
  );
};
const p = views(params);
const g = views(grads);

// Porting note: PyTorch draws LSTM weights from U(±1/sqrt(H)) and Linear ones from
// U(±1/sqrt(fan_in)); both bounds are 1/sqrt(H) here. Tensor i draws from its own stream.
const bound = 1 / Math.sqrt(H);
layout.forEach(([name], i) => {
  fillUniform(p[name], seed, RandomPurpose.init, 0, i, -bound, bound);
});

const weights = {
  wIh: p['lstm.weight_ih'],
  wHh: p['lstm.weight_hh'],
  bIh: p['lstm.bias_ih'],
  bHh: p['lstm.bias_hh'],
};
const lstmGrads = {
  dWIh: g['lstm.weight_ih'],
  dWHh: g['lstm.weight_hh'],
  dBIh: g['lstm.bias_ih'],
  dBHh: g['lstm.bias_hh'],
};
const dims = { T, B, I, H, reverse: false, lengths: null };
const cache = allocateLstmCache(dims);
const work = allocateLstmWorkspace(dims);
const x = new Float32Array(T * B * I); // (T, B, I) time-major
const target = new Float32Array(B); // (B, 1)
const y = new Float32Array(T * B * H);
const hT = new Float32Array(B * H);
const cT = new Float32Array(B * H);
const prediction = new Float32Array(B);
const dPrediction = new Float32Array(B);
const dhT = new Float32Array(B * H);
const phases = new Float32Array(B);
const adam = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** A batch of windows of sin(0.3·t) with random phases, and the value after each window. */
function fillBatch(step) {
  fillUniform(phases, seed, RandomPurpose.sample, step, 0, 0, 2 * Math.PI);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) x[t * B + b] = Math.sin(phases[b] + 0.3 * t);
    target[b] = Math.sin(phases[b] + 0.3 * T);
  }
}

function trainStep(step) {
  fillBatch(step);
  lstmForward(y, hT, cT, cache, x, null, null, weights, dims);
  denseForward(prediction, hT, p['head.weight'], p['head.bias'], B, H, 1);
  const loss = mseLoss(dPrediction, prediction, target, null, B, 1, 'mean');
  grads.fill(0);
  dhT.fill(0);
  denseBackward(dhT, g['head.weight'], g['head.bias'], hT, p['head.weight'], dPrediction, B, H, 1);
  lstmBackward(null, null, null, lstmGrads, work, cache, x, weights, null, 'all', dhT, null, dims);
  adamUpdate(params, moment1, moment2, grads, 0, P, step, adam);
  return loss;
}

console.log(`LSTM(${H}) on sin(0.3·t): ${P} parameters, batches of ${B} windows of ${T} steps`);
const started = performance.now();
let first = 0;
let recent = 0;
for (let step = 1; step <= steps; step++) {
  const loss = trainStep(step);
  if (step === 1) first = loss;
  recent = loss;
  if (step === 1 || step % 25 === 0) console.log(`step ${String(step).padStart(4)}  loss ${loss.toFixed(6)}`);
}
const seconds = (performance.now() - started) / 1000;
console.log(`loss ${first.toFixed(4)} → ${recent.toFixed(6)} in ${steps} steps (${seconds.toFixed(1)} s)`);
if (!(recent < first / 10)) {
  console.error('the loss did not fall tenfold: something is wrong');
  process.exit(1);
}
