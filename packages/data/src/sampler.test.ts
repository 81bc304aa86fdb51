// The sampler's contract (Note [exactly once], Note [one shuffle]): per-epoch permutations
// keyed by (seed, epoch), batches split over ranks so every sample is used exactly once per
// epoch, the remainder policy, and ranges of positions split over ranks.

import { permutation as kernelPermutation } from '@recur/kernels';
import t from 'tap';
import {
  MAX_EPOCH,
  MAX_SAMPLES,
  permutation,
  rankShare,
  Sampler,
  SHUFFLE_ONCE_EPOCH,
  shuffled,
  splitRange,
} from './sampler.js';

/** Every sample index used over an epoch, across all batches and ranks, in order of use. */
function epochUse(sampler: Sampler, epoch: number, batchSize: number, world: number): number[] {
  const used: number[] = [];
  for (let b = 0; b < sampler.batchesPerEpoch(batchSize); b++) {
    for (let r = 0; r < world; r++) used.push(...sampler.rankBatch(epoch, b, batchSize, r, world));
  }
  return used;
}

const isExactlyOnce = (used: number[], n: number) =>
  used.length === n && [...used].sort((a, b) => a - b).every((v, i) => v === i);

// (N, batchSize, world): S ∤ N, W ∤ S, W > N mod S, W > S, one sample, one batch
const CASES = [
  [10, 4, 3],
  [17, 5, 2],
  [23, 6, 4],
  [13, 5, 7],
  [7, 2, 3],
  [1, 1, 1],
  [9, 20, 4],
  [64, 8, 8],
];

t.test('every sample is used exactly once per epoch over all batches and ranks', async (t) => {
  for (const [n, batchSize, world] of CASES) {
    const sampler = new Sampler(n, { seed: 7 });
    for (const epoch of [0, 1, 5]) {
      const used = epochUse(sampler, epoch, batchSize, world);
      t.ok(isExactlyOnce(used, n), `N=${n} S=${batchSize} W=${world} epoch ${epoch}`);
    }
  }
});

t.test('ranks take contiguous near-equal shares of a batch in rank order', async (t) => {
  const sampler = new Sampler(13, { seed: 1 });
  const batch = Array.from(sampler.globalBatch(0, 2, 5)); // the last batch: 3 samples
  t.equal(batch.length, 3, 'the kept remainder');
  const shares = [0, 1, 2, 3, 4].map((r) => Array.from(sampler.rankBatch(0, 2, 5, r, 5)));
  t.same(shares.flat(), batch, 'concatenated in rank order = the batch');
  t.same(
    shares.map((s) => s.length),
    [0, 1, 0, 1, 1],
    'sizes as rankShare (world > remainder: some ranks get none)',
  );
  t.same(rankShare(10, 1, 3), [3, 6]);
});

t.test('remainder policy: kept by default, dropped with dropRemainder', async (t) => {
  const kept = new Sampler(10, { seed: 3 });
  const dropped = new Sampler(10, { seed: 3, dropRemainder: true });
  t.equal(kept.batchesPerEpoch(4), 3, '⌈10/4⌉');
  t.equal(kept.globalBatch(0, 2, 4).length, 2, 'the last batch is smaller');
  t.equal(dropped.batchesPerEpoch(4), 2, '⌊10/4⌋');
  const used = epochUse(dropped, 0, 4, 3);
  t.equal(used.length, 8, 'two full batches');
  t.equal(new Set(used).size, 8, 'no repeats');
  t.same(used, Array.from(kept.order(0).subarray(0, 8)), 'the same order, the tail left out');
  t.throws(() => dropped.globalBatch(0, 2, 4), { code: 'ERR_DATA_BAD_OPTION', message: /batchIndex/ });
  t.equal(dropped.batchesPerEpoch(5), 2, 'nothing dropped when S divides N');
});

t.test('different epochs give different orders; the same seed the same order', async (t) => {
  const a = new Sampler(50, { seed: 11 });
  const b = new Sampler(50, { seed: 11 });
  const c = new Sampler(50, { seed: 12 });
  t.same(Array.from(a.order(3)), Array.from(b.order(3)), 'same seed, same epoch');
  t.notSame(Array.from(a.order(0)), Array.from(a.order(1)), 'epoch 0 vs 1');
  t.notSame(Array.from(a.order(0)), Array.from(c.order(0)), 'seed 11 vs 12');
  t.same(Array.from(new Sampler(5, { seed: 11, shuffle: false }).order(4)), [0, 1, 2, 3, 4], 'shuffle false');
});

t.test('large seeds and epochs use all their bits', async (t) => {
  const order = (seed: number, epoch: number) => Array.from(permutation(new Int32Array(20), seed, epoch));
  t.notSame(order(2 ** 40, 0), order(2 ** 40 + 2 ** 33, 0), 'high seed bits');
  t.notSame(order(1, 2 ** 31), order(1, 0), 'high epoch bits');
  t.throws(() => order(1, MAX_EPOCH + 1), { code: 'ERR_DATA_BAD_OPTION', message: /epoch/ });
  t.same(order(1, MAX_EPOCH).length, 20, 'the largest epoch itself is accepted');
  t.throws(() => order(-1, 0), { code: 'ERR_DATA_BAD_OPTION', message: /seed/ });
});

t.test('the permutation is close to uniform (all 6 orders of 3, about equally often)', async (t) => {
  const counts = new Map<string, number>();
  const out = new Int32Array(3);
  for (let epoch = 0; epoch < 6000; epoch++) {
    const key = permutation(out, 5, epoch).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  t.equal(counts.size, 6, 'every order occurs');
  const worst = Math.max(...[...counts.values()].map((c) => Math.abs(c - 1000)));
  t.ok(worst < 120, `largest deviation from 1000 is ${worst} (about 4 standard deviations allowed)`);
});

t.test(
  'one shuffle: the same permutation as @recur/kernels (so as nn fit), and shuffled() follows it',
  async (t) => {
    const ours = permutation(new Int32Array(40), 7, 3);
    const theirs = new Int32Array(40);
    kernelPermutation(theirs, 7, 3);
    t.same(Array.from(ours), Array.from(theirs));
    t.same(Array.from(new Sampler(40, { seed: 7 }).order(3)), Array.from(theirs), 'the Sampler too');
    const letters = ['a', 'b', 'c', 'd', 'e', 'f'];
    const order = permutation(new Int32Array(6), 9, SHUFFLE_ONCE_EPOCH);
    t.same(
      shuffled(letters, 9),
      Array.from(order, (i) => letters[i]),
    );
    t.same(
      shuffled(letters, 9, 0),
      Array.from(permutation(new Int32Array(6), 9, 0), (i) => letters[i]),
    );
    t.same(letters, ['a', 'b', 'c', 'd', 'e', 'f'], 'the input is left as it was');
  },
);

t.test(
  'records shuffled before a split and the epoch orders of the training split are independent',
  async (t) => {
    // Found with the imdb config: under one key, 4 in 5 positions of the two orders agreed.
    const N = 5000;
    const train = Math.round(0.8 * N);
    const records = shuffled(
      Array.from({ length: N }, (_, i) => i),
      1,
    ); // record ids in split order
    const sameKey = permutation(new Int32Array(N), 1, 0);
    const agreeing = (order: Int32Array, with_: ArrayLike<number>) => {
      let same = 0;
      for (let m = 0; m < train; m++) if (order[m] === with_[m]) same++;
      return same;
    };
    for (const epoch of [0, 1, 2]) {
      const order = new Sampler(train, { seed: 1 }).order(epoch);
      // two independent permutations agree at about one position
      t.ok(agreeing(order, records) < 10, `epoch ${epoch}: ${agreeing(order, records)} positions agree`);
    }
    const epoch0 = new Sampler(train, { seed: 1 }).order(0);
    t.ok(agreeing(epoch0, sameKey) > train / 2, 'under one key they would agree (what the own key avoids)');
  },
);

t.test('a view handed out stays valid after another epoch is computed', async (t) => {
  const sampler = new Sampler(30, { seed: 2 });
  const batch = sampler.globalBatch(0, 0, 10);
  const copy = Array.from(batch);
  sampler.order(1);
  t.same(Array.from(batch), copy);
});

t.test('options and indices are checked with coded errors', async (t) => {
  const code = 'ERR_DATA_BAD_OPTION';
  t.throws(() => new Sampler(0, { seed: 1 }), { code, message: /size/ });
  t.throws(() => new Sampler(5, { seed: 1.5 }), { code, message: /seed/ });
  t.throws(() => new Sampler(MAX_SAMPLES + 1, { seed: 1 }), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /MAX_SAMPLES/,
  });
  t.equal(new Sampler(MAX_SAMPLES, { seed: 1 }).batchesPerEpoch(2 ** 30), 2, 'the limit itself is accepted');
  const s = new Sampler(5, { seed: 1 });
  t.throws(() => s.rankBatch(0, 0, 2, 2, 2), { code, message: /rank must be an integer in \[0, 2\)/ });
  t.throws(() => s.batchesPerEpoch(0), { code, message: /batchSize/ });
  t.throws(() => s.order(-1), { code, message: /epoch/ });
});

t.test('splitRange gives ranks contiguous shares of a range that tile it', async (t) => {
  const range = { epoch: 3, start: 8, end: 15 };
  const parts = [0, 1, 2].map((r) => splitRange(range, r, 3));
  t.same(
    parts.map((p) => [p.start, p.end]),
    [
      [8, 10],
      [10, 12],
      [12, 15],
    ],
  );
  t.ok(
    parts.every((p) => p.epoch === 3),
    'same epoch',
  );
});
