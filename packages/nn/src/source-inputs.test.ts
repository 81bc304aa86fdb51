// fit's validationData, evaluate and predict take a BatchSource as well as arrays (read in
// order, epoch 0) and give the same numbers; ArraySource.fillRange over a batch's positions is fill.
import t from 'tap';
import { ArraySource, allocateBatchBuffers, dense, gru, sequential } from './index.js';

const N = 37;
const T = 5;
const x = { data: Float32Array.from({ length: N * T }, (_, i) => Math.sin(i / 3)), shape: [N, T, 1] };
const y = { data: Float32Array.from({ length: N }, (_, i) => Math.cos(i / 4)), shape: [N, 1] };

function model() {
  const m = sequential([gru({ units: 4 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 5 });
  m.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 }, metrics: ['mae'] });
  return m;
}

t.test('evaluate and predict over a source equal the arrays', async (t) => {
  const m = model();
  const source = new ArraySource(x, y, { shuffle: false, seed: 0 });
  t.same(await m.evaluate(source, { batchSize: 8 }), await m.evaluate(x, y, { batchSize: 8 }));
  t.same(
    Array.from(await m.predict(source, { batchSize: 8 })),
    Array.from(await m.predict(x, { batchSize: 8 })),
  );
});

t.test('validationData as a source gives the same history as arrays', async (t) => {
  const a = model();
  const b = model();
  const options = { epochs: 2, batchSize: 8, seed: 1 };
  const ha = await a.fit(x, y, { ...options, validationData: [x, y] });
  const hb = await b.fit(x, y, {
    ...options,
    validationData: new ArraySource(x, y, { shuffle: false, seed: 0 }),
  });
  t.same(hb.history, ha.history);
});

t.test('fillRange over a global batch is fill', async (t) => {
  const source = new ArraySource(x, y, { shuffle: true, seed: 9 });
  for (const [rank, world] of [
    [0, 1],
    [1, 3],
  ]) {
    const a = allocateBatchBuffers(8, T, false, 1, false);
    const b = allocateBatchBuffers(8, T, false, 1, false);
    const n = source.fill(a, 2, 3, 8, rank, world);
    t.equal(source.fillRange(b, { epoch: 2, start: 24, end: 32 }, 8, rank, world), n);
    t.same(Array.from(b.sampleIndex.subarray(0, n)), Array.from(a.sampleIndex.subarray(0, n)));
  }
  t.throws(
    () =>
      source.fillRange(
        allocateBatchBuffers(8, T, false, 1, false),
        { epoch: 0, start: 30, end: 38 },
        8,
        0,
        1,
      ),
    {
      code: 'ERR_NN_BAD_DATA',
    },
  );
});
