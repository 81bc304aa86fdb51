// The whole model's gradient, layer by layer through backward, against central differences of the
// loss sum computed through forward and outputLoss: tiny models covering every layer kind, merge
// mode, masking by lengths and by maskZero, goBackwards (whose outputs are flipped back), and
// dropout masks while training. Float32 throughout, so a step of 3e-3 and 2e-2 relative tolerance.

import { gradcheck, testRandom } from '@recur/kernels/testing';
import t from 'tap';
import type { StepContext } from './layer.js';
import { bidirectional } from './layers/bidirectional.js';
import { dense } from './layers/dense.js';
import { dropout } from './layers/dropout.js';
import { embedding } from './layers/embedding.js';
import { gru, lstm, simpleRNN } from './layers/recurrent.js';
import type { Batch, Sequential } from './model.js';
import { sequential } from './model.js';
import type { LossName } from './training/loss.js';

const B = 3;
const T = 4;

const context = (training: boolean): StepContext => ({
  training,
  seed: 11,
  epoch: 2,
  sampleIndex: Int32Array.from([4, 0, 7]),
});

const uniform = (n: number, seed: number, scale = 1) => {
  const random = testRandom(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * random() - 1));
};

/** A float batch (B, T, F) with (B, T, O) or (B, O) float targets; garbage beyond each length. */
function floatBatch(model: Sequential, lengths: number[] | null): Batch {
  const F = model.inputSpec.features;
  const O = model.outputSpec.features;
  const steps = model.outputSpec.steps === null ? 1 : T;
  return {
    B,
    T,
    x: uniform(B * T * F, 1),
    ids: null,
    lengths: lengths === null ? null : Int32Array.from(lengths),
    target: uniform(B * steps * O, 2),
    sampleIndex: context(true).sampleIndex,
  };
}

/** Analytic gradient sums (slot 0), times `distort`, against central differences of the loss sum. */
function checkModel(model: Sequential, batch: Batch, loss: LossName, training: boolean, distort = 1) {
  const ctx = context(training);
  const memory = model.ensureMemory(B);
  model.computeGradients(batch, loss, ctx);
  const analytic = Float64Array.from(memory.slots[0], (g) => g * distort);
  const lossSum = () => model.outputLoss(model.forward(batch, ctx), batch, loss, null).sum;
  return gradcheck(model.params, analytic, lossSum, { maxElements: model.params.length });
}

t.test('embedding (maskZero) → bidirectional GRU → dense, sparse cross-entropy', async (t) => {
  const model = sequential(
    [
      embedding({ inputDim: 5, outputDim: 3, maskZero: true }),
      bidirectional(gru({ units: 3 })),
      dense({ units: 3 }),
    ],
    { inputShape: [T], seed: 1 },
  );
  const ids = Int32Array.from([1, 4, 2, 3, 2, 0, 0, 0, 3, 1, 0, 0]); // lengths 4, 1, 2
  const batch: Batch = {
    B,
    T,
    x: null,
    ids,
    lengths: null,
    target: Int32Array.from([2, 0, 1]),
    sampleIndex: context(false).sampleIndex,
  };
  const r = checkModel(model, batch, 'sparseCategoricalCrossentropy', false);
  t.ok(r.ok, r.message);
});

t.test('lstm (returnSequences) → dropout(0) → dense per step, with lengths, mse', async (t) => {
  const model = sequential(
    [lstm({ units: 4, returnSequences: true }), dropout({ rate: 0 }), dense({ units: 2 })],
    {
      inputShape: [T, 3],
      seed: 2,
    },
  );
  const r = checkModel(model, floatBatch(model, [4, 2, 3]), 'mse', true);
  t.ok(r.ok, r.message);
});

t.test('gru (resetAfter false) → dropout(0.4) while training → dense', async (t) => {
  const model = sequential(
    [gru({ units: 4, resetAfter: false }), dropout({ rate: 0.4 }), dense({ units: 2 })],
    {
      inputShape: [T, 3],
      seed: 3,
    },
  );
  const r = checkModel(model, floatBatch(model, [3, 4, 1]), 'mse', true);
  t.ok(r.ok, r.message);
});

t.test('simpleRNN (tanh, goBackwards, returnSequences) → dense per step, with lengths', async (t) => {
  const model = sequential(
    [simpleRNN({ units: 4, goBackwards: true, returnSequences: true }), dense({ units: 2 })],
    {
      inputShape: [T, 3],
      seed: 4,
    },
  );
  const r = checkModel(model, floatBatch(model, [2, 4, 3]), 'mse', false);
  t.ok(r.ok, r.message);
});

t.test('simpleRNN (relu) → dense (tanh) → dense, mae', async (t) => {
  const model = sequential(
    [
      simpleRNN({ units: 4, activation: 'relu' }),
      dense({ units: 3, activation: 'tanh' }),
      dense({ units: 2 }),
    ],
    { inputShape: [T, 3], seed: 5 },
  );
  const r = checkModel(model, floatBatch(model, null), 'mae', false);
  t.ok(r.ok, r.message);
});

for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
  t.test(
    `bidirectional lstm (mergeMode '${mergeMode}', returnSequences) → dense per step, with lengths`,
    async (t) => {
      const model = sequential(
        [bidirectional(lstm({ units: 3, returnSequences: true }), { mergeMode }), dense({ units: 2 })],
        { inputShape: [T, 2], seed: 6 },
      );
      const r = checkModel(model, floatBatch(model, [3, 1, 4]), 'mse', false);
      t.ok(r.ok, r.message);
    },
  );
}

t.test('two stacked LSTMs → dense, categorical cross-entropy', async (t) => {
  const model = sequential(
    [lstm({ units: 3, returnSequences: true }), lstm({ units: 3 }), dense({ units: 3 })],
    {
      inputShape: [T, 2],
      seed: 7,
    },
  );
  const batch = floatBatch(model, [4, 3, 2]);
  batch.target = Float32Array.from([1, 0, 0, 0, 0, 1, 0.5, 0.5, 0]);
  const r = checkModel(model, batch, 'categoricalCrossentropy', false);
  t.ok(r.ok, r.message);
});

t.test('the check is not vacuous: gradients 5% off fail it', async (t) => {
  const model = sequential([lstm({ units: 4, returnSequences: true }), dense({ units: 2 })], {
    inputShape: [T, 3],
    seed: 8,
  });
  const r = checkModel(model, floatBatch(model, [4, 2, 3]), 'mse', false, 1.05);
  t.notOk(r.ok, r.message);
});

t.test(
  "the first layer's input gradient is not computed (its input is the batch); the others' are",
  async (t) => {
    const model = sequential(
      [bidirectional(lstm({ units: 3, returnSequences: true })), gru({ units: 2 }), dense({ units: 1 })],
      {
        inputShape: [T, 2],
        seed: 4,
      },
    );
    const calls: [number, boolean | undefined, boolean][] = [];
    model.layers.forEach((layer, i) => {
      const backward = layer.backward.bind(layer);
      layer.backward = (dOutput, ctx, inputGradient) => {
        const dx = backward(dOutput, ctx, inputGradient);
        calls.push([i, inputGradient, dx !== null]);
        return dx;
      };
    });
    const r = checkModel(model, floatBatch(model, [4, 2, 3]), 'mse', false);
    t.ok(r.ok, r.message);
    t.same(
      calls,
      [
        [2, true, true],
        [1, true, true],
        [0, false, false],
      ],
      'layer 0 is asked for no input gradient and returns none',
    );
  },
);
