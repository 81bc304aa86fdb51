// Keras interop (issue 3): models built in @tensorflow/tfjs-layers (the Keras layout in
// JavaScript) with random weights give, once their get_weights() lists are imported, the same
// outputs here: an LSTM, a GRU with reset_after=False (the only GRU tfjs-layers has), a SimpleRNN
// under a bidirectional LSTM, an embedding; a GRU with reset_after=True, which tfjs cannot build,
// against a hand-written float64 Keras GRU; exportKeras back into tfjs; and coded errors.
//
// Tolerance: rtol 1e-5, atol 1e-6. Both sides compute in float32 from the same float32 values.
// tfjs layers use recurrentActivation: 'sigmoid' (its default is 'hardSigmoid'; ours is the
// logistic sigmoid, Keras' default since 2.3) and zeros initializers (its orthogonal initializer
// needs chained ops that tfjs-core's Node build does not register; setWeights replaces them anyway).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { allClose, testRandom } from '@recur/kernels/testing';
import * as tfl from '@tensorflow/tfjs-layers';
import t from 'tap';
import type { Model } from '../base-model.js';
import { bidirectional } from '../layers/bidirectional.js';
import { dense } from '../layers/dense.js';
import { embedding } from '../layers/embedding.js';
import { gru, lstm, simpleRNN } from '../layers/recurrent.js';
import { sequential } from '../model.js';
import { exportKeras, importKeras, type KerasWeight } from './keras.js';

const RTOL = 1e-5;
const ATOL = 1e-6;
const N = 3;
const T = 6;

tf.env().set('PROD', true); // silences the "install tfjs-node" banner
await tf.setBackend('cpu');

const zeros = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as const;
const cell = { ...zeros, recurrentActivation: 'sigmoid' } as const;

/** Values uniform in [-scale, scale) from a seeded generator. */
function uniform(random: () => number, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => scale * (2 * random() - 1));
}

/** Sets every weight of a tfjs model to random values and returns its get_weights() lists. */
function randomize(model: tfl.Sequential, seed: number): KerasWeight[][] {
  const random = testRandom(seed);
  return model.layers.map((layer) => {
    const weights = layer.getWeights().map((w) => tf.tensor(uniform(random, w.size, 0.8), w.shape));
    layer.setWeights(weights);
    return weights.map((w) => ({ shape: w.shape, data: w.dataSync() as Float32Array }));
  });
}

function predictTfjs(model: tfl.Sequential, x: Float32Array | Int32Array, shape: number[]): Float32Array {
  const input = x instanceof Int32Array ? tf.tensor(x, shape, 'int32') : tf.tensor(x, shape);
  return (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
}

interface Case {
  tfjs: () => tfl.Sequential;
  recur: () => Model;
  ids?: boolean;
}

const cases: Record<string, Case> = {
  'an LSTM with a per-step dense head': {
    tfjs: () =>
      tfl.sequential({
        layers: [
          tfl.layers.lstm({ units: 5, returnSequences: true, inputShape: [T, 3], ...cell }),
          tfl.layers.dense({ units: 2 }),
        ],
      }),
    recur: () =>
      sequential([lstm({ units: 5, returnSequences: true }), dense({ units: 2 })], { inputShape: [T, 3] }),
  },
  'a GRU with reset_after=False': {
    tfjs: () =>
      tfl.sequential({
        layers: [tfl.layers.gru({ units: 4, inputShape: [T, 3], ...cell }), tfl.layers.dense({ units: 2 })],
      }),
    recur: () =>
      sequential([gru({ units: 4, resetAfter: false }), dense({ units: 2 })], { inputShape: [T, 3] }),
  },
  'a bidirectional LSTM under a SimpleRNN': {
    tfjs: () =>
      tfl.sequential({
        layers: [
          tfl.layers.bidirectional({
            layer: tfl.layers.lstm({ units: 3, returnSequences: true, ...cell }),
            inputShape: [T, 2],
          }),
          tfl.layers.simpleRNN({ units: 4, ...zeros }),
          tfl.layers.dense({ units: 2, activation: 'tanh' }),
        ],
      }),
    recur: () =>
      sequential(
        [
          bidirectional(lstm({ units: 3, returnSequences: true })),
          simpleRNN({ units: 4 }),
          dense({ units: 2, activation: 'tanh' }),
        ],
        { inputShape: [T, 2] },
      ),
  },
  'an embedding under a GRU (reset_after=False)': {
    ids: true,
    tfjs: () =>
      tfl.sequential({
        layers: [
          tfl.layers.embedding({ inputDim: 7, outputDim: 3, inputLength: T }),
          tfl.layers.gru({ units: 4, returnSequences: true, ...cell }),
        ],
      }),
    recur: () =>
      sequential(
        [
          embedding({ inputDim: 7, outputDim: 3 }),
          gru({ units: 4, returnSequences: true, resetAfter: false }),
        ],
        {
          inputShape: [T],
        },
      ),
  },
};

/** A random input for `model`: token ids or floats in [-1, 1). */
function randomInput(model: Model, ids: boolean, seed: number) {
  const random = testRandom(seed);
  const features = model.inputSpec.features;
  if (ids) return { data: Int32Array.from({ length: N * T }, () => Math.floor(random() * 7)), shape: [N, T] };
  return { data: uniform(random, N * T * features, 1), shape: [N, T, features] };
}

for (const [name, c] of Object.entries(cases)) {
  t.test(`${name} gives the outputs of tfjs-layers`, async (t) => {
    const keras = c.tfjs();
    const weights = randomize(keras, 7);
    const model = c.recur();
    importKeras(model, weights);
    const x = randomInput(model, c.ids ?? false, 8);
    const r = allClose(await model.predict(x), predictTfjs(keras, x.data, x.shape), RTOL, ATOL);
    t.ok(r.ok, r.message);
  });

  t.test(`${name}: exportKeras gives weights tfjs-layers runs the same`, async (t) => {
    const model = c.recur();
    model.params.set(uniform(testRandom(14), model.params.length, 0.8)); // bias_hh included
    const exported = exportKeras(model);
    const keras = c.tfjs();
    keras.layers.forEach((layer, i) => {
      layer.setWeights(exported[i].map((w) => tf.tensor(w.data, w.shape)));
    });
    const x = randomInput(model, c.ids ?? false, 9);
    const r = allClose(await model.predict(x), predictTfjs(keras, x.data, x.shape), RTOL, ATOL);
    t.ok(r.ok, r.message);
  });

  t.test(`${name}: import then export gives the Keras weights back exactly`, async (t) => {
    const weights = randomize(c.tfjs(), 10);
    const model = c.recur();
    importKeras(model, weights);
    const again = exportKeras(model);
    t.same(
      again.map((list) => list.map((w) => [w.shape, Array.from(w.data)])),
      weights.map((list) => list.map((w) => [w.shape, Array.from(w.data)])),
    );
  });
}

/** Keras' GRU with reset_after=True in float64: gates z, r, h; bias [input; recurrent]. */
function kerasGruResetAfter(x: Float32Array, k: KerasWeight[], I: number, H: number): Float64Array {
  const [kernel, recurrent, bias] = k.map((w) => w.data);
  const G = 3 * H;
  const out = new Float64Array(N * H);
  for (let n = 0; n < N; n++) {
    const h = new Float64Array(H);
    for (let s = 0; s < T; s++) {
      const mx = Float64Array.from({ length: G }, (_, g) => bias[g]);
      const mh = Float64Array.from({ length: G }, (_, g) => bias[G + g]);
      for (let g = 0; g < G; g++) {
        for (let i = 0; i < I; i++) mx[g] += x[(n * T + s) * I + i] * kernel[i * G + g];
        for (let j = 0; j < H; j++) mh[g] += h[j] * recurrent[j * G + g];
      }
      for (let j = 0; j < H; j++) {
        const z = 1 / (1 + Math.exp(-(mx[j] + mh[j])));
        const r = 1 / (1 + Math.exp(-(mx[H + j] + mh[H + j])));
        const hh = Math.tanh(mx[2 * H + j] + r * mh[2 * H + j]);
        h[j] = z * h[j] + (1 - z) * hh;
      }
    }
    out.set(h, n * H);
  }
  return out;
}

t.test('a GRU with reset_after=True (bias [2, 3H]) gives the outputs of a float64 Keras GRU', async (t) => {
  const [I, H] = [3, 4];
  const random = testRandom(11);
  const weights: KerasWeight[] = [
    { shape: [I, 3 * H], data: uniform(random, I * 3 * H, 0.8) },
    { shape: [H, 3 * H], data: uniform(random, H * 3 * H, 0.8) },
    { shape: [2, 3 * H], data: uniform(random, 6 * H, 0.8) },
  ];
  const model = sequential([gru({ units: H })], { inputShape: [T, I] });
  importKeras(model, [weights]);
  const x = uniform(random, N * T * I, 1);
  const r = allClose(
    await model.predict({ data: x, shape: [N, T, I] }),
    kerasGruResetAfter(x, weights, I, H),
    RTOL,
    ATOL,
  );
  t.ok(r.ok, r.message);
  t.same(
    Array.from(exportKeras(model)[0][2].data),
    Array.from(weights[2].data),
    'the [2, 3H] bias exports back',
  );
});

t.test('Keras weights that do not fit give coded errors, and change nothing', async (t) => {
  const model = cases['a GRU with reset_after=False'].recur();
  const weights = randomize(cases['a GRU with reset_after=False'].tfjs(), 12);
  const before = model.params.slice();
  t.throws(() => importKeras(model, [weights[0]]), {
    code: 'ERR_NN_LAYOUT_MISMATCH',
    message: /one entry .* per model layer: 2, got 1 entries/,
  });
  const [kernel, recurrent, bias] = weights[0];
  const wide = { shape: [2, 12], data: new Float32Array(24) };
  t.throws(() => importKeras(model, [[kernel, recurrent, wide], weights[1]]), {
    code: 'ERR_NN_LAYOUT_MISMATCH',
    message:
      /layers\.0: a Keras GRU bias \[2,12\] means reset_after=True, but this gru has resetAfter: false/,
  });
  t.throws(() => importKeras(model, [[recurrent, recurrent, bias], weights[1]]), {
    code: 'ERR_NN_LAYOUT_MISMATCH',
    message: /layers\.0: kernel has shape \[4,12\], expected \[3,12\]/,
  });
  t.throws(() => importKeras(model, [[kernel], weights[1]]), {
    code: 'ERR_NN_LAYOUT_MISMATCH',
    message: /layers\.0: expected the Keras weights \[kernel, recurrent_kernel, bias\], got 1 weights/,
  });
  t.throws(
    () => importKeras(model, [weights[0], [{ shape: [4, 2], data: new Float32Array(3) }, weights[1][1]]]),
    {
      code: 'ERR_NN_BAD_WEIGHTS',
      message: /layers\.1: kernel has shape \[4,2\] but 3 values/,
    },
  );
  t.same(model.params, before);
});

t.test('null leaves a layer as it is; use_bias=False imports zero biases', async (t) => {
  const model = sequential([lstm({ units: 2 }), dense({ units: 1 })], { inputShape: [T, 1] });
  const head = model.layout.view(model.params, 'layers.1.weight').slice();
  const random = testRandom(13);
  importKeras(model, [
    [
      { shape: [1, 8], data: uniform(random, 8, 1) },
      { shape: [2, 8], data: uniform(random, 16, 1) },
    ],
    null,
  ]);
  t.same(model.layout.view(model.params, 'layers.1.weight'), head);
  t.same(Array.from(model.layout.view(model.params, 'layers.0.bias_ih')), new Array(8).fill(0));
});
