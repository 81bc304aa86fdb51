// Bucketed sums (Note [bucketed sums]): the plan of buckets from a byte cap, and
// ThreadGroup.sumsInBuckets against sums(): bit for bit the same slot 0, loss sum and count, and
// after a few steps with an update between them the same parameters, for W = 1 and 2 threads,
// accumulate 1 and 2 (with empty micro-batches in the uneven last batch), a stacked LSTM and a
// GRU/LSTM mix. Each bucket handed over is already final: its range then equals the range of
// the finished step.

import {
  ArraySource,
  type Compiled,
  dense,
  gru,
  type Layer,
  lstm,
  type ModelMemory,
  sequential,
} from '@recur/nn';
import t from 'tap';
import { type Bucket, checkBuckets, planBuckets } from './buckets.js';
import { ThreadGroup } from './group.js';
import { reduceChunk, updateChunk } from './phases.js';
import { resolveOptions } from './threads.js';

t.test('planBuckets merges layers from the top until a bucket reaches the cap', async (t) => {
  const ranges: [number, number][] = [
    [0, 100],
    [100, 100], // no parameters (a dropout)
    [100, 150],
    [150, 160],
  ];
  for (const cap of [1, 4, 40]) {
    t.same(
      planBuckets(ranges, cap),
      [
        { start: 150, end: 160, layers: 1 },
        { start: 100, end: 150, layers: 2 },
        { start: 0, end: 100, layers: 4 },
      ],
      `cap ${cap}: one layer a bucket; the empty layer joins the one below`,
    );
  }
  t.same(planBuckets(ranges, 4 * 60), [
    { start: 100, end: 160, layers: 2 },
    { start: 0, end: 100, layers: 4 },
  ]);
  t.same(planBuckets(ranges, 4 * 61), [{ start: 0, end: 160, layers: 4 }], 'never reached: one bucket');
  t.same(
    planBuckets(
      [
        [0, 0],
        [0, 8],
      ],
      4,
    ),
    [{ start: 0, end: 8, layers: 2 }],
    'an empty bottom joins the bucket above',
  );
  for (const bad of [0, -4, 1.5, Number.NaN]) {
    t.throws(() => planBuckets(ranges, bad), { code: 'ERR_PARALLEL_BAD_OPTION' }, `bucketBytes ${bad}`);
  }
});

t.test('checkBuckets refuses buckets that do not tile the layout from the top', async (t) => {
  const good: Bucket[] = [
    { start: 150, end: 160, layers: 1 },
    { start: 0, end: 150, layers: 3 },
  ];
  t.doesNotThrow(() => checkBuckets(good, 160, 3));
  const bad: [string, Bucket[]][] = [
    [
      'a gap',
      [
        { start: 150, end: 160, layers: 1 },
        { start: 0, end: 149, layers: 3 },
      ],
    ],
    ['not down to 0', [{ start: 150, end: 160, layers: 1 }]],
    ['not every layer', [{ start: 0, end: 160, layers: 2 }]],
    [
      'layers not increasing',
      [
        { start: 150, end: 160, layers: 2 },
        { start: 0, end: 150, layers: 2 },
      ],
    ],
    [
      'bottom first',
      [
        { start: 0, end: 150, layers: 1 },
        { start: 150, end: 160, layers: 3 },
      ],
    ],
  ];
  for (const [what, buckets] of bad) {
    t.throws(() => checkBuckets(buckets, 160, 3), { code: 'ERR_PARALLEL_BAD_OPTION' }, what);
  }
});

const N = 20;
const T = 5;
const x = Float32Array.from({ length: N * T * 2 }, (_, i) => Math.sin(0.37 * i));
const y = Float32Array.from({ length: N }, (_, i) => Math.cos(0.3 * i));
const BATCH = 8; // batches 0, 1 of 8 and an uneven last one of 4

const models: Record<string, () => Layer[]> = {
  'lstm → lstm → dense': () => [
    lstm({ units: 6, returnSequences: true }),
    lstm({ units: 5 }),
    dense({ units: 1 }),
  ],
  'gru → lstm → dense': () => [
    gru({ units: 4, returnSequences: true }),
    lstm({ units: 3 }),
    dense({ units: 1 }),
  ],
};

interface Run {
  slots: Float32Array[];
  losses: number[];
  counts: number[];
  params: Float32Array;
  pieces: string[];
}

/** Three steps (batches 0, 1, 2 of epoch 0), each summed then applied with Adam on this thread. */
async function train(
  layers: () => Layer[],
  W: number,
  accumulate: number,
  bucketBytes: number,
): Promise<Run> {
  const model = sequential(layers(), { inputShape: [T, 2], seed: 7 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.05 } });
  const source = new ArraySource(
    { data: x, shape: [N, T, 2] },
    { data: y, shape: [N, 1] },
    { shuffle: true, seed: 3 },
  );
  const group = await ThreadGroup.start(model, source, BATCH, W, resolveOptions(W, { accumulate }));
  const run: Run = { slots: [], losses: [], counts: [], params: new Float32Array(0), pieces: [] };
  try {
    const buckets = bucketBytes > 0 ? planBuckets(model.layerRanges, bucketBytes) : [];
    for (let batch = 0; batch < 3; batch++) {
      const parts = { offset: 0, total: W };
      const seen: { start: number; end: number; values: Float32Array }[] = [];
      const out =
        bucketBytes === 0
          ? await group.sums(0, batch, parts)
          : await group.sumsInBuckets(0, batch, parts, buckets, (b) => {
              const memory = model.memory as ModelMemory;
              seen.push({ start: b.start, end: b.end, values: memory.slots[0].slice(b.start, b.end) });
              run.pieces.push(`${b.start}-${b.end} ${b.count} ${b.sum}`);
            });
      for (const s of seen) {
        const final = out.gradients.subarray(s.start, s.end);
        if (!s.values.every((v, i) => Object.is(v, final[i])))
          run.pieces.push(`not final: ${s.start}-${s.end}`);
      }
      run.slots.push(out.gradients.slice());
      run.losses.push(out.sum);
      run.counts.push(out.count);
      // the coordinator's update (cluster's gradients.ts): ÷ count, clip, Adam, on this thread
      const memory = model.memory as ModelMemory;
      const P = model.layout.size;
      const norm = reduceChunk([memory.slots[0]], 0, P, out.count);
      updateChunk(memory, model.compiled as Compiled, 0, P, norm);
    }
    run.params = model.params.slice();
  } finally {
    await group.close();
  }
  return run;
}

const bitwise = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

for (const [name, layers] of Object.entries(models)) {
  for (const W of [1, 2]) {
    for (const accumulate of [1, 2]) {
      t.test(`${name}, W = ${W}, accumulate ${accumulate}: sumsInBuckets ≡ sums bit for bit`, async (t) => {
        const plain = await train(layers, W, accumulate, 0);
        for (const bucketBytes of [1, 4 * 100]) {
          const bucketed = await train(layers, W, accumulate, bucketBytes);
          const what = `bucketBytes ${bucketBytes}`;
          for (let s = 0; s < 3; s++) {
            t.ok(bitwise(bucketed.slots[s], plain.slots[s]), `${what}, step ${s + 1}: slot 0`);
            t.ok(Object.is(bucketed.losses[s], plain.losses[s]), `${what}, step ${s + 1}: loss sum`);
            t.equal(bucketed.counts[s], plain.counts[s], `${what}, step ${s + 1}: count`);
          }
          t.ok(bitwise(bucketed.params, plain.params), `${what}: the trained parameters`);
          t.notOk(
            bucketed.pieces.some((p) => p.startsWith('not final')),
            `${what}: every bucket was final when handed over`,
          );
          const perStep = bucketed.pieces.length / 3;
          t.ok(perStep >= (bucketBytes === 1 ? 3 : 2), `${what}: ${perStep} buckets a step`);
        }
      });
    }
  }
}

/** A started group of W = 2 on the stacked LSTM, with its buckets (one layer each). */
async function bucketGroup(options: Parameters<typeof resolveOptions>[1]) {
  const model = sequential(models['lstm → lstm → dense'](), { inputShape: [T, 2], seed: 7 });
  model.compile({ loss: 'mse' });
  const source = new ArraySource(
    { data: x, shape: [N, T, 2] },
    { data: y, shape: [N, 1] },
    { shuffle: false, seed: 0 },
  );
  const group = await ThreadGroup.start(model, source, BATCH, 2, resolveOptions(2, options));
  return { group, buckets: planBuckets(model.layerRanges, 1), parts: { offset: 0, total: 2 } };
}

t.test('a rank that throws: sumsInBuckets rejects with the rank and the cause', async (t) => {
  const { group, buckets, parts } = await bucketGroup({ inject: { rank: 1, step: 1, fault: 'throw' } });
  try {
    await t.rejects(
      group.sumsInBuckets(0, 0, parts, buckets, () => {}),
      {
        code: 'ERR_PARALLEL_RANK_FAILED',
        message: /rank 1 failed: .*injected fault/,
      },
    );
  } finally {
    await group.close();
  }
});

t.test('a rank that hangs: ERR_PARALLEL_STEP_TIMEOUT within stepTimeoutMs, no thread left', async (t) => {
  const { group, buckets, parts } = await bucketGroup({
    inject: { rank: 1, step: 1, fault: 'hang' },
    stepTimeoutMs: 1_000,
    closeTimeoutMs: 500,
  });
  const started = performance.now();
  try {
    await t.rejects(
      group.sumsInBuckets(0, 0, parts, buckets, () => {}),
      { code: 'ERR_PARALLEL_STEP_TIMEOUT' },
    );
    t.ok(performance.now() - started < 10_000, 'it ends near the timeout');
  } finally {
    await group.close();
  }
});

t.test('an onBucket that throws: rethrown once the ranks are done; the group goes on', async (t) => {
  const { group, buckets, parts } = await bucketGroup({});
  try {
    await t.rejects(
      group.sumsInBuckets(0, 0, parts, buckets, () => {
        throw new Error('the socket is gone');
      }),
      { message: 'the socket is gone' },
    );
    let handed = 0;
    const out = await group.sumsInBuckets(0, 1, parts, buckets, () => {
      handed += 1;
    });
    t.equal(handed, buckets.length, 'the next step hands over every bucket');
    t.ok(out.count > 0);
  } finally {
    await group.close();
  }
});
