// batchSource: fills rank shares of global batches into preallocated, right-padded buffers
// (padding zeroed even when the data set writes garbage there), every sample once per epoch,
// the remainder policy, and bucketing by length (Note [bucketing]).
import t from 'tap';
import { batchSource } from './batching.js';
import { allocateBatchBuffers, arrayDataset, type BatchBuffers, type SequenceDataset } from './dataset.js';
import { Sampler } from './sampler.js';

const T = 5;
const F = 2;
const GARBAGE = 99;
const lengthOf = (i: number) => 1 + ((i * 3) % T);

/** A data set whose sample i has length 1 + 3i mod T, x[t, f] = i + t/10, target i, and 99 in its padding. */
function fakeDataset(size: number, hasLengths = true): SequenceDataset {
  return {
    size,
    steps: T,
    features: F,
    ids: false,
    targetPerSample: 1,
    targetKind: 'float',
    hasLengths,
    read(i: number, into: BatchBuffers, b: number): number {
      const len = hasLengths ? lengthOf(i) : T;
      const x = into.x as Float32Array;
      for (let t = 0; t < T; t++)
        for (let f = 0; f < F; f++) x[(b * T + t) * F + f] = t < len ? i + t / 10 : GARBAGE;
      if (into.target !== null) into.target[b] = i;
      return len;
    },
  };
}

/** Sample indices used over an epoch through fill, across all batches and ranks. */
function epochUse(source: ReturnType<typeof batchSource>, epoch: number, batchSize: number, world: number) {
  const into = allocateBatchBuffers(source.dataset, batchSize);
  const used: number[] = [];
  for (let b = 0; b < source.batchesPerEpoch(batchSize); b++) {
    for (let r = 0; r < world; r++) {
      const n = source.fill(into, epoch, b, batchSize, r, world);
      used.push(...into.sampleIndex.subarray(0, n));
    }
  }
  return used;
}

const isExactlyOnce = (used: number[], n: number) =>
  used.length === n && [...used].sort((a, b) => a - b).every((v, i) => v === i);

t.test('fill writes the rank share of the sampler global batch, right-padded with zeros', async (t) => {
  const source = batchSource(fakeDataset(11), { seed: 3 });
  const into = allocateBatchBuffers(source.dataset, 4);
  (into.x as Float32Array).fill(-7);
  const n = source.fill(into, 2, 1, 4, 1, 2);
  t.equal(n, 2, 'half of a batch of 4');
  const expected = Array.from(new Sampler(11, { seed: 3 }).rankBatch(2, 1, 4, 1, 2));
  t.same(Array.from(into.sampleIndex.subarray(0, n)), expected, 'the same samples as the sampler');
  const i = expected[1];
  const row = Array.from((into.x as Float32Array).subarray(T * F, 2 * T * F));
  const want = Array.from({ length: T * F }, (_, k) =>
    k / F < lengthOf(i) ? i + Math.floor(k / F) / 10 : 0,
  );
  t.same(
    row.map((v) => Math.round(v * 10) / 10),
    want,
    `row 1 holds sample ${i}, padding zeroed`,
  );
  t.equal(into.lengths[1], lengthOf(i), 'its length');
  t.equal((into.target as Float32Array)[1], i, 'its target');
  t.equal(source.hasLengths, true);
});

const CASES = [
  [10, 4, 3],
  [17, 5, 2],
  [13, 5, 7],
  [30, 6, 4],
];

t.test('through fill, every sample is used exactly once per epoch', async (t) => {
  for (const [n, batchSize, world] of CASES) {
    const source = batchSource(fakeDataset(n), { seed: 5 });
    t.ok(isExactlyOnce(epochUse(source, 1, batchSize, world), n), `N=${n} S=${batchSize} W=${world}`);
  }
});

t.test('with bucketing, every sample is still used exactly once per epoch', async (t) => {
  for (const [n, batchSize, world] of CASES) {
    const source = batchSource(fakeDataset(n), { seed: 5, bucketing: { bucketSize: 2 } });
    t.ok(isExactlyOnce(epochUse(source, 1, batchSize, world), n), `N=${n} S=${batchSize} W=${world}`);
  }
});

t.test('bucketing sorts each chunk of bucketSize batches by length', async (t) => {
  const batchSize = 4;
  const source = batchSource(fakeDataset(30), { seed: 8, bucketing: { bucketSize: 3 } });
  const order = Array.from(source.order(0, batchSize));
  const plain = Array.from(new Sampler(30, { seed: 8 }).order(0));
  for (let start = 0; start < 30; start += 12) {
    const chunk = order.slice(start, start + 12);
    const lengths = chunk.map(lengthOf);
    t.ok(
      lengths.every((len, k) => k === 0 || lengths[k - 1] <= len),
      `chunk at ${start} sorted: ${lengths.join(' ')}`,
    );
    t.same(
      [...chunk].sort((a, b) => a - b),
      plain.slice(start, start + 12).sort((a, b) => a - b),
      'same members',
    );
  }
});

t.test('bucketing is deterministic per (seed, epoch) and changes with the epoch', async (t) => {
  const make = () => batchSource(fakeDataset(40), { seed: 2, bucketing: { bucketSize: 2 } });
  const a = make();
  const b = make();
  t.same(Array.from(a.order(3, 5)), Array.from(b.order(3, 5)), 'same seed and epoch');
  t.notSame(Array.from(a.order(3, 5)), Array.from(a.order(4, 5)), 'another epoch');
  const given = batchSource(fakeDataset(40), {
    seed: 2,
    bucketing: { bucketSize: 2, lengths: Int32Array.from({ length: 40 }, (_, i) => lengthOf(i)) },
  });
  t.same(Array.from(given.order(3, 5)), Array.from(a.order(3, 5)), 'given lengths = lengths read');
});

t.test('remainder: the last batch is kept by default, dropped with dropRemainder', async (t) => {
  const kept = batchSource(fakeDataset(10), { seed: 1 });
  const dropped = batchSource(fakeDataset(10), { seed: 1, dropRemainder: true });
  const into = allocateBatchBuffers(kept.dataset, 4);
  t.equal(kept.batchesPerEpoch(4), 3);
  t.equal(kept.fill(into, 0, 2, 4, 0, 1), 2, 'the smaller last batch');
  t.equal(dropped.batchesPerEpoch(4), 2);
  t.equal(dropped.fill(into, 0, 2, 4, 0, 1), 0, 'the dropped batch fills nothing');
  t.throws(() => dropped.fill(into, 0, 3, 4, 0, 1), { code: 'ERR_DATA_BAD_OPTION', message: /batchIndex/ });
});

t.test('shuffle false serves samples in order', async (t) => {
  const source = batchSource(fakeDataset(6), { seed: 1, shuffle: false });
  t.same(epochUse(source, 4, 4, 2), [0, 1, 2, 3, 4, 5]);
});

t.test('an arrayDataset of token ids: padding ids zeroed, lengths and labels carried', async (t) => {
  const ids = Int32Array.from({ length: 3 * 4 }, (_, k) => 1 + k);
  const data = arrayDataset({
    x: ids,
    shape: [3, 4],
    lengths: [2, 4, 1],
    target: Int32Array.from([0, 1, 2]),
  });
  const source = batchSource(data, { seed: 0, shuffle: false });
  const into = allocateBatchBuffers(data, 3);
  t.equal(source.fill(into, 0, 0, 3, 0, 1), 3);
  t.same(Array.from(into.ids as Int32Array), [1, 2, 0, 0, 5, 6, 7, 8, 9, 0, 0, 0]);
  t.same(Array.from(into.lengths), [2, 4, 1]);
  t.same(Array.from(into.target as Int32Array), [0, 1, 2]);
});

t.test('bad options, buffers and reads are coded errors', async (t) => {
  const code = 'ERR_DATA_BAD_OPTION';
  const data = fakeDataset(10);
  t.throws(() => batchSource(data, { seed: 1, bucketing: { bucketSize: 0 } }), {
    code,
    message: /bucketSize/,
  });
  t.throws(() => batchSource(fakeDataset(10, false), { seed: 1, bucketing: { bucketSize: 2 } }), {
    code,
    message: /needs a data set with lengths/,
  });
  t.throws(() => batchSource(data, { seed: 1, bucketing: { bucketSize: 2, lengths: new Int32Array(3) } }), {
    code,
    message: /bucketing.lengths/,
  });
  const source = batchSource(data, { seed: 1 });
  t.throws(() => source.fill(allocateBatchBuffers(data, 2), 0, 0, 4, 0, 1), {
    code,
    message: /buffers too small/,
  });
  t.throws(() => source.fill(allocateBatchBuffers(data, 4), 0, 0, 4, 3, 3), { code, message: /rank/ });
  const liar = { ...data, read: () => T + 1 };
  t.throws(() => batchSource(liar, { seed: 1 }).fill(allocateBatchBuffers(data, 4), 0, 0, 4, 0, 1), {
    code,
    message: /gave length 6/,
  });
});

t.test(
  'fillRange: the ranges a coordinator assigns give the same rows as fill, split over ranks',
  async (t) => {
    const source = batchSource(fakeDataset(23), { seed: 6 });
    const S = 5;
    const viaFill = epochUse(source, 2, S, 3);
    const into = allocateBatchBuffers(source.dataset, 8); // the largest rank share below
    const viaRanges: number[] = [];
    for (const [start, end] of [
      [0, 7],
      [7, 8],
      [8, 23],
    ]) {
      for (let r = 0; r < 2; r++) {
        const n = source.fillRange(into, { epoch: 2, start, end }, S, r, 2);
        viaRanges.push(...into.sampleIndex.subarray(0, n));
      }
    }
    t.same(
      viaRanges.slice().sort((a, b) => a - b),
      viaFill.slice().sort((a, b) => a - b),
      'every sample once',
    );
    t.same(viaRanges, Array.from(source.order(2, S)), 'in the order of the epoch');
    t.throws(() => source.fillRange(into, { epoch: 2, start: 20, end: 24 }, S, 0, 1), {
      code: 'ERR_DATA_BAD_OPTION',
      message: /range \[20, 24\) must lie in \[0, 23\]/,
    });
  },
);
