// Loss specs as users name them, mapped onto the loss kernels. The model computes a loss as a
// SUM with its term count (DESIGN.md, Note [step phases]: slots hold sums; the reduce divides
// once by the global count), so threads and machines split batches without changing the mean.
//
// Porting note: 'mean' is Keras' and PyTorch's: MSE/MAE/BCE average over every real value
// (samples × steps × features), the cross-entropies over every real row (samples × steps).
// The cross-entropies take logits (Keras `from_logits=True`): keep the last dense linear.
import { binaryCrossEntropyWithLogits, kernelBackend, maeLoss, maskWeight } from '@recur/kernels';
import { oneOf } from '../validate.js';

export const LOSS_NAMES = [
  'mse',
  'mae',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export function resolveLoss(name: unknown): LossName {
  return oneOf('compile', 'loss', name, LOSS_NAMES);
}

/** Whether targets are integer labels (N) rather than floats (N, D). */
export const takesLabels = (loss: LossName): boolean => loss === 'sparseCategoricalCrossentropy';

export interface LossSum {
  sum: number;
  count: number;
}

/**
 * Sum of the loss over N rows of pred (N, D), writing d(sum)/d(pred) into dPred (may be null),
 * and the number of terms the mean divides by.
 */
export function lossSum(
  loss: LossName,
  dPred: Float32Array | null,
  pred: Float32Array,
  target: Float32Array | Int32Array,
  mask: Float32Array | null,
  N: number,
  D: number,
): LossSum {
  const rows = maskWeight(mask, N);
  const k = kernelBackend(); // MSE and the cross entropies run native where it is active
  switch (loss) {
    case 'mse':
      return { sum: k.mseLoss(dPred, pred, target as Float32Array, mask, N, D, 'sum'), count: rows * D };
    case 'mae':
      return { sum: maeLoss(dPred, pred, target as Float32Array, mask, N, D, 'sum'), count: rows * D };
    case 'binaryCrossentropy':
      return {
        sum: binaryCrossEntropyWithLogits(dPred, pred, target as Float32Array, mask, N, D, 'sum'),
        count: rows * D,
      };
    case 'categoricalCrossentropy':
      return {
        sum: k.softmaxCrossEntropy(dPred, pred, target as Float32Array, mask, N, D, 'sum'),
        count: rows,
      };
    case 'sparseCategoricalCrossentropy':
      return {
        sum: k.sparseSoftmaxCrossEntropy(dPred, pred, target as Int32Array, mask, N, D, 'sum'),
        count: rows,
      };
  }
}
