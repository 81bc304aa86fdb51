// The small task the cluster tests and fixtures train (built with the package so that the
// fixture scripts, run as child processes, can import it): a GRU forecaster on generated
// series, the same bytes in every process, with its data hash.
import { createHash } from 'node:crypto';
import { ArraySource, dense, gru, lstm, type Model, sequential } from '@recur/nn';
import { type Coordinator, type CoordinatorOptions, startCoordinator } from '../coordinator.js';
import type { NodeOptions } from '../node-options.js';

export const TASK = { N: 96, T: 6, F: 2, batchSize: 12 } as const;

export function taskData() {
  const { N, T, F } = TASK;
  const x = new Float32Array(N * T * F);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      x[(n * T + t) * F] = Math.sin(0.37 * (n + t));
      x[(n * T + t) * F + 1] = Math.cos(0.11 * n * t);
    }
    y[n] = Math.sin(0.37 * (n + T));
  }
  return { x: { data: x, shape: [N, T, F] }, y: { data: y, shape: [N, 1] } };
}

/** SHA-256 over the task's bytes: what every node and the coordinator agree on. */
export function taskDataHash(): string {
  const { x, y } = taskData();
  return createHash('sha256')
    .update(new Uint8Array(x.data.buffer))
    .update(new Uint8Array(y.data.buffer))
    .digest('hex');
}

export function taskSource(seed = 5): ArraySource {
  const { x, y } = taskData();
  return new ArraySource(x, y, { shuffle: true, seed });
}

/** The model, compiled; `seed` 5 is also the training seed of every run here. */
export function taskModel(): Model {
  const model = sequential([gru({ units: 8 }), dense({ units: 1 })], {
    inputShape: [TASK.T, TASK.F],
    seed: 3,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 }, clipNorm: 1 });
  model.trainingSeed = 5;
  return model;
}

/**
 * The task's model with a wide GRU (256 units): P = 199,937, a 0.8 MB gradient a step, for the
 * tests that watch a step's buffers. Compiled as taskModel, without clipping.
 */
export function wideTaskModel(): Model {
  const model = sequential([gru({ units: 256 }), dense({ units: 1 })], {
    inputShape: [TASK.T, TASK.F],
    seed: 3,
  });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
  model.trainingSeed = 5;
  return model;
}

/** A stacked model of the task (LSTM → LSTM → dense), compiled as taskModel: for buckets. */
export function stackedTaskModel(): Model {
  const model = sequential(
    [lstm({ units: 8, returnSequences: true }), lstm({ units: 6 }), dense({ units: 1 })],
    {
      inputShape: [TASK.T, TASK.F],
      seed: 3,
    },
  );
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 }, clipNorm: 1 });
  model.trainingSeed = 5;
  return model;
}

/** A coordinator of the task for `epochs` epochs, with `token` and any other options. */
export function taskCoordinator(
  token: string,
  epochs: number,
  extra: Partial<CoordinatorOptions> = {},
): Promise<Coordinator> {
  return startCoordinator({
    model: taskModel(),
    data: { size: TASK.N, hash: taskDataHash() },
    batchSize: TASK.batchSize,
    epochs,
    token,
    ...extra,
  });
}

/** runNode's options for a one-thread node of the task at `url` with `token`, and any others. */
export function taskNode(url: string, token: string, extra: Partial<NodeOptions> = {}): NodeOptions {
  return {
    url,
    token,
    model: taskModel(),
    source: taskSource(),
    dataHash: taskDataHash(),
    threads: 1,
    ...extra,
  };
}
