// Kernel backends under training (issue 9): with the WebAssembly SIMD backend the model's arena
// lies in a kernel memory and its layers run there; with the TypeScript reference it lies in a
// plain buffer. Training the same model on the same data with either gives the same parameters
// to 1e-5 (they differ only by float32 rounding: f32 accumulation, SIMD exp/tanh). LSTM, GRU
// (reset after, the fused wasm cell; reset before, TypeScript cells on wasm views) and SimpleRNN,
// with Adam and SGD with momentum.
import { wasmKernelsFor, wasmSimdSupported } from '@recur/kernels';
import t from 'tap';
import type { Model } from './base-model.js';
import { dense } from './layers/dense.js';
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

async function trained(cell: Cell, optimizer: Optimizer, kernels: 'ts' | 'wasm'): Promise<Model> {
  const m = model(cell, optimizer);
  m.ensureMemory(BATCH, m.compiled?.optimizer.stateCount() ?? 0, 1, { kernels });
  // 40 samples in batches of 8, 3 epochs: 15 updates
  await m.fit(task.x, task.y, { epochs: 3, batchSize: BATCH, seed: 2 });
  return m;
}

const worst = (a: Float32Array, b: Float32Array) => {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
};

if (!wasmSimdSupported()) {
  t.pass('this runtime has no WebAssembly SIMD: only the TypeScript backend exists');
} else {
  const optimizers: Optimizer[] = [
    { kind: 'adam', lr: 0.01 },
    { kind: 'sgd', lr: 0.05, momentum: 0.9 },
  ];
  for (const cell of ['lstm', 'gru', 'gru-reset-before', 'rnn'] as const) {
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
