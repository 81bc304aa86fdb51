// The standard workloads of the thread benchmarks (BENCHMARKS.md in the team's shared folder),
// their model (last hidden → Dense(1), MSE, Adam 1e-3), random training data, a timed fit and the
// median: shared by bench-threads.mjs and bench-balance.mjs (bench-cluster.mjs takes the last two).
import { fillNormal, RandomPurpose } from '@recur/kernels';
import { dense, gru, lstm, sequential } from '@recur/nn';

/** cell, batch B, timesteps T, input features I, hidden units H */
export const WORKLOADS = {
  'lstm-std': { cell: lstm, B: 64, T: 50, I: 32, H: 128 },
  'gru-std': { cell: gru, B: 64, T: 50, I: 32, H: 128 },
  'lstm-big': { cell: lstm, B: 256, T: 100, I: 64, H: 256 },
};

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** `batches` batches of workload `w`: x (N, T, I) and y (N, 1) standard normal, fixed seed. */
export function dataFor(w, batches) {
  const N = w.B * batches;
  const x = new Float32Array(N * w.T * w.I);
  const y = new Float32Array(N);
  fillNormal(x, 1, RandomPurpose.sample, 0, 0, 0, 1);
  fillNormal(y, 1, RandomPurpose.sample, 0, 1, 0, 1);
  return { x: { data: x, shape: [N, w.T, w.I] }, y: { data: y, shape: [N, 1] } };
}

/** Workload `w`'s model: its cell's last hidden state → Dense(1), MSE, Adam 1e-3, seed 1. */
export function standardModel(w) {
  const model = sequential([w.cell({ units: w.H }), dense({ units: 1 })], {
    inputShape: [w.T, w.I],
    seed: 1,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 1e-3 } });
  return model;
}

/**
 * One epoch of `model` on `data` in batches of w.B, unshuffled, on `strategy` (undefined: the
 * calling thread); returns each step's wall ms between fit's onBatchEnd callbacks. `afterStep(k)`
 * runs after step k's time is recorded (k from 1), for the caller's own probes.
 */
export async function timedFit(model, data, w, strategy, afterStep = () => {}) {
  const stamps = [];
  let start = performance.now();
  await model.fit(data.x, data.y, {
    epochs: 1,
    batchSize: w.B,
    shuffle: false,
    strategy,
    callbacks: {
      onBatchEnd: () => {
        const now = performance.now();
        stamps.push(now - start);
        start = now;
        afterStep(stamps.length);
      },
    },
  });
  return stamps;
}
