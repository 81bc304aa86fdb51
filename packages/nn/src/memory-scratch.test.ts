// The kernels' scratch in the model's arena (issue 13; Note [scratch in the arena] in
// @recur/kernels): with the native backend each workspace — this thread's and every rank's —
// ends with a scratch region sized by kernelBackend().scratchPlan for the model's weight
// matrices, and every forward binds it. Training (fit), evaluation and prediction then take no
// scratch from the thread's heap buffers, and give the same parameters, bit for bit, as the
// same run whose arena has no region (the heap buffers serve it). Arenas made for the other
// backends hold no region. Replacing a model's memory unbinds the old region.
import {
  type KernelBackendName,
  kernelBackend,
  nativeKernels,
  nativeScratchUse,
  useKernelBackend,
} from '@recur/kernels';
import t from 'tap';
import type { Model } from './base-model.js';
import { bidirectional } from './layers/bidirectional.js';
import { dense } from './layers/dense.js';
import { embedding } from './layers/embedding.js';
import { gru, lstm, simpleRNN } from './layers/recurrent.js';
import { sequential } from './model.js';

const T = 20;
const BATCH = 16; // T·B = 320 rows: the many-row gemm paths run too
const N = 48;
const FEATURES = 3;
const VOCAB = 300; // an output layer over a wide vocabulary (gate and class widths past 256)

const series = {
  x: {
    data: Float32Array.from({ length: N * T * FEATURES }, (_, i) => Math.sin(i * 0.37)),
    shape: [N, T, FEATURES],
  },
  y: { data: Float32Array.from({ length: N }, (_, i) => Math.cos(i)), shape: [N, 1] },
};
const tokens = {
  x: { data: Int32Array.from({ length: N * T }, (_, i) => 1 + ((i * 7) % (VOCAB - 1))), shape: [N, T] },
  y: { data: Int32Array.from({ length: N * T }, (_, i) => (i * 5) % VOCAB), shape: [N, T] },
};

interface Case {
  name: string;
  build(): Model;
  tokens: boolean;
}

const cases: Case[] = [
  {
    name: 'LSTM(80) → GRU(40) → Dense(1)',
    build: () =>
      sequential([lstm({ units: 80, returnSequences: true }), gru({ units: 40 }), dense({ units: 1 })], {
        inputShape: [T, FEATURES],
        seed: 1,
      }),
    tokens: false,
  },
  {
    name: 'Bidirectional(SimpleRNN(30)) → GRU(20, reset before) → Dense(1)',
    build: () =>
      sequential(
        [
          bidirectional(simpleRNN({ units: 30, returnSequences: true })),
          gru({ units: 20, resetAfter: false }),
          dense({ units: 1 }),
        ],
        { inputShape: [T, FEATURES], seed: 2 },
      ),
    tokens: false,
  },
  {
    name: `Embedding → LSTM(24) → Dense(${VOCAB}), sparse cross entropy`,
    build: () =>
      sequential(
        [
          embedding({ inputDim: VOCAB, outputDim: 8 }),
          lstm({ units: 24, returnSequences: true }),
          dense({ units: VOCAB }),
        ],
        { inputShape: [T], seed: 3 },
      ),
    tokens: true,
  },
];

/** Trains, evaluates and predicts `c` in an arena made for `arenaKernels`, the native backend active. */
async function run(c: Case, arenaKernels: KernelBackendName) {
  const before = kernelBackend().name;
  useKernelBackend('native');
  try {
    const m = c.build();
    m.compile({
      loss: c.tokens ? 'sparseCategoricalCrossentropy' : 'mse',
      optimizer: { kind: 'adam', lr: 0.01 },
    });
    m.ensureMemory(BATCH, m.compiled?.optimizer.stateCount() ?? 0, 1, { kernels: arenaKernels });
    const data = c.tokens ? tokens : series;
    const heapBefore = nativeScratchUse()?.heapRequests ?? 0;
    await m.fit(data.x, data.y, { epochs: 2, batchSize: BATCH, seed: 4 });
    const evaluated = await m.evaluate(data.x, data.y, { batchSize: BATCH });
    await m.predict(data.x, { batchSize: BATCH });
    const heap = (nativeScratchUse()?.heapRequests ?? 0) - heapBefore;
    return { model: m, heap, evaluated };
  } finally {
    useKernelBackend(before);
  }
}

const native = nativeKernels();
if (native.kernels === null || nativeScratchUse() === null) {
  t.pass(
    `the native backend does not load here (${native.kernels === null ? native.reason : 'an older addon'})`,
  );
} else {
  for (const c of cases) {
    t.test(`${c.name}: the kernels' scratch lies in the arena, and the bits are the heap's`, async (t) => {
      const inArena = await run(c, 'native');
      const onHeap = await run(c, 'ts'); // a plain arena without a region: the heap buffers serve the kernels
      const memory = inArena.model.memory;
      if (memory === null) throw new Error('no memory');
      t.ok(memory.scratch.length > 0, `a region of ${memory.scratch.length} floats`);
      t.equal(memory.scratch.length, memory.scratchPlan.floats, 'sized by the plan');
      t.equal(memory.scratch.buffer, memory.params.buffer, 'in the arena');
      t.ok(
        memory.scratch.some((v) => v !== 0),
        'the kernels wrote into it',
      );
      t.equal(inArena.heap, 0, 'fit, evaluate and predict took no scratch from the heap');
      t.ok(onHeap.heap > 0, `without a region the heap served ${onHeap.heap} requests`);
      t.equal(onHeap.model.memory?.scratch.length, 0, "an arena made for 'ts' holds no region");
      t.same(
        Buffer.from(
          inArena.model.params.buffer,
          inArena.model.params.byteOffset,
          inArena.model.params.byteLength,
        ),
        Buffer.from(
          onHeap.model.params.buffer,
          onHeap.model.params.byteOffset,
          onHeap.model.params.byteLength,
        ),
        'trained parameters: the same bits',
      );
      t.same(inArena.evaluated, onHeap.evaluated, 'the same evaluation');
    });
  }

  t.test("each rank's workspace holds a region of its own, inside the rank's bytes", async (t) => {
    const before = kernelBackend().name;
    useKernelBackend('native');
    try {
      const m = cases[0].build();
      const memory = m.ensureMemory(BATCH, 2, 2, {
        shared: true,
        ranks: { count: 2, maxBatch: BATCH / 2, extraBytes: 0 },
      });
      const buffer = memory.arena.buffer as SharedArrayBuffer;
      const regions = memory.rankRegions.map((region, rank) => {
        const rankMemory = cases[0]
          .build()
          .attachMemory({ buffer, coreOffset: memory.arena.base, region }, rank, 2, 2, BATCH / 2);
        const start = rankMemory.scratch.byteOffset;
        t.equal(rankMemory.scratch.length, memory.scratchPlan.floats, `rank ${rank}: the same plan`);
        t.ok(
          start >= region.offset &&
            start + rankMemory.scratch.byteLength <= region.offset + region.workspaceBytes,
          `rank ${rank}: inside its workspace`,
        );
        return start;
      });
      t.ok(memory.scratch.byteOffset < regions[0], "this thread's region comes before the ranks'");
      t.not(regions[0], regions[1], 'two regions');
    } finally {
      useKernelBackend(before);
    }
  });

  t.test('a replaced memory is unbound', async (t) => {
    const before = kernelBackend().name;
    useKernelBackend('native');
    try {
      const m = cases[0].build();
      m.compile({ loss: 'mse', optimizer: { kind: 'sgd', lr: 0.01 } });
      await m.fit(series.x, series.y, { epochs: 1, batchSize: 8 });
      t.ok((nativeScratchUse()?.bound ?? 0) > 0, 'bound while the model trains');
      m.ensureMemory(BATCH * 2, m.memory?.stateCount ?? 0);
      t.equal(nativeScratchUse()?.bound, 0, 'unbound once its memory is replaced');
    } finally {
      useKernelBackend(before);
    }
  });
}
