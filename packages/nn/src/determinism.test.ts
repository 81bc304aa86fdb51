// Determinism (issue 3): initialisation, shuffling and dropout draw from the counter-based
// generator, so the same seed gives bitwise the same run and another seed another run; and a
// sample's dropout mask is keyed by its global index (and the epoch, and the layer's place), so
// how a batch is split or how long its sequences are cannot change it.

import { testRandom } from '@recur/kernels/testing';
import t from 'tap';
import { Arena } from './arena.js';
import type { Flow, StepContext } from './layer.js';
import { dense } from './layers/dense.js';
import { Dropout, dropout } from './layers/dropout.js';
import { lstm } from './layers/recurrent.js';
import { type Batch, sequential } from './model.js';
import { sineNext } from './testing/tasks.js';

const T = 6;
const task = sineNext(40, T, 5);

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

async function trainedParams(modelSeed: number, fitSeed: number): Promise<Float32Array> {
  const model = sequential(
    [
      lstm({ units: 6, returnSequences: true }),
      dropout({ rate: 0.3 }),
      lstm({ units: 6 }),
      dense({ units: 1 }),
    ],
    {
      inputShape: [T, 1],
      seed: modelSeed,
    },
  );
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
  await model.fit(task.x, task.y, { epochs: 3, batchSize: 8, shuffle: true, seed: fitSeed });
  return model.params.slice();
}

t.test('the same seeds give bitwise the same parameters after fit with shuffling and dropout', async (t) => {
  const a = await trainedParams(1, 2);
  const b = await trainedParams(1, 2);
  t.ok(bytes(a).equals(bytes(b)), 'identical bytes');
});

t.test('another fit seed (shuffling and dropout) gives other parameters', async (t) => {
  const a = await trainedParams(1, 2);
  const b = await trainedParams(1, 3);
  t.notOk(bytes(a).equals(bytes(b)), 'different bytes');
});

t.test('another model seed gives another initialisation', async (t) => {
  const make = (seed: number) =>
    sequential([lstm({ units: 6 }), dense({ units: 1 })], { inputShape: [T, 1], seed });
  t.ok(bytes(make(4).params).equals(bytes(make(4).params)), 'same seed, same start');
  t.notOk(bytes(make(4).params).equals(bytes(make(5).params)), 'other seed, other start');
});

/** A Dropout layer built for [steps, F] at `where`, bound for batches of up to 4. */
function boundDropout(rate: number, steps: number, F: number, where = 'layers.1'): Dropout {
  const layer = new Dropout({ rate });
  layer.build({ steps, features: F, ids: false }, where);
  layer.bind(new Map(), new Map(), Arena.create(1 << 16, false), 4);
  return layer;
}

const ctx = (sampleIndex: number[], epoch = 0): StepContext => ({
  training: true,
  seed: 7,
  epoch,
  sampleIndex: Int32Array.from(sampleIndex),
});

/** Runs dropout on ones (T, B, F) and returns sample b's values (T·F). */
function maskOf(layer: Dropout, T: number, B: number, F: number, b: number, context: StepContext): number[] {
  const flow: Flow = { data: new Float32Array(T * B * F).fill(1), ids: null, T, B, lengths: null };
  const out = layer.forward(flow, context).data;
  const values: number[] = [];
  for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) values.push(out[(t * B + b) * F + f]);
  return values;
}

t.test('a sample gets the same dropout mask alone or in a batch, at any position', async (t) => {
  const layer = boundDropout(0.5, 5, 3);
  const inBatch = maskOf(layer, 5, 2, 3, 1, ctx([5, 9]));
  const aloneMask = maskOf(layer, 5, 1, 3, 0, ctx([9]));
  const reordered = maskOf(layer, 5, 3, 3, 0, ctx([9, 2, 5]));
  t.same(inBatch, aloneMask, 'batch [5, 9] vs [9]');
  t.same(reordered, aloneMask, 'batch [9, 2, 5] vs [9]');
  t.ok(aloneMask.includes(0) && aloneMask.includes(2), 'the mask drops some values and scales the rest');
});

t.test('a shorter batch gets the first steps of the same masks', async (t) => {
  const layer = boundDropout(0.5, 5, 3);
  const full = maskOf(layer, 5, 1, 3, 0, ctx([9]));
  const short = maskOf(layer, 3, 1, 3, 0, ctx([9]));
  t.same(short, full.slice(0, 9));
});

t.test('masks differ between samples, epochs and layers', async (t) => {
  const layer = boundDropout(0.5, 5, 3);
  const base = maskOf(layer, 5, 1, 3, 0, ctx([9]));
  t.notSame(maskOf(layer, 5, 1, 3, 0, ctx([8])), base, 'another sample');
  t.notSame(maskOf(layer, 5, 1, 3, 0, ctx([9], 1)), base, 'another epoch');
  t.notSame(maskOf(boundDropout(0.5, 5, 3, 'layers.3'), 5, 1, 3, 0, ctx([9])), base, 'another layer');
});

t.test(
  'in a model, a training forward pass gives sample 9 the same output alone or in a batch',
  async (t) => {
    const model = sequential(
      [lstm({ units: 5, returnSequences: true }), dropout({ rate: 0.5 }), dense({ units: 2 })],
      {
        inputShape: [4, 3],
        seed: 2,
      },
    );
    model.ensureMemory(2);
    const random = testRandom(3);
    const x = Float32Array.from({ length: 2 * 4 * 3 }, () => 2 * random() - 1); // (2, 4, 3): samples 5, 9
    const batch = (B: number, data: Float32Array, index: number[]): Batch => ({
      B,
      T: 4,
      x: data,
      ids: null,
      lengths: null,
      target: null,
      sampleIndex: Int32Array.from(index),
    });
    const rowsOf = (out: Flow, b: number) =>
      Array.from({ length: out.T }, (_, s) =>
        Array.from(out.data.subarray((s * out.B + b) * 2, (s * out.B + b + 1) * 2)),
      );
    const both = rowsOf(model.forward(batch(2, x, [5, 9]), ctx([5, 9])), 1);
    const alone = rowsOf(model.forward(batch(1, x.slice(12), [9]), ctx([9])), 0);
    t.same(alone, both, 'same output for sample 9');
    const evaluation = { ...ctx([9]), training: false };
    const noDropout = rowsOf(model.forward(batch(1, x.slice(12), [9]), evaluation), 0);
    t.notSame(alone, noDropout, 'and dropout was active');
  },
);
