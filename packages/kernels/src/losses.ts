// Loss functions: the reduced loss and, fused with it, the gradient that seeds backward.
//
// Is: mean squared error, mean absolute error, softmax cross entropy (probability targets and
// integer labels) and binary cross entropy on logits, each over N rows with an optional per-row
// mask. Is not: the activation of the model's last layer (the cross entropies take logits and
// fuse the softmax or sigmoid, which is both cheaper and more accurate than composing them).
//
// Dimension letters: N rows (batch, or steps × batch), D values per row, V classes.
//
// Every loss returns the reduced loss as a float64 number and, when the gradient buffer is not
// null, WRITES (=, not +=) the gradient of that reduced loss: it is the seed of backward.
// `mask (N)` holds per-row weights (0 or 1; null means all ones); a row with weight 0 adds
// nothing and gets an exactly zero gradient, even when its values are garbage (padding).
// Reduction 'mean' divides the elementwise losses (MSE, MAE, BCE) by Σmask·D and the cross
// entropies by Σmask; when that count is 0 the loss and every gradient are 0. 'sum' adds.
//
// Porting note: 'mean' without a mask is PyTorch's reduction='mean' (and Keras' default
// sum-over-batch-size). With a mask, the mean is over real (unmasked) rows only, so padding
// does not dilute the loss; PyTorch has no row mask (ignore_index for labels is the closest).
import { sigmoid } from './activations.js';

export type Reduction = 'mean' | 'sum';

/** Σ mask (N), or N when the mask is null: the number of real rows. */
export function maskWeight(mask: Float32Array | null, N: number): number {
  if (mask === null) return N;
  let sum = 0;
  for (let n = 0; n < N; n++) sum += mask[n];
  return sum;
}

/** The factor applied to the summed loss: 1 for 'sum', 1/count for 'mean' (0 when count is 0). */
export function reductionScale(reduction: Reduction, count: number): number {
  if (reduction === 'sum') return 1;
  return count > 0 ? 1 / count : 0;
}

/** Zeroes row n of a (N, width) gradient, if there is one. */
function zeroRow(d: Float32Array | null, n: number, width: number): void {
  if (d !== null) d.fill(0, n * width, (n + 1) * width);
}

/** log Σ_j exp(x_j) over x[o, o + V), max-subtracted so that exp never overflows. */
function logSumExp(x: Float32Array, o: number, V: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < V; j++) if (x[o + j] > max) max = x[o + j];
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp(x[o + j] - max);
  return max + Math.log(sum);
}

/** Squared error (p − t)² over pred, target (N, D); dPred (N, D) = ∂loss/∂pred or null. */
export function mseLoss(
  dPred: Float32Array | null,
  pred: Float32Array,
  target: Float32Array,
  mask: Float32Array | null,
  N: number,
  D: number,
  reduction: Reduction,
): number {
  const scale = reductionScale(reduction, maskWeight(mask, N) * D);
  let total = 0;
  for (let n = 0; n < N; n++) {
    const m = mask === null ? 1 : mask[n];
    if (m === 0) {
      zeroRow(dPred, n, D);
      continue;
    }
    for (let i = n * D; i < (n + 1) * D; i++) {
      const diff = pred[i] - target[i];
      total += m * diff * diff;
      if (dPred !== null) dPred[i] = 2 * m * diff * scale;
    }
  }
  return total * scale;
}

/**
 * Absolute error |p − t| over pred, target (N, D); dPred (N, D) or null.
 * Porting note: the subgradient at p = t is 0, as PyTorch's sign() in L1Loss.
 */
export function maeLoss(
  dPred: Float32Array | null,
  pred: Float32Array,
  target: Float32Array,
  mask: Float32Array | null,
  N: number,
  D: number,
  reduction: Reduction,
): number {
  const scale = reductionScale(reduction, maskWeight(mask, N) * D);
  let total = 0;
  for (let n = 0; n < N; n++) {
    const m = mask === null ? 1 : mask[n];
    if (m === 0) {
      zeroRow(dPred, n, D);
      continue;
    }
    for (let i = n * D; i < (n + 1) * D; i++) {
      const diff = pred[i] - target[i];
      total += m * Math.abs(diff);
      if (dPred !== null) dPred[i] = m * Math.sign(diff) * scale;
    }
  }
  return total * scale;
}

/**
 * Cross entropy −Σ_j t_j·log softmax(x)_j of logits (N, V) against target probabilities (N, V);
 * dLogits (N, V) = (Σ_j t_j)·softmax(x) − t, scaled, or null. Terms with t_j = 0 are skipped,
 * so a logit of −∞ there gives no NaN.
 * Porting note: PyTorch's cross_entropy with probability targets (label_smoothing 0).
 */
export function softmaxCrossEntropy(
  dLogits: Float32Array | null,
  logits: Float32Array,
  target: Float32Array,
  mask: Float32Array | null,
  N: number,
  V: number,
  reduction: Reduction,
): number {
  const scale = reductionScale(reduction, maskWeight(mask, N));
  let total = 0;
  for (let n = 0; n < N; n++) {
    const m = mask === null ? 1 : mask[n];
    if (m === 0) {
      zeroRow(dLogits, n, V);
      continue;
    }
    const o = n * V;
    const lse = logSumExp(logits, o, V);
    let targetSum = 0;
    for (let j = 0; j < V; j++) {
      const tj = target[o + j];
      if (tj === 0) continue;
      targetSum += tj;
      total += m * tj * (lse - logits[o + j]);
    }
    if (dLogits === null) continue;
    const factor = m * scale;
    for (let j = 0; j < V; j++) {
      dLogits[o + j] = factor * (targetSum * Math.exp(logits[o + j] - lse) - target[o + j]);
    }
  }
  return total * scale;
}

/**
 * Cross entropy −log softmax(x)_label of logits (N, V) for integer labels (N) in [0, V) (the
 * caller validates them); dLogits (N, V) = softmax(x) − onehot(label), scaled, or null.
 * Porting note: PyTorch's cross_entropy with class indices; Keras' sparse categorical
 * cross entropy with from_logits=True.
 */
export function sparseSoftmaxCrossEntropy(
  dLogits: Float32Array | null,
  logits: Float32Array,
  labels: Int32Array,
  mask: Float32Array | null,
  N: number,
  V: number,
  reduction: Reduction,
): number {
  const scale = reductionScale(reduction, maskWeight(mask, N));
  let total = 0;
  for (let n = 0; n < N; n++) {
    const m = mask === null ? 1 : mask[n];
    if (m === 0) {
      zeroRow(dLogits, n, V);
      continue;
    }
    const o = n * V;
    const lse = logSumExp(logits, o, V);
    total += m * (lse - logits[o + labels[n]]);
    if (dLogits === null) continue;
    const factor = m * scale;
    for (let j = 0; j < V; j++) dLogits[o + j] = factor * Math.exp(logits[o + j] - lse);
    dLogits[o + labels[n]] -= factor;
  }
  return total * scale;
}

/**
 * Binary cross entropy of logits x (N, D) against targets t (N, D) in [0, 1], in the stable form
 * max(x, 0) − x·t + log(1 + exp(−|x|)); dLogits (N, D) = sigmoid(x) − t, scaled, or null.
 * Porting note: PyTorch's binary_cross_entropy_with_logits (no pos_weight); Keras'
 * binary_crossentropy with from_logits=True.
 */
export function binaryCrossEntropyWithLogits(
  dLogits: Float32Array | null,
  logits: Float32Array,
  target: Float32Array,
  mask: Float32Array | null,
  N: number,
  D: number,
  reduction: Reduction,
): number {
  const scale = reductionScale(reduction, maskWeight(mask, N) * D);
  let total = 0;
  for (let n = 0; n < N; n++) {
    const m = mask === null ? 1 : mask[n];
    if (m === 0) {
      zeroRow(dLogits, n, D);
      continue;
    }
    for (let i = n * D; i < (n + 1) * D; i++) {
      const x = logits[i];
      const t = target[i];
      total += m * (Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x))));
      if (dLogits !== null) dLogits[i] = m * scale * (sigmoid(x) - t);
    }
  }
  return total * scale;
}
