// Kernel backends under training (issues 9 and 13): with the WebAssembly SIMD backend the model's
// arena lies in a kernel memory and its layers run there; with the TypeScript reference, and
// with the native backend (C++ through Node-API, any buffer), it lies in a plain buffer. Training
// the same model on the same data with each gives the same parameters as the reference to 1e-5
// (they differ only by float32 rounding: f32 accumulation, FMA, SIMD exp/tanh). LSTM, GRU (reset
// after and before) and SimpleRNN, with Adam and SGD with momentum. Each training runs with its
// backend active on this thread (useKernelBackend), and the previous one is restored after it.
// A token model (Embedding → LSTM → Dense(V), sparse cross entropy, masked padding) checks the
// native losses and embedding the same way, and that two native runs are bit for bit the same.
import {
  type KernelBackendName,
  kernelBackend,
  nativeKernels,
  useKernelBackend,
  wasmKernelsFor,
  wasmSimdSupported,
} from '@recur/kernels';
import t from 'tap';
import type { Model } from './base-model.js';
import { dense } from './layers/dense.js';
import { embedding } from './layers/embedding.js';
import { gru, lstm, simpleRNN } from './layers/recurrent.js';
import { sequential } from './model.js';
import { sineNext } from './testing/tasks.js';

const T = 6;
const BATCH = 8;
const task = sineNext(40, T, 11);
const TOLERANCE = 1e-5;

type Cell = 'lstm' | 'gru' | 'gru-reset-before' | 'rnn';
type Optimizer = { kind: 'adam'; lr: number } | { kind: 'sgd'; lr: number; momentum: number };

function model(cell: Cell, optimizer: Optimizer): Model {
  const recurrent =
    cell === 'lstm'
      ? lstm({ units: 6 })
      : cell === 'rnn'
        ? simpleRNN({ units: 6 })
        : gru({ units: 6, resetAfter: cell === 'gru' });
  const m = sequential([recurrent, dense({ units: 1 })], { inputShape: [T, 1], seed: 4 });
  m.compile({ loss: 'mse', optimizer });
  return m;
}

async function trained(cell: Cell, optimizer: Optimizer, kernels: KernelBackendName): Promise<Model> {
  const before = kernelBackend().name;
  useKernelBackend(kernels);
  try {
    const m = model(cell, optimizer);
    m.ensureMemory(BATCH, m.compiled?.optimizer.stateCount() ?? 0, 1, { kernels });
    // 40 samples in batches of 8, 3 epochs: 15 updates
    await m.fit(task.x, task.y, { epochs: 3, batchSize: BATCH, seed: 2 });
    return m;
  } finally {
    useKernelBackend(before);
  }
}

const worst = (a: Float32Array, b: Float32Array) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
};

/** max |a − b| / max |b|: the gap relative to the parameters' scale (elementwise ratios blow up near 0). */
const worstRelative = (a: Float32Array, b: Float32Array) =>
  worst(a, b) / worst(b, new Float32Array(b.length));

const optimizers: Optimizer[] = [
  { kind: 'adam', lr: 0.01 },
  { kind: 'sgd', lr: 0.05, momentum: 0.9 },
];
const cells = ['lstm', 'gru', 'gru-reset-before', 'rnn'] as const;

if (!wasmSimdSupported()) {
  t.pass('this runtime has no WebAssembly SIMD: no wasm backend to compare');
} else {
  for (const cell of cells) {
    for (const optimizer of optimizers) {
      t.test(
        `${cell} with ${optimizer.kind}: wasm and TypeScript training agree to ${TOLERANCE}`,
        async (t) => {
          const ts = await trained(cell, optimizer, 'ts');
          const wasm = await trained(cell, optimizer, 'wasm');
          t.equal(wasmKernelsFor(ts.params.buffer), undefined, 'the ts arena is a plain buffer');
          t.not(wasmKernelsFor(wasm.params.buffer), undefined, 'the wasm arena lies in a kernel memory');
          const before = model(cell, optimizer).params;
          t.ok(worst(ts.params, before) > 1e-3, 'training moved the parameters');
          const gap = worst(wasm.params, ts.params);
          t.ok(gap <= TOLERANCE, `largest parameter difference ${gap.toExponential(2)} <= ${TOLERANCE}`);
        },
      );
    }
  }
}

const native = nativeKernels();
if (native.kernels === null) {
  t.pass(`the native backend does not load here (${native.reason}): nothing to compare`);
} else {
  for (const cell of cells) {
    for (const optimizer of optimizers) {
      t.test(
        `${cell} with ${optimizer.kind}: native and TypeScript training agree to ${TOLERANCE} relative`,
        async (t) => {
          const ts = await trained(cell, optimizer, 'ts');
          const nat = await trained(cell, optimizer, 'native');
          t.equal(wasmKernelsFor(nat.params.buffer), undefined, 'the native arena is a plain buffer');
          const before = model(cell, optimizer).params;
          t.ok(worst(ts.params, before) > 1e-3, 'training moved the parameters');
          const gap = worstRelative(nat.params, ts.params);
          t.ok(
            gap <= TOLERANCE,
            `largest relative parameter difference ${gap.toExponential(2)} <= ${TOLERANCE}`,
          );
        },
      );
    }
  }
}

const VOCAB = 23;

/** Embedding → LSTM (all steps) → Dense(VOCAB) on next-token labels, id 0 padding masked. */
async function tokenModel(kernels: KernelBackendName): Promise<Model> {
  const before = kernelBackend().name;
  useKernelBackend(kernels);
  try {
    const N = 24;
    const x = new Int32Array(N * T);
    const y = new Int32Array(N * T);
    for (let i = 0; i < N * T; i++) {
      const s = i % T;
      const pad = s >= T - (i % 3); // the last 0–2 steps of some samples are padding (id 0)
      x[i] = pad ? 0 : 1 + ((i * 7 + (i % 5)) % (VOCAB - 1));
      y[i] = (x[i] * 3 + 1) % VOCAB;
    }
    const m = untrainedTokenModel();
    m.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: { kind: 'adam', lr: 0.02 } });
    m.ensureMemory(BATCH, m.compiled?.optimizer.stateCount() ?? 0, 1, { kernels });
    await m.fit(
      { data: x, shape: [N, T] },
      { data: y, shape: [N, T] },
      { epochs: 3, batchSize: BATCH, seed: 2 },
    );
    return m;
  } finally {
    useKernelBackend(before);
  }
}

if (native.kernels !== null) {
  t.test(
    `token model (embedding, sparse cross entropy): native and TypeScript agree to ${TOLERANCE} relative`,
    async (t) => {
      const ts = await tokenModel('ts');
      const nat = await tokenModel('native');
      const again = await tokenModel('native');
      const gap = worstRelative(nat.params, ts.params);
      t.ok(gap <= TOLERANCE, `largest relative parameter difference ${gap.toExponential(2)} <= ${TOLERANCE}`);
      t.ok(worst(ts.params, untrainedTokenModel().params) > 1e-3, 'training moved the parameters');
      t.same(Array.from(again.params), Array.from(nat.params), 'two native runs: the same bits');
    },
  );
}

/** The token model before training (seeded: the same initial parameters every time). */
function untrainedTokenModel(): Model {
  return sequential(
    [
      embedding({ inputDim: VOCAB, outputDim: 5, maskZero: true }),
      lstm({ units: 6, returnSequences: true }),
      dense({ units: VOCAB }),
    ],
    { inputShape: [T], seed: 3 },
  );
}
