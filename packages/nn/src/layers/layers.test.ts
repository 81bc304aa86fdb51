// Each layer kind learns a small, meaningful task: the loss on held-out data after a few epochs is
// well below the untrained model's loss on the same data (issue 3: "each layer kind trains a small
// task to a loss well below its start"). Also: dense per step (TimeDistributed), stacking,
// goBackwards, and dropout being the identity at evaluation.
import t from 'tap';
import { sequential } from '../model.js';
import {
  lossBeforeAfter,
  majorityVote,
  neighbourTagging,
  sequenceSum,
  sineNext,
  vectorRegression,
} from '../testing/tasks.js';
import { bidirectional } from './bidirectional.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { embedding } from './embedding.js';
import { gru, lstm, type RecurrentOptions, simpleRNN } from './recurrent.js';

const T = 10;
const train = sineNext(128, T, 1);
const test = sineNext(64, T, 2);
const fitOptions = { epochs: 15, batchSize: 16, seed: 3 };

async function trainsSine(layer: ReturnType<typeof lstm>) {
  const model = sequential([layer, dense({ units: 1 })], { inputShape: [T, 1], seed: 7 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
  return lossBeforeAfter(model, train, test, fitOptions);
}

const cases: [string, () => ReturnType<typeof lstm>][] = [
  ['simpleRNN (tanh)', () => simpleRNN({ units: 16 })],
  ['simpleRNN (relu)', () => simpleRNN({ units: 16, activation: 'relu' })],
  ['lstm', () => lstm({ units: 16 })],
  ['gru (resetAfter true)', () => gru({ units: 16 })],
  ['gru (resetAfter false)', () => gru({ units: 16, resetAfter: false })],
  ['lstm with goBackwards', () => lstm({ units: 16, goBackwards: true })],
];

for (const [name, make] of cases) {
  t.test(`${name} learns next-value prediction of a sine`, async (t) => {
    const r = await trainsSine(make());
    t.ok(r.after < r.before / 4, r.message);
  });
}

t.test('two stacked LSTMs learn the sum of a sequence', async (t) => {
  const options: RecurrentOptions = { units: 12, returnSequences: true };
  const model = sequential([lstm(options), lstm({ units: 12 }), dense({ units: 1 })], {
    inputShape: [8, 1],
    seed: 5,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
  const r = await lossBeforeAfter(model, sequenceSum(128, 8, 11), sequenceSum(64, 8, 12), fitOptions);
  t.ok(r.after < r.before / 4, r.message);
});

for (const mergeMode of ['concat', 'sum', 'mul', 'ave'] as const) {
  t.test(
    `bidirectional (mergeMode '${mergeMode}') learns a tagging task that needs both neighbours`,
    async (t) => {
      const T = 8;
      const model = sequential(
        [bidirectional(gru({ units: 12, returnSequences: true }), { mergeMode }), dense({ units: 1 })],
        { inputShape: [T, 1], seed: 9 },
      );
      model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.02 } });
      const train = neighbourTagging(128, T, 21, true);
      const r = await lossBeforeAfter(model, train, neighbourTagging(64, T, 22, true), fitOptions);
      t.ok(r.after < r.before / 4, r.message);
    },
  );
}

t.test('bidirectional without returnSequences learns the sum of a sequence', async (t) => {
  const model = sequential([bidirectional(lstm({ units: 8 })), dense({ units: 1 })], {
    inputShape: [8, 1],
    seed: 4,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
  const r = await lossBeforeAfter(model, sequenceSum(128, 8, 31), sequenceSum(64, 8, 32), fitOptions);
  t.ok(r.after < r.before / 4, r.message);
});

t.test('a returnSequences LSTM then dense per step (TimeDistributed) learns a delayed copy', async (t) => {
  const T = 8;
  const model = sequential([lstm({ units: 12, returnSequences: true }), dense({ units: 1 })], {
    inputShape: [T, 1],
    seed: 2,
  });
  t.same(model.outputSpec, { steps: T, features: 1, ids: false }, 'the output is a sequence');
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.02 } });
  const train = neighbourTagging(128, T, 41, false);
  const r = await lossBeforeAfter(model, train, neighbourTagging(64, T, 42, false), fitOptions);
  t.ok(r.after < r.before / 10, r.message);
});

t.test('dense layers on vectors learn a nonlinear function', async (t) => {
  const model = sequential([dense({ units: 16, activation: 'tanh' }), dense({ units: 1 })], {
    inputShape: [4],
    seed: 6,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.02 } });
  const r = await lossBeforeAfter(model, vectorRegression(256, 51), vectorRegression(128, 52), {
    ...fitOptions,
    epochs: 30,
  });
  t.ok(r.after < r.before / 4, r.message);
});

t.test('embedding with maskZero and a GRU learns a majority vote over variable lengths', async (t) => {
  const T = 9;
  const model = sequential(
    [embedding({ inputDim: 3, outputDim: 4, maskZero: true }), gru({ units: 12 }), dense({ units: 2 })],
    { inputShape: [T], seed: 8 },
  );
  model.compile({
    loss: 'sparseCategoricalCrossentropy',
    optimizer: { kind: 'adam', lr: 0.02 },
    metrics: ['accuracy'],
  });
  const test = majorityVote(128, T, 62);
  const r = await lossBeforeAfter(model, majorityVote(256, T, 61), test, { ...fitOptions, epochs: 20 });
  t.ok(r.after < r.before / 4, r.message);
  const { accuracy } = await model.evaluate(test.x, test.y);
  t.ok(accuracy > 0.9, `held-out accuracy ${accuracy}`);
});

t.test('an LSTM with dropout learns next-value prediction of a sine', async (t) => {
  const model = sequential([lstm({ units: 16 }), dropout({ rate: 0.2 }), dense({ units: 1 })], {
    inputShape: [T, 1],
    seed: 7,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
  const r = await lossBeforeAfter(model, train, test, fitOptions);
  t.ok(r.after < r.before / 4, r.message);
});

t.test(
  'at evaluation dropout is the identity: predict is repeatable and equals the model without it',
  async (t) => {
    const withDropout = sequential([lstm({ units: 8 }), dropout({ rate: 0.5 }), dense({ units: 1 })], {
      inputShape: [T, 1],
      seed: 7,
    });
    withDropout.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
    await withDropout.fit(train.x, train.y, { epochs: 1, batchSize: 16 });
    const without = sequential([lstm({ units: 8 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 99 });
    t.equal(without.layout.size, withDropout.layout.size, 'dropout adds no parameters');
    without.params.set(withDropout.params);
    const first = await withDropout.predict(test.x);
    const second = await withDropout.predict(test.x);
    const reference = await without.predict(test.x);
    t.same(Array.from(second), Array.from(first), 'two predictions agree exactly');
    t.same(Array.from(first), Array.from(reference), 'and equal the model without dropout');
  },
);
