// evaluate and predict from a fit callback on threads(2), with a batch larger than the training
// batch: the model's memory (the threads' shared arena, sized for the training batch) is kept,
// and the larger batch runs in parts of at most that size. Evaluation changes nothing of the
// training: the parameters after fit are bitwise those of the run that evaluates with the
// training batch (threads are bit-identical run to run), they stay in the shared arena, and the
// numbers the callback saw at the last epoch are those of the same call after fit. A thread
// group outside fit (a cluster node's) holds the memory alike, from start to close.

import { relativeError as relative } from '@recur/kernels/testing';
import { type ArrayData, ArraySource, type Callback, dense, gru, sequential } from '@recur/nn';
import t from 'tap';
import { ThreadGroup } from './group.js';
import { resolveOptions, threads } from './threads.js';

const T = 5;
const N = 96;
const VAL = 48;
const BATCH = 16;
const LARGE = 64;

function sines(n: number, phase: number): { x: ArrayData; y: ArrayData } {
  const x = new Float32Array(n * T);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < T; s++) x[i * T + s] = Math.sin(0.37 * (i + s) + phase);
    y[i] = Math.sin(0.37 * (i + T) + phase);
  }
  return { x: { data: x, shape: [n, T, 1] }, y: { data: y, shape: [n, 1] } };
}

const train = sines(N, 0);
const val = sines(VAL, 1.3);

const build = () => {
  const model = sequential([gru({ units: 6 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 5 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.02 }, metrics: ['mae'] });
  return model;
};

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** fit on threads(2) with a callback that evaluates and predicts `val` in batches of `batchSize`. */
async function fitEvaluating(batchSize: number) {
  const model = build();
  const seen: { logs: Record<string, number>; predicted: Float32Array }[] = [];
  const callback: Callback = {
    async onEpochEnd(_epoch, _logs, run) {
      const logs = await run.model.evaluate(val.x, val.y, { batchSize });
      const predicted = await run.model.predict(val.x, { batchSize });
      seen.push({ logs, predicted });
    },
  };
  const history = await model.fit(train.x, train.y, {
    batchSize: BATCH,
    epochs: 3,
    validationData: [val.x, val.y],
    callbacks: [callback],
    strategy: threads(2),
  });
  return { model, history, seen };
}

t.test(
  'evaluate and predict in larger batches inside a threads(2) fit leave training unchanged',
  async (t) => {
    const small = await fitEvaluating(BATCH);
    const large = await fitEvaluating(LARGE);
    t.equal(
      Buffer.compare(bytes(large.model.params), bytes(small.model.params)),
      0,
      'the trained parameters are bitwise those of the run evaluating in training-sized batches',
    );
    t.equal(large.model.params.buffer.constructor.name, 'SharedArrayBuffer', 'still the threads arena');
    t.same(large.history.history.val_loss, small.history.history.val_loss, "fit's own val_loss alike");
    for (let epoch = 0; epoch < 3; epoch++) {
      const gap = relative(large.seen[epoch].predicted, small.seen[epoch].predicted);
      t.ok(gap <= 1e-6, `epoch ${epoch}: predictions of both runs agree (${gap})`);
      t.ok(
        Math.abs(large.seen[epoch].logs.loss - small.seen[epoch].logs.loss) <=
          1e-6 * small.seen[epoch].logs.loss,
        `epoch ${epoch}: evaluate's loss agrees (${large.seen[epoch].logs.loss} vs ${small.seen[epoch].logs.loss})`,
      );
    }
    t.ok(
      large.seen[2].logs.loss < large.seen[0].logs.loss,
      'the callback saw the training progress (its evaluations read the live parameters)',
    );
  },
);

t.test("the callback's last evaluation equals evaluate and predict after fit", async (t) => {
  const { model, seen } = await fitEvaluating(LARGE);
  const after = await model.evaluate(val.x, val.y, { batchSize: LARGE });
  const predicted = await model.predict(val.x, { batchSize: LARGE });
  const last = seen[seen.length - 1];
  t.ok(relative(predicted, last.predicted) <= 1e-6, 'predict');
  t.ok(Math.abs(after.loss - last.logs.loss) <= 1e-6 * after.loss, `loss ${after.loss} vs ${last.logs.loss}`);
  t.ok(Math.abs(after.mae - last.logs.mae) <= 1e-6 * after.mae, `mae ${after.mae} vs ${last.logs.mae}`);
});

t.test('a thread group holds the shared memory from start to close', async (t) => {
  const model = build();
  const source = new ArraySource(train.x, train.y, { shuffle: false, seed: 0 });
  const group = await ThreadGroup.start(model, source, BATCH, 2, resolveOptions(2, {}));
  const memory = model.memory;
  try {
    const before = (await model.evaluate(val.x, val.y, { batchSize: LARGE })).loss;
    await group.step(0, 0);
    const after = (await model.evaluate(val.x, val.y, { batchSize: LARGE })).loss;
    t.equal(model.memory, memory, 'the same memory after evaluating in batches of 64');
    t.equal(memory?.maxBatch, BATCH);
    t.not(after, before, "the ranks' step reached the parameters evaluate reads");
  } finally {
    await group.close();
  }
  await model.evaluate(val.x, val.y, { batchSize: LARGE });
  t.equal(model.memory?.maxBatch, LARGE, 'once closed, the memory grows to the batch as before');
});
