// The one data road, end to end: a corpus → next-word windows made on the fly → a pack of shard
// sets (writePack) → the streaming reader (openPack) → batchSource → the arena's batch buffers of
// threads(2). A counting data set proves that no split is materialised: between two steps the
// source is read exactly once per sample of the step's batch (a copy of the split would read all
// N up front), the block cache stays under its cap, and the two threads get their shares from
// the one reader of the main thread, training to the same parameters as one thread.
import {
  batchSource,
  nextTokenDataset,
  openPack,
  type SequenceDataset,
  datasetShape as shapeOf,
  writePack,
} from '@recur/data';
import { dense, embedding, lstm, sequential } from '@recur/nn';
import { threads } from '@recur/parallel';
import t, { type Test } from 'tap';

type Buffers = Parameters<SequenceDataset['read']>[1];

/** A data set that counts the samples read since the last `settle()` (the samples alive). */
function counting(dataset: SequenceDataset) {
  let alive = 0;
  let most = 0;
  let total = 0;
  const wrapped: SequenceDataset = {
    ...shapeOf(dataset),
    read(i: number, into: Buffers, b: number): number {
      alive++;
      total++;
      most = Math.max(most, alive);
      return dataset.read(i, into, b);
    },
  };
  return {
    dataset: wrapped,
    settle: () => {
      alive = 0;
    },
    most: () => most,
    total: () => total,
  };
}

const V = 40;
const T = 6;
const corpus = Int32Array.from({ length: 2400 }, (_, k) => (k * k + 3 * k) % V); // a learnable stream

function model() {
  const m = sequential(
    [
      embedding({ inputDim: V, outputDim: 8, inputShape: [T] }),
      lstm({ units: 16, returnSequences: true }),
      dense({ units: V }),
    ],
    { seed: 5 },
  );
  m.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: { kind: 'adam', lr: 0.01 } });
  return m;
}

async function packed(t: Test) {
  const dir = t.testdir();
  const windows = counting(nextTokenDataset(corpus, { sequenceLength: T }));
  writePack(dir, { train: windows.dataset }, { vocabularySize: V }, { samplesPerShard: 64 });
  t.equal(windows.total(), windows.dataset.size, 'packing reads each window once');
  return dir;
}

t.test('threads(2) train from a shard pack without materialising the split', async (t) => {
  const dir = await packed(t);
  const cacheBytes = 1 << 14;
  const B = 16;
  const run = async (strategy?: ReturnType<typeof threads>) => {
    const pack = await openPack(dir, { cacheBytes, blockBytes: 1 << 10 });
    const train = counting(pack.train);
    const source = batchSource(train.dataset, { seed: 3 });
    const m = model();
    const history = await m.fit(source, {
      epochs: 3,
      batchSize: B,
      ...(strategy === undefined ? {} : { strategy }),
      callbacks: { onBatchEnd: () => train.settle() },
    });
    await strategy?.close?.();
    t.ok(pack.train.cachedBytes <= cacheBytes, `block cache ${pack.train.cachedBytes} ≤ ${cacheBytes} bytes`);
    pack.close();
    return { m, history, train, N: train.dataset.size };
  };
  const two = await run(threads(2));
  t.ok(two.train.most() <= B, `at most ${two.train.most()} samples read between two steps (batch ${B})`);
  t.equal(two.train.total(), 3 * two.N, 'each sample read once per epoch, by the main thread only');
  const loss = two.history.history.loss;
  t.ok(loss[2] < loss[0], `loss falls: ${loss[0].toFixed(3)} → ${loss[2].toFixed(3)}`);
  const one = await run();
  let worst = 0;
  for (let k = 0; k < one.m.params.length; k++) {
    const d = Math.abs(one.m.params[k] - two.m.params[k]) / (Math.abs(one.m.params[k]) + 1e-3);
    worst = Math.max(worst, d);
  }
  t.ok(worst <= 1e-4, `threads(2) = one thread (largest relative difference ${worst.toExponential(2)})`);
});
