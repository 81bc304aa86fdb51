// fit's two plug points (training/fit.ts): a TrainingStrategy object runs every optimizer step
// and is closed at the end, also when fit stops or fails; and any object with size, hasLengths
// and fill() is a batch source fit trains from (validationData works beside it).
import t from 'tap';
import {
  type BatchBuffers,
  type BatchSource,
  dense,
  gru,
  localStrategy,
  sequential,
  type TrainingStrategy,
} from './index.js';

const N = 10;
const T = 4;

/** y = the sum of a sequence's steps: (N, T, 1) → (N, 1). */
function sumTask(n = N) {
  const x = new Float32Array(n * T);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(1.7 * i) * 0.5;
  const y = new Float32Array(n);
  for (let s = 0; s < n; s++) for (let k = 0; k < T; k++) y[s] += x[s * T + k];
  return { x: { data: x, shape: [n, T, 1] }, y: { data: y, shape: [n, 1] } };
}

const makeModel = () => {
  const model = sequential([gru({ units: 6 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 3 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.03 } });
  return model;
};

/** A strategy that runs the local one and records its calls. */
function recording() {
  const local = localStrategy();
  const calls: [number, number, number][] = [];
  let closed = 0;
  const strategy: TrainingStrategy = {
    name: 'recording',
    step(model, source, epoch, batchIndex, batchSize) {
      calls.push([epoch, batchIndex, batchSize]);
      return local.step(model, source, epoch, batchIndex, batchSize);
    },
    async close() {
      closed++;
    },
  };
  return { strategy, calls, closed: () => closed };
}

t.test('a custom TrainingStrategy runs every step of every epoch and is closed once', async (t) => {
  const { x, y } = sumTask();
  const { strategy, calls, closed } = recording();
  const model = makeModel();
  const batchLosses: number[] = [];
  const history = await model.fit(x, y, {
    batchSize: 4,
    epochs: 3,
    strategy,
    callbacks: { onBatchEnd: (_, logs) => void batchLosses.push(logs.loss) },
  });
  const expected: [number, number, number][] = [];
  for (let e = 0; e < 3; e++) for (let b = 0; b < 3; b++) expected.push([e, b, 4]);
  t.same(calls, expected, '3 epochs × ceil(10 / 4) batches, in order');
  t.equal(closed(), 1, 'close() once, at the end');
  t.equal(batchLosses.length, 9, "each step's result reaches onBatchEnd");
  t.same(history.epochs, [0, 1, 2]);

  // The same run through the default strategy: the wrapper changed nothing.
  const plain = makeModel();
  const plainHistory = await plain.fit(x, y, { batchSize: 4, epochs: 3 });
  t.same(history.history.loss, plainHistory.history.loss, 'the same losses as the default strategy');
  t.same(model.params, plain.params, 'the same weights as the default strategy');
});

t.test('the strategy decides what a step does: its { sum, count } become the logs', async (t) => {
  const { x, y } = sumTask();
  const calls: number[] = [];
  const strategy: TrainingStrategy = {
    name: 'constant',
    async step(_model, _source, _epoch, batchIndex) {
      calls.push(batchIndex);
      return { sum: 6, count: 3 };
    },
  };
  const model = makeModel();
  const before = model.params.slice();
  const history = await model.fit(x, y, { batchSize: 5, epochs: 2, strategy });
  t.same(calls, [0, 1, 0, 1]);
  t.same(history.history.loss, [2, 2], 'loss = Σ sum / Σ count');
  t.same(model.params, before, 'fit itself never touches the weights');
});

t.test('the strategy is closed when fit stops through its signal and when a step fails', async (t) => {
  const { x, y } = sumTask();
  const controller = new AbortController();
  const { strategy, calls, closed } = recording();
  const stopping: TrainingStrategy = {
    name: 'stopping',
    async step(...args) {
      const result = await strategy.step(...args);
      if (calls.length === 2) controller.abort();
      return result;
    },
    close: () => strategy.close?.() as Promise<void>,
  };
  const history = await makeModel().fit(x, y, {
    batchSize: 2,
    epochs: 5,
    strategy: stopping,
    signal: controller.signal,
  });
  t.equal(history.aborted, true);
  t.equal(calls.length, 2, 'no step after the abort');
  t.equal(closed(), 1, 'closed after stopping');

  let closedAfterFailure = 0;
  const failing: TrainingStrategy = {
    name: 'failing',
    async step() {
      throw new Error('worker 1 crashed');
    },
    async close() {
      closedAfterFailure++;
    },
  };
  await t.rejects(makeModel().fit(x, y, { strategy: failing }), { message: 'worker 1 crashed' });
  t.equal(closedAfterFailure, 1, 'closed after a failed step');
});

/** A minimal batch source: size, hasLengths and fill — nothing from nn. */
class SumSource implements BatchSource {
  readonly hasLengths = false;
  readonly fills: [number, number, number, number, number][] = [];

  constructor(
    private readonly x: Float32Array,
    private readonly y: Float32Array,
    readonly size: number,
  ) {}

  fill(
    into: BatchBuffers,
    epoch: number,
    batchIndex: number,
    batchSize: number,
    rank: number,
    world: number,
  ): number {
    this.fills.push([epoch, batchIndex, batchSize, rank, world]);
    const first = batchIndex * batchSize;
    const count = Math.min(batchSize, this.size - first);
    for (let b = 0; b < count; b++) {
      const s = first + b;
      (into.x as Float32Array).set(this.x.subarray(s * T, (s + 1) * T), b * T);
      (into.target as Float32Array)[b] = this.y[s];
      into.sampleIndex[b] = s;
    }
    return count;
  }
}

t.test('fit trains from a custom minimal BatchSource', async (t) => {
  const { x, y } = sumTask(32);
  const source = new SumSource(x.data, y.data, 32);
  const model = makeModel();
  const before = (await model.evaluate(x, y)).loss;
  const history = await model.fit(source, { batchSize: 8, epochs: 40, validationData: [x, y] });
  t.same(source.fills.slice(0, 5), [
    [0, 0, 8, 0, 1],
    [0, 1, 8, 0, 1],
    [0, 2, 8, 0, 1],
    [0, 3, 8, 0, 1],
    [1, 0, 8, 0, 1],
  ]);
  t.equal(source.fills.length, 40 * 4, 'ceil(size / batchSize) batches per epoch');
  const after = (await model.evaluate(x, y)).loss;
  t.ok(after < 0.1 * before, `loss ${before} → ${after}`);
  t.equal(history.history.val_loss.at(-1), after, 'validationData is evaluated beside a source');
});

t.test('a source that says how many batches an epoch has (batchesPerEpoch) gets only those', async (t) => {
  const { x, y } = sumTask(10);
  const source = Object.assign(new SumSource(x.data, y.data, 10), {
    batchesPerEpoch: (batchSize: number) => Math.floor(10 / batchSize),
  });
  await makeModel().fit(source, { batchSize: 4, epochs: 2 });
  t.same(
    source.fills.map(([epoch, batch]) => [epoch, batch]),
    [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ],
    'the remainder of 2 samples is dropped',
  );
});

t.test('validationData with arrays: val_ logs equal evaluate on them', async (t) => {
  const train = sumTask(12);
  const held = sumTask(6);
  const model = makeModel();
  const history = await model.fit(train.x, train.y, {
    batchSize: 4,
    epochs: 2,
    validationData: [held.x, held.y],
  });
  t.equal(history.history.val_loss.length, 2);
  t.equal(history.history.val_loss[1], (await model.evaluate(held.x, held.y, { batchSize: 4 })).loss);
});

t.test(
  'on the calling thread, an abort from a timer stops fit after the current step, not at the end of the epoch (issue 16, defect 17)',
  async (t) => {
    const n = 4000;
    const { x, y } = sumTask(n);
    const model = makeModel();
    const controller = new AbortController();
    let steps = 0;
    // the timer fires only if fit gives the event loop a turn during the epoch
    const timer = setTimeout(() => controller.abort(), 1);
    const history = await model.fit(x, y, {
      batchSize: 1,
      epochs: 1,
      signal: controller.signal,
      callbacks: {
        onBatchEnd: () => {
          steps++;
        },
      },
    });
    clearTimeout(timer);
    t.ok(history.aborted, 'fit stopped through its signal');
    t.ok(steps < n, `it stopped within the epoch (after ${steps} of ${n} steps)`);
    t.same(model.trainingPosition, { epoch: 0, position: steps });
  },
);
