// evaluate and predict: the loops that run a model forward over a source without training, in
// batches of the caller's size, on the model's memory (Note [inference in a held memory]).
// Is not: the public evaluate / predict methods (base-model.ts), which check their options.

import { kernelBackend } from '@recur/kernels';
import type { Model } from '../base-model.js';
import type { Batch } from '../batch.js';
import { fail, NnErrorCode } from '../errors.js';
import type { StepContext } from '../layer.js';
import { Recurrent } from '../layers/recurrent.js';
import type { Logs } from './callbacks.js';
import type { Compiled } from './compile.js';
import { type ArrayData, type BatchBuffers, type BatchSource, batchOf } from './data.js';
import { arraySource, buffersFor, isSource } from './fit.js';
import { createMetric } from './metrics.js';

/**
 * Note [inference in a held memory]: while training holds a model's memory (fit, for its whole
 * run; a thread group of @recur/parallel, from start to close), that memory is what training
 * uses — on threads, the arena the ranks share: its parameters, optimizer moments and gradient
 * slots. evaluate and predict then never replace it, whatever their batch size: each batch of
 * `batchSize` samples is filled in parts of at most the memory's batch (the source's contiguous
 * shares of that batch, in order) and each part runs forward in the memory's own workspace, so
 * the parameters stay the shared ones and training goes on as if nothing had run. A larger batch
 * then gives the same outputs as one forward over it would, up to the order of float sums.
 * A stateful layer carries its state from row b of a batch to row b of the next, which parts
 * would break: a stateful model evaluates in batches of at most the memory's (else
 * ERR_NN_LIMIT_EXCEEDED). Without a hold, the memory grows to the batch as it always has.
 */
function inferencePart(model: Model, batchSize: number, stateCount: number, where: string): number {
  const memory = model.memory;
  if (memory === null || !model.memoryHeld) {
    model.ensureMemory(batchSize, stateCount);
    return batchSize;
  }
  if (batchSize <= memory.maxBatch) return batchSize;
  const stateful = model.layers.findIndex((layer) => layer instanceof Recurrent && layer.options.stateful);
  if (stateful >= 0) {
    fail(
      NnErrorCode.LIMIT_EXCEEDED,
      `${where}: layers.${stateful} (${model.layers[stateful].kind}) is stateful, and during training the model's ` +
        `memory holds batches of ${memory.maxBatch}: give batchSize at most ${memory.maxBatch} (got ${batchSize}), ` +
        'or evaluate after fit',
    );
  }
  return memory.maxBatch;
}

/**
 * Runs `each` over every batch of `batchSize` samples of `source` (epoch 0, in order), each filled
 * into `buffers` in parts of at most `part` samples; `first` is the part's first sample.
 */
function forEachPart(
  model: Model,
  source: BatchSource,
  batchSize: number,
  part: number,
  buffers: BatchBuffers,
  each: (batch: Batch, ctx: StepContext, first: number) => void,
): void {
  const parts = Math.ceil(batchSize / part);
  const ctx: StepContext = { training: false, seed: model.seed, epoch: 0, sampleIndex: buffers.sampleIndex };
  for (let b = 0; b * batchSize < source.size; b++) {
    let first = b * batchSize;
    for (let p = 0; p < parts; p++) {
      const B = source.fill(buffers, 0, b, batchSize, p, parts);
      if (B === 0) continue;
      each(batchOf(buffers, B, model.inputSpec.steps ?? 1, source.hasLengths), ctx, first);
      first += B;
    }
  }
}

/** Mean loss and metrics over a source, without training (no dropout). */
export function evaluateSource(model: Model, source: BatchSource, batchSize: number): Logs {
  const compiled = model.compiled as Compiled;
  const part = inferencePart(model, batchSize, compiled.optimizer.stateCount(), 'evaluate');
  const buffers = buffersFor(model, compiled, part);
  const metrics = compiled.metrics.map((name) => createMetric(name, compiled.loss));
  let sum = 0;
  let count = 0;
  forEachPart(model, source, batchSize, part, buffers, (batch, ctx) => {
    const out = model.forward(batch, ctx);
    const result = model.outputLoss(out, batch, compiled.loss, null);
    sum += result.sum;
    count += result.count;
    const { rows, target, mask } = model.timeMajorTargets(out, batch, compiled.loss);
    for (const metric of metrics) metric.update(out.data, target, mask, rows, model.outputSpec.features);
  });
  const logs: Logs = { loss: count > 0 ? sum / count : 0 };
  metrics.forEach((metric, i) => {
    logs[compiled.metrics[i]] = metric.result();
  });
  return logs;
}

/**
 * Outputs for x, batch-major: (N, O) or (N, T, O). `afterBatch` runs after each forward
 * (samples first .. first + B of N), e.g. to read the layers' final states.
 */
export function predictArrays(
  model: Model,
  x: ArrayData | BatchSource,
  batchSize: number,
  afterBatch?: (first: number, B: number, N: number) => void,
): Float32Array {
  const source = isSource(x) ? x : arraySource(model, null, x, null, false, 0);
  const part = inferencePart(model, batchSize, model.memory?.stateCount ?? 0, 'predict');
  const buffers = buffersFor(model, null, part);
  const O = model.outputSpec.features;
  const T = model.outputSpec.steps ?? 1;
  const out = new Float32Array(source.size * T * O);
  forEachPart(model, source, batchSize, part, buffers, (batch, ctx, first) => {
    const flow = model.inferBatch(batch, ctx);
    // out (N, T, O) from samples `first` on = flow (T, B, O), time-major to batch-major
    kernelBackend().transposeBatchTime(out.subarray(first * T * O), flow.data, T, batch.B, O);
    afterBatch?.(first, batch.B, source.size);
  });
  return out;
}
