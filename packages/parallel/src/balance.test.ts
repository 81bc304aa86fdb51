// Balanced micro-batches (Note [balanced micro-batches], balance.ts): the claims never hand one
// micro-batch to two ranks; a rank made slow loses micro-batches to the others and the run is
// still bit for bit the run where nobody was slow; balanced training equals one thread's to the
// usual tolerance; with one micro-batch per rank it is bit for bit the unbalanced run; empty
// micro-batches are harmless; the slow rank also on every kernel backend that loads (ts, wasm, native);
// the option is checked, and bucketed sums refuse it.
import {
  type KernelBackendName,
  kernelBackend,
  nativeKernels,
  useKernelBackend,
  wasmSimdSupported,
} from '@recur/kernels';
import { relativeError as relative } from '@recur/kernels/testing';
import { type BatchSource, dense, gru, lstm, sequential } from '@recur/nn';
import t from 'tap';
import { claim, unclaimed } from './balance.js';
import { controlBlock } from './control.js';
import { ThreadGroup } from './group.js';
import { wavesTask } from './testing/waves.js';
import { resolveOptions, threads } from './threads.js';

const T = 5;
const N = 45; // with batch 12: three full batches and an uneven last one of 9

const data = wavesTask(N, T);

function build(kind: 'lstm' | 'gru', clipNorm: number | undefined = 0.5) {
  const cell = kind === 'lstm' ? lstm({ units: 8 }) : gru({ units: 8 });
  const model = sequential([cell, dense({ units: 1 })], { inputShape: [T, 2], seed: 5 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 }, clipNorm });
  return model;
}

async function train(kind: 'lstm' | 'gru', strategy?: ReturnType<typeof threads>, clipNorm?: number) {
  const model = build(kind, clipNorm);
  const history = await model.fit(data.x, data.y, { epochs: 2, batchSize: 12, seed: 3, strategy });
  return { params: model.params.slice(), loss: history.history.loss };
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

t.test('claims: the owner from the front, others from the back, each micro-batch once', (t) => {
  const c = controlBlock(3, 5);
  t.equal(unclaimed(c, 1), 5);
  t.equal(claim(c, 1, false), 0, 'the owner takes the first');
  t.equal(claim(c, 1, true), 4, 'another rank takes the last');
  t.equal(claim(c, 1, true), 3);
  t.equal(claim(c, 1, false), 1);
  t.equal(unclaimed(c, 1), 1);
  t.equal(claim(c, 1, false), 2, 'the one left');
  t.equal(claim(c, 1, true), -1, 'then none, from either end');
  t.equal(claim(c, 1, false), -1);
  t.equal(unclaimed(c, 0), 5, 'the other parts are untouched');
  t.end();
});

t.test('claims at the limit: 1024 micro-batches a part fit the packed counters', (t) => {
  const A = resolveOptions(2, { accumulate: 1024 }).accumulate;
  const c = controlBlock(2, A);
  const seen = new Set<number>();
  for (let i = 0; i < A; i++) seen.add(claim(c, 0, i % 3 === 0));
  t.equal(seen.size, A, 'every index once');
  t.equal(Math.min(...seen), 0);
  t.equal(Math.max(...seen), A - 1);
  t.equal(claim(c, 0, true), -1);
  t.end();
});

t.test('a slow rank loses micro-batches to the other, and the run is bit for bit the same', async (t) => {
  const even = threads(2, { accumulate: 4, balance: true });
  const a = await train('lstm', even);
  const slow = threads(2, {
    accumulate: 4,
    balance: true,
    inject: { rank: 1, step: 1, fault: 'slow', ms: 40 },
  });
  const b = await train('lstm', slow);
  const stolen = slow.timings().map((r) => r.stolen);
  t.ok(stolen[0] >= 8, `rank 0 computed ${stolen[0]} of rank 1's micro-batches in 8 steps`);
  t.equal(stolen[1], 0, 'the slow rank took none');
  t.ok(bytes(a.params).equals(bytes(b.params)), 'identical parameters');
  t.same(a.loss, b.loss, 'identical losses');
  t.equal(slow.progress().samples, 2 * N, 'every sample once per epoch');
});

t.test('on every kernel backend here, a slow rank changes no bit', async (t) => {
  const names: KernelBackendName[] = ['ts'];
  if (wasmSimdSupported()) names.push('wasm');
  if (nativeKernels().kernels !== null) names.push('native');
  const before = kernelBackend().name;
  t.teardown(() => useKernelBackend(before));
  for (const name of names) {
    useKernelBackend(name);
    const even = await train('gru', threads(2, { accumulate: 3, balance: true }));
    const slow = threads(2, {
      accumulate: 3,
      balance: true,
      inject: { rank: 0, step: 2, fault: 'slow', ms: 30 },
    });
    const uneven = await train('gru', slow);
    t.ok(slow.timings()[1].stolen > 0, `${name}: rank 1 took rank 0's micro-batches`);
    t.ok(bytes(uneven.params).equals(bytes(even.params)), `${name}: identical parameters`);
  }
});

t.test('balanced training equals one thread; with one micro-batch a rank, the unbalanced bits', async (t) => {
  for (const clipNorm of [0.5, undefined]) {
    const one = await train('gru', threads(1), clipNorm);
    for (const accumulate of [2, 3]) {
      const balanced = await train('gru', threads(2, { accumulate, balance: true }), clipNorm);
      const r = relative(balanced.params, one.params);
      t.ok(
        r <= 1e-6,
        `clipNorm ${clipNorm}, accumulate ${accumulate}: relative difference ${r.toExponential(2)}`,
      );
    }
    const plain = await train('gru', threads(2), clipNorm);
    const single = await train('gru', threads(2, { balance: true }), clipNorm);
    t.ok(bytes(plain.params).equals(bytes(single.params)), `clipNorm ${clipNorm}: accumulate 1 is unchanged`);
  }
});

t.test('empty micro-batches: more than the last batch has samples', async (t) => {
  // the last batch of 9 over 2 × 8 micro-batches leaves 7 empty; their slots must add nothing
  const one = await train('lstm', threads(1));
  const many = await train('lstm', threads(2, { accumulate: 8, balance: true }));
  t.ok(relative(many.params, one.params) <= 1e-6, 'the parameters of one thread');
  const again = await train('lstm', threads(2, { accumulate: 8, balance: true }));
  t.ok(bytes(again.params).equals(bytes(many.params)), 'and two runs repeat bit for bit');
});

t.test('balance is true or false; bucketed sums refuse it', async (t) => {
  t.throws(() => threads(2, { balance: 'yes' as unknown as boolean }), {
    code: 'ERR_PARALLEL_BAD_OPTION',
    message: /balance must be true or false, got 'yes'/,
  });
  const model = build('lstm');
  const source: BatchSource = { size: N, hasLengths: false, fill: () => 0 };
  const group = await ThreadGroup.start(
    model,
    source,
    12,
    1,
    resolveOptions(1, { accumulate: 2, balance: true }),
  );
  t.teardown(() => group.close());
  await t.rejects(
    group.sumsInBuckets(
      0,
      0,
      { offset: 0, total: 1 },
      [{ start: 0, end: model.layout.size, layers: 2 }],
      () => {},
    ),
    { code: 'ERR_PARALLEL_BAD_OPTION', message: /balance cannot be combined with bucketed sums/ },
  );
});
