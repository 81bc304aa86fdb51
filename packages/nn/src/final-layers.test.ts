// Note [final layers]: model.layerRanges matches the layout, and a backward asked for its
// progress reports the loss first, then every layer from the top down, each at a moment when its
// range of the gradient already holds its final value (a snapshot then equals the gradient after
// the whole backward). Without a listener nothing changes.

import { testRandom } from '@recur/kernels/testing';
import t, { type Test } from 'tap';
import type { Model } from './base-model.js';
import type { BackwardProgress, StepContext } from './layer.js';
import { dense } from './layers/dense.js';
import { dropout } from './layers/dropout.js';
import { embedding } from './layers/embedding.js';
import { gru, lstm } from './layers/recurrent.js';
import { type Batch, sequential } from './model.js';
import { encoderDecoder } from './seq2seq.js';

const B = 3;
const T = 4;

const uniform = (n: number, seed: number) => {
  const random = testRandom(seed);
  return Float32Array.from({ length: n }, () => 2 * random() - 1);
};

function floatBatch(model: Model, outSteps: number): Batch {
  return {
    B,
    T,
    x: uniform(B * T * model.inputSpec.features, 1),
    ids: null,
    lengths: Int32Array.from([4, 2, 3]),
    target: uniform(B * outSteps * model.outputSpec.features, 2),
    sampleIndex: Int32Array.from([0, 1, 2]),
  };
}

/** Runs one backward with a listener; returns the events and the snapshots of each final range. */
function record(model: Model, batch: Batch) {
  const memory = model.ensureMemory(B);
  const grads = memory.slots[0];
  const events: string[] = [];
  const snapshots = new Map<number, Float32Array>();
  const progress: BackwardProgress = {
    lossKnown: (loss) => events.push(`loss ${loss.count}`),
    layerFinal: (i) => {
      events.push(`layer ${i}`);
      const [start, end] = model.layerRanges[i];
      snapshots.set(i, grads.slice(start, end));
    },
  };
  const ctx: StepContext = { training: true, seed: 1, epoch: 0, sampleIndex: batch.sampleIndex };
  const withListener = model.computeGradients(batch, 'mse', { ...ctx, backwardProgress: progress });
  const reported = grads.slice();
  const plain = model.computeGradients(batch, 'mse', ctx);
  return { events, snapshots, reported, plain: grads.slice(), loss: [withListener, plain] };
}

function checkFinal(t: Test, model: Model, batch: Batch, loss: string) {
  const r = record(model, batch);
  const L = model.layers.length;
  const expected = [loss, ...Array.from({ length: L }, (_, k) => `layer ${L - 1 - k}`)];
  t.same(r.events, expected, 'the loss, then every layer from the top');
  t.same(r.reported, r.plain, 'a listener changes no gradient');
  t.same(r.loss[0], r.loss[1], 'nor the loss');
  model.layerRanges.forEach(([start, end], i) => {
    t.same(
      r.snapshots.get(i),
      r.plain.subarray(start, end),
      `layer ${i} [${start}, ${end}) was final when reported`,
    );
  });
}

t.test('layerRanges are the layout rows of each layer, contiguous, in layer order', async (t) => {
  const model = sequential(
    [
      lstm({ units: 4, returnSequences: true }),
      dropout({ rate: 0.2 }),
      gru({ units: 3 }),
      dense({ units: 2 }),
    ],
    {
      inputShape: [T, 3],
    },
  );
  let at = 0;
  model.layerRanges.forEach(([start, end], i) => {
    t.equal(start, at, `layer ${i} starts where the one before ends`);
    const rows = model.layout.rows.filter((row) => row.name.startsWith(model.prefixes[i]));
    const size = rows.reduce((a, row) => a + row.size, 0);
    t.equal(end - start, size, `layer ${i} spans its rows`);
    if (rows.length > 0) t.equal(rows[0].offset, start, `layer ${i}'s first row`);
    at = end;
  });
  t.equal(at, model.layout.size, 'the ranges cover P');
  t.same(model.layerRanges[1], [model.layerRanges[0][1], model.layerRanges[0][1]], 'dropout: an empty range');
});

t.test('stacked lstm → gru → dense: each layer is final when reported', async (t) => {
  const model = sequential(
    [lstm({ units: 4, returnSequences: true }), gru({ units: 3 }), dense({ units: 2 })],
    {
      inputShape: [T, 3],
      seed: 2,
    },
  );
  checkFinal(t, model, floatBatch(model, 1), `loss ${B * 2}`);
});

t.test('an ids input: the embedding below reports too', async (t) => {
  const model = sequential(
    [embedding({ inputDim: 5, outputDim: 3 }), lstm({ units: 3 }), dense({ units: 1 })],
    {
      inputShape: [T],
      seed: 3,
    },
  );
  const batch: Batch = {
    B,
    T,
    x: null,
    ids: Int32Array.from([1, 4, 2, 3, 2, 1, 1, 0, 3, 1, 2, 4]),
    lengths: null,
    target: uniform(B, 4),
    sampleIndex: Int32Array.from([0, 1, 2]),
  };
  checkFinal(t, model, batch, `loss ${B}`);
});

t.test('encoderDecoder: head, decoder, encoder', async (t) => {
  const model = encoderDecoder({
    cell: 'gru',
    units: 3,
    inputShape: [T, 2],
    outputSteps: 2,
    outputFeatures: 1,
    seed: 4,
  });
  checkFinal(t, model, floatBatch(model, 2), `loss ${B * 2}`);
});
