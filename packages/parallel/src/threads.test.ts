// threads(W) trains the same model as one thread (issue 5): W = 2 and W = 3 give the parameters
// of W = 1 on the same global batches, for an LSTM, a GRU and a bidirectional stack; W = 1 on
// threads is bit for bit the calling-thread strategy; two runs with the same W are bitwise
// identical; gradient accumulation equals the single large batch; an uneven last batch is
// weighted by its real sample count; and a checkpoint resumes bit-identically.
//
// "Same parameters" means ‖a − b‖ / ‖b‖ ≤ 1e-6 over the whole parameter vector: W ranks sum
// their shares' gradients in another order than one thread sums the whole batch (float32), and
// Adam turns those last-bit differences into relative noise on parameters that sit near zero,
// so an elementwise relative bound would measure Adam, not the reduction.
// These run on the process's default kernels ('auto': native where its addon loads); the last
// test names the native backend explicitly (issue 13): each rank loads its own addon instance.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KernelBackendName, kernelBackend, nativeKernels, useKernelBackend } from '@recur/kernels';
import { relativeError as relative } from '@recur/kernels/testing';
import { bidirectional, dense, gru, type Layer, loadModel, lstm, sequential } from '@recur/nn';
import t from 'tap';
import { wavesTask } from './testing/waves.js';
import { threads } from './threads.js';

const T = 6;
const N = 45; // with batch 12: three full batches and an uneven last one of 9

const data = wavesTask(N, T);

const MODELS: Record<string, () => Layer[]> = {
  lstm: () => [lstm({ units: 8 }), dense({ units: 1 })],
  gru: () => [gru({ units: 8 }), dense({ units: 1 })],
  'bidirectional stack': () => [
    bidirectional(lstm({ units: 5, returnSequences: true })),
    bidirectional(gru({ units: 4 }), { mergeMode: 'sum' }),
    dense({ units: 1 }),
  ],
};

function build(kind: string, clipNorm: number | undefined = 0.5) {
  const model = sequential(MODELS[kind](), { inputShape: [T, 2], seed: 7 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 }, clipNorm });
  return model;
}

async function train(
  kind: string,
  strategy?: ReturnType<typeof threads>,
  epochs = 2,
  clipNorm: number | undefined = 0.5,
) {
  const model = build(kind, clipNorm);
  const history = await model.fit(data.x, data.y, { epochs, batchSize: 12, seed: 3, strategy });
  return { params: model.params.slice(), loss: history.history.loss, model };
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

for (const kind of Object.keys(MODELS)) {
  t.test(`${kind}: W = 2 and W = 3 train the parameters of W = 1`, async (t) => {
    const one = await train(kind);
    for (const W of [2, 3]) {
      const many = await train(kind, threads(W));
      const r = relative(many.params, one.params);
      t.ok(r <= 1e-6, `W = ${W}: relative difference ${r.toExponential(2)} ≤ 1e-6`);
      t.ok(
        many.loss.every((l, i) => Math.abs(l - one.loss[i]) <= 1e-6 * Math.abs(one.loss[i])),
        `W = ${W}: the same epoch losses (reduced across ranks)`,
      );
      t.notOk(bytes(many.params).equals(bytes(build(kind).params)), `W = ${W}: it did train`);
    }
  });
}

t.test(
  'without clipNorm (no barrier before the update) W = 2 and 3 train the parameters of W = 1',
  async (t) => {
    const one = await train('lstm', undefined, 2, undefined);
    for (const W of [2, 3]) {
      const a = await train('lstm', threads(W), 2, undefined);
      const r = relative(a.params, one.params);
      t.ok(r <= 1e-6, `W = ${W}: relative difference ${r.toExponential(2)} ≤ 1e-6`);
      const b = await train('lstm', threads(W), 2, undefined);
      t.ok(bytes(a.params).equals(bytes(b.params)), `W = ${W}: two runs, identical bytes`);
    }
    const clipped = await train('lstm', threads(2));
    t.notOk(
      bytes(clipped.params).equals(bytes(one.params)),
      'clipping at 0.5 changes the run: both paths ran',
    );
  },
);

t.test('W = 1 on a thread is bit for bit the calling-thread strategy', async (t) => {
  const local = await train('lstm');
  const one = await train('lstm', threads(1));
  t.ok(bytes(one.params).equals(bytes(local.params)), 'identical bytes');
});

t.test('two runs with the same W are bitwise identical', async (t) => {
  const a = await train('bidirectional stack', threads(3));
  const b = await train('bidirectional stack', threads(3));
  t.ok(bytes(a.params).equals(bytes(b.params)), 'identical bytes');
});

t.test('gradient accumulation over micro-batches matches the single large batch', async (t) => {
  const single = await train('gru', threads(2));
  for (const accumulate of [2, 3]) {
    const micro = await train('gru', threads(2, { accumulate }));
    const r = relative(micro.params, single.params);
    t.ok(r <= 1e-6, `accumulate ${accumulate}: relative difference ${r.toExponential(2)} ≤ 1e-6`);
  }
  // more micro-batches than samples in the last batch (9 < 2 × 6): empty micro-batches add nothing
  const many = await train('gru', threads(2, { accumulate: 6 }));
  t.ok(relative(many.params, single.params) <= 1e-6, 'empty micro-batches are harmless');
});

t.test('uneven shares are weighted by their real sample counts', async (t) => {
  // one batch of 45 on 4 ranks: shares of 11 and 12 samples; the mean must weight each by its count
  const one = build('lstm');
  await one.fit(data.x, data.y, { epochs: 1, batchSize: 45, shuffle: false });
  const four = build('lstm');
  await four.fit(data.x, data.y, { epochs: 1, batchSize: 45, shuffle: false, strategy: threads(4) });
  t.ok(relative(four.params, one.params) <= 1e-6, 'the same step as one thread');
});

t.test('progress and timings come from shared counters', async (t) => {
  const strategy = threads(2);
  await train('lstm', strategy);
  const progress = strategy.progress();
  t.equal(progress.steps, 8, '4 batches × 2 epochs');
  t.equal(progress.samples, 2 * N, 'every sample of both epochs');
  const timings = strategy.timings();
  t.equal(timings.length, 2);
  t.ok(
    timings.every((r) => r.steps === 8 && r.computeMs > 0),
    'each rank timed each step',
  );
});

t.test('resuming from a checkpoint on threads continues bit-identically', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-threads-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'run.ckpt');
  const straight = await train('lstm', threads(2), 3);
  const first = build('lstm');
  await first.fit(data.x, data.y, { epochs: 1, batchSize: 12, seed: 3, strategy: threads(2) });
  await first.save(path);
  const { model: resumed } = await loadModel(path);
  await resumed.fit(data.x, data.y, {
    epochs: 3,
    batchSize: 12,
    seed: 3,
    resume: true,
    strategy: threads(2),
  });
  t.ok(bytes(resumed.params).equals(bytes(straight.params)), 'identical bytes after 1 + 2 epochs');
});

t.test('after fit on threads the model works on the calling thread', async (t) => {
  const { model } = await train('lstm', threads(2));
  const before = model.params.slice();
  const logs = await model.evaluate(data.x, data.y);
  t.ok(Number.isFinite(logs.loss), 'evaluate runs');
  await model.fit(data.x, data.y, { epochs: 1, batchSize: 12 });
  t.notOk(bytes(model.params).equals(bytes(before)), 'and trains further on one thread');
});

const native = nativeKernels();
if (native.kernels === null) {
  t.pass(`the native backend does not load here (${native.reason})`);
} else {
  t.test(
    'on the native backend: W = 2 trains the parameters of W = 1, and repeats bit for bit',
    async (t) => {
      const before: KernelBackendName = kernelBackend().name;
      useKernelBackend('native');
      try {
        const one = await train('gru', threads(1));
        const a = await train('gru', threads(2));
        const b = await train('gru', threads(2));
        const r = relative(a.params, one.params);
        t.ok(r <= 1e-6, `relative difference ${r.toExponential(2)} ≤ 1e-6`);
        t.ok(bytes(a.params).equals(bytes(b.params)), 'two W = 2 runs: identical bytes');
      } finally {
        useKernelBackend(before);
      }
    },
  );
}
