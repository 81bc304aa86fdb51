// @recur/data meets @recur/nn's BatchSource structurally (neither imports the other): a model
// trains from batchSource(...) over an in-memory data set, over variable-length sequences
// bucketed by length, and over scaled time-series windows, and its loss falls each time.
import {
  arrayDataset,
  batchSource,
  chronologicalSplit,
  fitScaler,
  scalerFromJSON,
  windowDataset,
} from '@recur/data';
import { dense, lstm, sequential } from '@recur/nn';
import t from 'tap';

/** A deterministic uniform generator in [0, 1) for test data (a 32-bit LCG). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** x (N, T, 1) = sin(φ + ω·t), target (N, 1) = the next value. */
function sineNext(N: number, T: number) {
  const random = lcg(3);
  const x = new Float32Array(N * T);
  const target = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    const phase = 2 * Math.PI * random();
    const omega = 0.3 + 0.4 * random();
    for (let t = 0; t < T; t++) x[n * T + t] = Math.sin(phase + omega * t);
    target[n] = Math.sin(phase + omega * T);
  }
  return { x, target };
}

const model = (T: number, F: number) => {
  const m = sequential([lstm({ units: 8 }), dense({ units: 1 })], { inputShape: [T, F], seed: 1 });
  m.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.02 } });
  return m;
};

const fell = (loss: number[]) => `loss ${loss[0].toFixed(4)} → ${loss[loss.length - 1].toFixed(4)}`;

t.test('a model fits batchSource(arrayDataset(...)) and its loss falls', async (t) => {
  const T = 8;
  const { x, target } = sineNext(100, T);
  const source = batchSource(arrayDataset({ x, shape: [100, T, 1], target, targetShape: [100, 1] }), {
    seed: 4,
  });
  const history = await model(T, 1).fit(source, { epochs: 12, batchSize: 16 });
  const loss = history.history.loss;
  t.ok(loss[loss.length - 1] < loss[0] / 3, fell(loss));
});

t.test('variable-length sequences with lengths, bucketed by length, train too', async (t) => {
  const T = 8;
  const N = 96;
  const random = lcg(9);
  const x = new Float32Array(N * T);
  const target = new Float32Array(N);
  const lengths = Int32Array.from({ length: N }, () => 2 + Math.floor(random() * (T - 1)));
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < lengths[n]; t++) x[n * T + t] = 2 * random() - 1;
    target[n] = x.subarray(n * T, n * T + lengths[n]).reduce((a, b) => a + b, 0) / Math.sqrt(lengths[n]);
  }
  const data = arrayDataset({ x, shape: [N, T, 1], lengths, target, targetShape: [N, 1] });
  const source = batchSource(data, { seed: 2, bucketing: { bucketSize: 2 } });
  const history = await model(T, 1).fit(source, { epochs: 12, batchSize: 12 });
  const loss = history.history.loss;
  t.ok(loss[loss.length - 1] < loss[0] / 2, fell(loss));
});

t.test('scaled time-series windows: fit on train windows, the scaler saved as JSON', async (t) => {
  const rows = 400;
  const temperature = Float64Array.from(
    { length: rows },
    (_, r) => 12 + 8 * Math.sin((2 * Math.PI * r) / 25),
  );
  const columns = { temperature };
  const split = chronologicalSplit(rows, { train: 0.8, validation: 0.1, test: 0.1 });
  const scaler = fitScaler('zscore', columns, split.train);
  const scaled = { columns: scaler.transform(columns) };
  const options = {
    inputs: ['temperature'],
    targets: ['temperature'],
    window: 10,
    mode: 'many-to-one' as const,
  };
  const train = windowDataset(scaled, { ...options, range: split.train });
  const history = await model(10, 1).fit(batchSource(train, { seed: 6 }), { epochs: 10, batchSize: 32 });
  const loss = history.history.loss;
  t.ok(loss[loss.length - 1] < loss[0] / 3, fell(loss));
  const saved = scalerFromJSON(JSON.parse(JSON.stringify(scaler)));
  t.same(saved.toJSON(), scaler.toJSON(), 'the preprocessing JSON round-trips');
});
