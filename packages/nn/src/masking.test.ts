// Masking gives the same result as running each sample at its own length (issue 3). A right-padded
// batch with lengths, whose padding holds large garbage values (not zeros) and garbage targets,
// must give per sample the outputs (predict) of that sample run alone, unpadded, in a model built
// for exactly its length; and the batch's gradient sums must equal the sum of the lone samples'
// gradients. Layouts do not depend on the number of steps, so parameters copy across as a block.

import { allClose, testRandom } from '@recur/kernels/testing';
import t, { type Test } from 'tap';
import type { Layer, StepContext } from './layer.js';
import { bidirectional } from './layers/bidirectional.js';
import { dense } from './layers/dense.js';
import { dropout } from './layers/dropout.js';
import { embedding } from './layers/embedding.js';
import { gru, lstm, simpleRNN } from './layers/recurrent.js';
import { type Batch, type Sequential, sequential } from './model.js';

const T = 5;
const F = 2;
const O = 2;
const LENGTHS = [5, 2, 4, 1];
const N = LENGTHS.length;
const SAMPLE_INDEX = [3, 8, 0, 5];
const TOLERANCE = 1e-5;

interface Data {
  x: Float32Array; // (N, T, F), garbage after each length
  target: Float32Array; // (N, T, O) or (N, O), garbage after each length
}

function makeData(sequenceOutput: boolean): Data {
  const random = testRandom(17);
  const x = new Float32Array(N * T * F);
  const target = new Float32Array(N * (sequenceOutput ? T : 1) * O);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < T * F; i++) {
      const real = Math.floor(i / F) < LENGTHS[n];
      x[n * T * F + i] = real ? 2 * random() - 1 : 40 + 20 * random();
    }
  }
  for (let i = 0; i < target.length; i++) target[i] = 2 * random() - 1;
  if (sequenceOutput) {
    for (let n = 0; n < N; n++) target.fill(99, (n * T + LENGTHS[n]) * O, (n + 1) * T * O);
  }
  return { x, target };
}

/** Sample n alone: its real steps only. */
function alone(data: Data, n: number, sequenceOutput: boolean): Data {
  const len = LENGTHS[n];
  const x = data.x.slice(n * T * F, (n * T + len) * F);
  const target = sequenceOutput
    ? data.target.slice(n * T * O, (n * T + len) * O)
    : data.target.slice(n * O, (n + 1) * O);
  return { x, target };
}

const ctx = (sampleIndex: number[], training: boolean): StepContext => ({
  training,
  seed: 5,
  epoch: 1,
  sampleIndex: Int32Array.from(sampleIndex),
});

function gradientSums(
  model: Sequential,
  data: Data,
  B: number,
  steps: number,
  lengths: number[] | null,
  index: number[],
  training: boolean,
) {
  const memory = model.ensureMemory(B);
  const batch: Batch = {
    B,
    T: steps,
    x: data.x,
    ids: null,
    lengths: lengths === null ? null : Int32Array.from(lengths),
    target: data.target,
    sampleIndex: Int32Array.from(index),
  };
  const loss = model.computeGradients(batch, 'mse', ctx(index, training));
  return { grads: Float64Array.from(memory.slots[0]), loss };
}

/** Checks outputs and gradient sums of the padded batch against the samples run alone. */
async function checkMasking(t: Test, makeLayers: () => Layer[], training = false) {
  const padded = sequential(makeLayers(), { inputShape: [T, F], seed: 3 });
  const sequenceOutput = padded.outputSpec.steps !== null;
  const steps = sequenceOutput ? T : 1;
  const data = makeData(sequenceOutput);
  const outputs = await padded.predict({ data: data.x, shape: [N, T, F], lengths: LENGTHS });
  const batched = gradientSums(padded, data, N, T, LENGTHS, SAMPLE_INDEX, training);
  const got: number[] = [];
  const expected: number[] = [];
  const summed = new Float64Array(batched.grads.length);
  let lossSum = 0;
  for (let n = 0; n < N; n++) {
    const len = LENGTHS[n];
    const single = sequential(makeLayers(), { inputShape: [len, F], seed: 1 });
    if (single.layout.hash() !== padded.layout.hash()) t.fail(`the layout for ${len} steps differs`);
    single.params.set(padded.params);
    const own = alone(data, n, sequenceOutput);
    expected.push(...(await single.predict({ data: own.x, shape: [1, len, F] })));
    got.push(...outputs.subarray(n * steps * O, (n * steps + (sequenceOutput ? len : 1)) * O));
    const one = gradientSums(single, own, 1, len, null, [SAMPLE_INDEX[n]], training);
    for (let i = 0; i < summed.length; i++) summed[i] += one.grads[i];
    lossSum += one.loss.sum;
  }
  const outputsClose = allClose(got, expected, TOLERANCE, TOLERANCE);
  t.ok(outputsClose.ok, `outputs at real steps: ${outputsClose.message}`);
  const gradsClose = allClose(batched.grads, summed, TOLERANCE, TOLERANCE);
  t.ok(gradsClose.ok, `gradient sums: ${gradsClose.message}`);
  const lossClose = allClose([batched.loss.sum], [lossSum], TOLERANCE, 0);
  t.ok(lossClose.ok, `loss sums: ${lossClose.message}`);
}

const head = () => dense({ units: O });
const cases: [string, () => Layer[]][] = [
  ['lstm', () => [lstm({ units: 4 }), head()]],
  ['lstm (returnSequences)', () => [lstm({ units: 4, returnSequences: true }), head()]],
  ['gru', () => [gru({ units: 4 }), head()]],
  ['gru (returnSequences)', () => [gru({ units: 4, returnSequences: true }), head()]],
  [
    'gru (resetAfter false, returnSequences)',
    () => [gru({ units: 4, resetAfter: false, returnSequences: true }), head()],
  ],
  ['simpleRNN (returnSequences)', () => [simpleRNN({ units: 4, returnSequences: true }), head()]],
  ['lstm (goBackwards)', () => [lstm({ units: 4, goBackwards: true }), head()]],
  [
    'lstm (goBackwards, returnSequences)',
    () => [lstm({ units: 4, goBackwards: true, returnSequences: true }), head()],
  ],
  ['bidirectional lstm', () => [bidirectional(lstm({ units: 3 })), head()]],
  [
    'bidirectional lstm (returnSequences)',
    () => [bidirectional(lstm({ units: 3, returnSequences: true })), head()],
  ],
  [
    'bidirectional gru (returnSequences, mul)',
    () => [bidirectional(gru({ units: 3, returnSequences: true }), { mergeMode: 'mul' }), head()],
  ],
  ['stacked lstm → gru', () => [lstm({ units: 4, returnSequences: true }), gru({ units: 3 }), head()]],
];

for (const [name, makeLayers] of cases) {
  t.test(`${name}: a padded batch matches each sample run at its own length`, (t) =>
    checkMasking(t, makeLayers),
  );
}

t.test('lstm → dropout while training: masks and gradients match each sample run alone', async (t) => {
  await checkMasking(
    t,
    () => [lstm({ units: 4, returnSequences: true }), dropout({ rate: 0.3 }), head()],
    true,
  );
});

t.test(
  'embedding (maskZero): ids after the first 0 are ignored, as if each sample ended there',
  async (t) => {
    const layers = () => [
      embedding({ inputDim: 6, outputDim: 3, maskZero: true }),
      gru({ units: 4 }),
      head(),
    ];
    // Lengths 5, 2, 3: garbage ids (not zeros) follow each sample's first 0.
    const ids = Int32Array.from([1, 2, 3, 4, 5, 4, 2, 0, 5, 5, 3, 3, 1, 0, 4]);
    const lengths = [5, 2, 3];
    const target = Float32Array.from([0.5, -0.5, 0.1, 0.2, -1, 1]);
    const padded = sequential(layers(), { inputShape: [T], seed: 3 });
    const outputs = await padded.predict({ data: ids, shape: [3, T] });
    const batch: Batch = {
      B: 3,
      T,
      x: null,
      ids,
      lengths: null,
      target,
      sampleIndex: Int32Array.from([0, 1, 2]),
    };
    const memory = padded.ensureMemory(3);
    padded.computeGradients(batch, 'mse', ctx([0, 1, 2], false));
    const grads = Float64Array.from(memory.slots[0]);
    const expected: number[] = [];
    const summed = new Float64Array(grads.length);
    for (const [n, len] of lengths.entries()) {
      const single = sequential(layers(), { inputShape: [len], seed: 1 });
      single.params.set(padded.params);
      const own = ids.slice(n * T, n * T + len);
      expected.push(...(await single.predict({ data: own, shape: [1, len] })));
      const one: Batch = {
        B: 1,
        T: len,
        x: null,
        ids: own,
        lengths: null,
        target: target.slice(n * O, (n + 1) * O),
        sampleIndex: Int32Array.from([n]),
      };
      const singleMemory = single.ensureMemory(1);
      single.computeGradients(one, 'mse', ctx([n], false));
      singleMemory.slots[0].forEach((g, i) => {
        summed[i] += g;
      });
    }
    const outputsClose = allClose(outputs, expected, TOLERANCE, TOLERANCE);
    t.ok(outputsClose.ok, `outputs: ${outputsClose.message}`);
    const gradsClose = allClose(grads, summed, TOLERANCE, TOLERANCE);
    t.ok(gradsClose.ok, `gradient sums (garbage ids get none): ${gradsClose.message}`);
  },
);
