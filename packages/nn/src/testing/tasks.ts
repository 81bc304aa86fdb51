// Small synthetic tasks for the layer tests: each is meaningful (a model has to use the sequence
// to solve it) and small enough to learn in a second on one core. Not part of the built package.

import { testRandom } from '@recur/kernels/testing';
import type { Sequential } from '../model.js';
import type { ArrayData } from '../training/data.js';
import type { FitOptions } from '../training/fit.js';

export interface Task {
  x: ArrayData;
  y: ArrayData;
}

/** x (N, T, 1) = sin(φ + ω·t), y (N, 1) = the next value sin(φ + ω·T). */
export function sineNext(N: number, T: number, seed: number): Task {
  const random = testRandom(seed);
  const x = new Float32Array(N * T);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    const phase = 2 * Math.PI * random();
    const omega = 0.3 + 0.4 * random();
    for (let t = 0; t < T; t++) x[n * T + t] = Math.sin(phase + omega * t);
    y[n] = Math.sin(phase + omega * T);
  }
  return { x: { data: x, shape: [N, T, 1] }, y: { data: y, shape: [N, 1] } };
}

/** x (N, T, 1) uniform in [−1, 1], y (N, 1) = their sum / √T. */
export function sequenceSum(N: number, T: number, seed: number): Task {
  const random = testRandom(seed);
  const x = new Float32Array(N * T);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let sum = 0;
    for (let t = 0; t < T; t++) {
      x[n * T + t] = 2 * random() - 1;
      sum += x[n * T + t];
    }
    y[n] = sum / Math.sqrt(T);
  }
  return { x: { data: x, shape: [N, T, 1] }, y: { data: y, shape: [N, 1] } };
}

/**
 * Many-to-many with context on both sides when `lookAhead`: x (N, T, 1) uniform in [−1, 1];
 * y (N, T, 1) = x[t − 1] (a delayed copy), plus x[t + 1] when `lookAhead` (zero outside).
 */
export function neighbourTagging(N: number, T: number, seed: number, lookAhead: boolean): Task {
  const random = testRandom(seed);
  const x = new Float32Array(N * T);
  const y = new Float32Array(N * T);
  for (let i = 0; i < N * T; i++) x[i] = 2 * random() - 1;
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < T; t++) {
      const before = t > 0 ? x[n * T + t - 1] : 0;
      const after = lookAhead && t + 1 < T ? x[n * T + t + 1] : 0;
      y[n * T + t] = before + after;
    }
  }
  return { x: { data: x, shape: [N, T, 1] }, y: { data: y, shape: [N, T, 1] } };
}

/**
 * Token ids 1 and 2 over an odd length in [3, T], right-padded with id 0; label (N) = 1 when
 * 2 is the majority, else 0.
 */
export function majorityVote(N: number, T: number, seed: number): Task {
  const random = testRandom(seed);
  const x = new Int32Array(N * T);
  const y = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const len = 3 + 2 * Math.floor(random() * Math.floor((T - 1) / 2));
    let twos = 0;
    for (let t = 0; t < len; t++) {
      x[n * T + t] = random() < 0.5 ? 1 : 2;
      if (x[n * T + t] === 2) twos++;
    }
    y[n] = 2 * twos > len ? 1 : 0;
  }
  return { x: { data: x, shape: [N, T] }, y: { data: y, shape: [N] } };
}

/** x (N, 4) uniform in [−1, 1], y (N, 1) = sin(2·x0) + x1·x2 − 0.5·x3 (needs a hidden layer). */
export function vectorRegression(N: number, seed: number): Task {
  const random = testRandom(seed);
  const x = new Float32Array(N * 4);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < 4; f++) x[n * 4 + f] = 2 * random() - 1;
    const [a, b, c, d] = x.subarray(n * 4, n * 4 + 4);
    y[n] = Math.sin(2 * a) + b * c - 0.5 * d;
  }
  return { x: { data: x, shape: [N, 4] }, y: { data: y, shape: [N, 1] } };
}

/** The held-out loss before and after training on `train` (model already compiled). */
export async function lossBeforeAfter(
  model: Sequential,
  train: Task,
  test: Task,
  options: FitOptions,
): Promise<{ before: number; after: number; message: string }> {
  const before = (await model.evaluate(test.x, test.y)).loss;
  await model.fit(train.x, train.y, options);
  const after = (await model.evaluate(test.x, test.y)).loss;
  return { before, after, message: `held-out loss ${before.toFixed(4)} → ${after.toFixed(4)}` };
}
