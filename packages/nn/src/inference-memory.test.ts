// evaluate and predict against the model's memory (training/inference.ts, Note [inference in a
// held memory]): inside fit they never replace the memory that training uses, whatever their
// batch size (a larger batch runs in parts of at most the memory's), so evaluation changes
// nothing of the training; outside fit, a model's memory grows to the batch asked for, as before.
// The threads(W) form of the first is packages/parallel/src/inference-in-fit.test.ts.

import t from 'tap';
import { dense } from './layers/dense.js';
import { gru, lstm } from './layers/recurrent.js';
import { sequential } from './model.js';
import { sineNext } from './testing/tasks.js';
import type { Callback } from './training/callbacks.js';

const T = 5;
const train = sineNext(96, T, 3);
const val = sineNext(48, T, 4);
const BATCH = 16;
const LARGE = 64;

const build = (stateful = false) => {
  const model = sequential([gru({ units: 6, stateful }), dense({ units: 1 })], {
    inputShape: [T, 1],
    seed: 5,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.02 }, metrics: ['mae'] });
  return model;
};

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.abs(b);

/** fit on this thread with a callback that evaluates and predicts `val` in batches of `batchSize`. */
async function fitEvaluating(batchSize: number) {
  const model = build();
  const memories = new Set<unknown>();
  const seen: { loss: number; predicted: Float32Array }[] = [];
  const callback: Callback = {
    async onEpochEnd(_epoch, _logs, run) {
      memories.add(run.model.memory);
      const { loss } = await run.model.evaluate(val.x, val.y, { batchSize });
      const predicted = await run.model.predict(val.x, { batchSize });
      memories.add(run.model.memory);
      seen.push({ loss, predicted });
    },
  };
  const history = await model.fit(train.x, train.y, {
    batchSize: BATCH,
    epochs: 3,
    validationData: [val.x, val.y],
    callbacks: [callback],
  });
  return { model, history, seen, memories };
}

t.test(
  'evaluate and predict in larger batches inside fit keep its memory and leave training unchanged',
  async (t) => {
    const small = await fitEvaluating(BATCH);
    const large = await fitEvaluating(LARGE);
    t.equal(large.memories.size, 1, 'the same memory before and after every evaluation');
    t.equal(large.model.memory?.maxBatch, BATCH, 'sized for the training batch, not grown');
    t.equal(
      Buffer.compare(bytes(large.model.params), bytes(small.model.params)),
      0,
      'the trained parameters are bitwise those of the run evaluating in training-sized batches',
    );
    t.same(large.history.history.val_loss, small.history.history.val_loss);
    large.seen.forEach((s, epoch) => {
      t.ok(
        close(s.loss, small.seen[epoch].loss),
        `epoch ${epoch}: loss ${s.loss} vs ${small.seen[epoch].loss}`,
      );
      t.same(s.predicted, small.seen[epoch].predicted, `epoch ${epoch}: predictions`);
    });
    const after = await large.model.evaluate(val.x, val.y, { batchSize: LARGE });
    t.ok(
      close(after.loss, large.seen[2].loss),
      `after fit: ${after.loss} vs ${large.seen[2].loss} in the callback`,
    );
    t.equal(large.model.memory?.maxBatch, LARGE, 'after fit, the memory grows to the batch as before');
  },
);

t.test('a model never fit evaluates and predicts in any batch size, growing its memory', async (t) => {
  const grown = build();
  await grown.evaluate(val.x, val.y, { batchSize: BATCH });
  t.equal(grown.memory?.maxBatch, BATCH);
  const logs = await grown.evaluate(val.x, val.y, { batchSize: LARGE });
  const predicted = await grown.predict(val.x, { batchSize: LARGE });
  t.equal(grown.memory?.maxBatch, LARGE, 'grown to the larger batch');
  const fresh = build();
  t.same(logs, await fresh.evaluate(val.x, val.y, { batchSize: LARGE }), 'as a model that started at 64');
  t.same(predicted, await fresh.predict(val.x, { batchSize: LARGE }));
});

t.test('inside fit, a stateful model evaluates in batches of at most the training batch', async (t) => {
  const evaluating = (batchSize: number): Callback => ({
    onEpochEnd: async (_epoch, _logs, run) => void (await run.model.evaluate(val.x, val.y, { batchSize })),
  });
  const options = { batchSize: BATCH, epochs: 1, shuffle: false };
  await t.resolves(build(true).fit(train.x, train.y, { ...options, callbacks: evaluating(BATCH) }));
  await t.rejects(build(true).fit(train.x, train.y, { ...options, callbacks: evaluating(BATCH + 1) }), {
    code: 'ERR_NN_LIMIT_EXCEEDED',
    message: /layers\.0 \(gru\) is stateful.*at most 16.*got 17/,
  });
  const lstmModel = sequential([lstm({ units: 3 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 1 });
  lstmModel.compile({ loss: 'mse' });
  await t.resolves(
    lstmModel.fit(train.x, train.y, { ...options, callbacks: evaluating(BATCH + 1) }),
    'a model without stateful layers runs the batch of 17 in parts',
  );
});
