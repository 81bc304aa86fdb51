// Streaming metrics (mse, mae, accuracy, perplexity): each sums over the batches given to
// `update` since the last `reset`, in float64, and `result` reports the mean so far.
//
// Is: the metric values of fit/evaluate, computed from the model's raw outputs. Is not: the
// training loss (the loss kernels), or any allocation per batch.
//
// Dimension letters: N rows (batch, or steps × batch), D values per row (classes for the
// classification losses). pred (N, D) holds raw model outputs, logits for the cross-entropy
// losses; target is (N, D) floats (values, probabilities or 0/1 labels) or (N) Int32 class labels
// for sparse classification; mask (N) holds row weights (0 or 1; null: all ones). A masked row
// counts nothing. Labels are checked by whoever built the batch (as for the loss kernels).
//
// Definitions (weighted by the mask; the mean is over the rows, or elements, that count):
// - mse, mae: mean over elements of (p − t)², |p − t| — the same sums as the loss kernels.
// - accuracy, binary (loss binaryCrossentropy, any D; or D = 1 for the other losses): elementwise
//   (p > threshold) === (t ≥ 0.5), with threshold 0 where p is a logit (cross-entropy losses) and
//   0.5 where p is the value itself (mse, mae); categorical (D > 1): argmax p === the label, or
//   argmax t for dense targets (first maximum on ties).
// - perplexity: exp of the mean per-row softmax cross entropy of the logits (per token, when rows
//   are steps × batch); only for the softmax cross-entropy losses.
// Porting note: as Keras' compile(metrics=['accuracy']), which picks binary_accuracy for a
// binary loss or a last dimension of 1 and categorical/sparse accuracy otherwise; Keras
// thresholds probabilities at 0.5, we threshold logits at 0 (the same decision). With no rows
// counted yet, result() is NaN (Keras' Mean would say 0).
import { maeLoss, maskWeight, mseLoss, softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from '@recur/kernels';
import { fail, NnErrorCode } from '../errors.js';
import { oneOf } from '../validate.js';
import { LOSS_NAMES, type LossName } from './loss.js';

export type MetricName = 'mse' | 'mae' | 'accuracy' | 'perplexity';
export const METRIC_NAMES: readonly MetricName[] = ['mse', 'mae', 'accuracy', 'perplexity'];

export type MetricTarget = Float32Array | Int32Array;

export interface Metric {
  readonly name: MetricName;
  /** forgets every batch seen so far */
  reset(): void;
  /** adds a batch: pred (N, D), target (N, D) floats or (N) labels, mask (N) or null */
  update(pred: Float32Array, target: MetricTarget, mask: Float32Array | null, N: number, D: number): void;
  /** the metric over the batches since the last reset; NaN when no row counted */
  result(): number;
}

/** Running weighted sum and weight: the mean is total / count. */
interface Sums {
  total: number;
  count: number;
}

type Accumulate = (
  sums: Sums,
  pred: Float32Array,
  target: MetricTarget,
  mask: Float32Array | null,
  N: number,
  D: number,
) => void;

/** Validates the names and builds a streaming metric for a model trained with `loss`. */
export function createMetric(name: MetricName, loss: LossName): Metric {
  oneOf('metric', 'name', name, METRIC_NAMES);
  oneOf(`metric '${name}'`, 'loss', loss, LOSS_NAMES);
  switch (name) {
    case 'mse':
      return streaming(name, elementwise(name, mseLoss), identity);
    case 'mae':
      return streaming(name, elementwise(name, maeLoss), identity);
    case 'accuracy':
      return streaming(name, accuracy(loss), identity);
    case 'perplexity':
      return streaming(name, perplexity(loss), Math.exp);
  }
}

function identity(x: number): number {
  return x;
}

/** A metric whose result is finish(total / count) over the batches since reset. */
function streaming(name: MetricName, accumulate: Accumulate, finish: (mean: number) => number): Metric {
  const sums: Sums = { total: 0, count: 0 };
  return {
    name,
    reset() {
      sums.total = 0;
      sums.count = 0;
    },
    update(pred, target, mask, N, D) {
      accumulate(sums, pred, target, mask, N, D);
    },
    result: () => (sums.count > 0 ? finish(sums.total / sums.count) : Number.NaN),
  };
}

/** Throws unless target holds floats (N, D), as regression and binary targets do. */
function floatTarget(name: MetricName, target: MetricTarget): Float32Array {
  if (!(target instanceof Float32Array)) {
    fail(NnErrorCode.BAD_DATA, `metric '${name}': targets must be floats (N, D), got integer labels`);
  }
  return target;
}

type ElementwiseLoss = typeof mseLoss;

/** mse or mae: the loss kernel's sum over elements, counted per element. */
function elementwise(name: MetricName, loss: ElementwiseLoss): Accumulate {
  return (sums, pred, target, mask, N, D) => {
    sums.total += loss(null, pred, floatTarget(name, target), mask, N, D, 'sum');
    sums.count += maskWeight(mask, N) * D;
  };
}

function accuracy(loss: LossName): Accumulate {
  const threshold = loss === 'mse' || loss === 'mae' ? 0.5 : 0;
  const everyElement = loss === 'binaryCrossentropy';
  return (sums, pred, target, mask, N, D) => {
    if (everyElement || D === 1) binaryAccuracy(sums, pred, target, mask, N, D, threshold);
    else categoricalAccuracy(sums, pred, target, mask, N, D);
  };
}

/** (p > threshold) === (t ≥ 0.5) per element; Int32 labels only with D = 1. */
function binaryAccuracy(
  sums: Sums,
  pred: Float32Array,
  target: MetricTarget,
  mask: Float32Array | null,
  N: number,
  D: number,
  threshold: number,
): void {
  if (D !== 1) floatTarget('accuracy', target);
  for (let n = 0; n < N; n++) {
    const m = mask === null ? 1 : mask[n];
    if (m === 0) continue;
    let hits = 0;
    for (let i = n * D; i < (n + 1) * D; i++) {
      if (pred[i] > threshold === target[i] >= 0.5) hits++;
    }
    sums.total += m * hits;
    sums.count += m * D;
  }
}

/** argmax of pred per row against the label, or against argmax of a dense target. */
function categoricalAccuracy(
  sums: Sums,
  pred: Float32Array,
  target: MetricTarget,
  mask: Float32Array | null,
  N: number,
  D: number,
): void {
  const sparse = target instanceof Int32Array;
  for (let n = 0; n < N; n++) {
    const m = mask === null ? 1 : mask[n];
    if (m === 0) continue;
    const label = sparse ? target[n] : argmax(target, n * D, D);
    if (argmax(pred, n * D, D) === label) sums.total += m;
    sums.count += m;
  }
}

/** The index in [0, D) of the first maximum of x[o, o + D). */
function argmax(x: ArrayLike<number>, o: number, D: number): number {
  let best = 0;
  for (let j = 1; j < D; j++) if (x[o + j] > x[o + best]) best = j;
  return best;
}

/** Sum of per-row softmax cross entropies; the result is exp of their mean. */
function perplexity(loss: LossName): Accumulate {
  if (loss !== 'categoricalCrossentropy' && loss !== 'sparseCategoricalCrossentropy') {
    fail(
      NnErrorCode.BAD_OPTION,
      `metric 'perplexity': needs loss 'categoricalCrossentropy' or 'sparseCategoricalCrossentropy', got '${loss}'`,
    );
  }
  return (sums, pred, target, mask, N, D) => {
    sums.total +=
      target instanceof Int32Array
        ? sparseSoftmaxCrossEntropy(null, pred, target, mask, N, D, 'sum')
        : softmaxCrossEntropy(null, pred, target, mask, N, D, 'sum');
    sums.count += maskWeight(mask, N);
  };
}
