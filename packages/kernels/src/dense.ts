// Fully connected layer y = x·wᵀ + b, forward and backward, over Float32Array views.
//
// Is: the affine map of a dense (Linear) layer as two or three gemm calls. Is not: the
// activation (activations.ts applies it afterwards, in place) nor a time-distributed wrapper
// (a (T, B, In) sequence is simply N = T·B rows).
//
// Dimension letters: N rows (batch, or steps × batch), In input width, O output width.
//
// Porting note: the weight is (O, In), as PyTorch's `nn.Linear.weight`; Keras' Dense kernel is
// its transpose (In, O).
import type { KernelOps } from './ops.js';
import { referenceOps } from './reference-ops.js';

/** y (N, O) = x (N, In) · wᵀ (In, O) + b (O); b may be null (no bias). */
export function denseForward(
  y: Float32Array,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  N: number,
  In: number,
  O: number,
): void {
  denseForwardWith(referenceOps, y, x, w, b, N, In, O);
}

/** denseForward over a backend's primitives (ops.ts). */
export function denseForwardWith(
  ops: KernelOps,
  y: Float32Array,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  N: number,
  In: number,
  O: number,
): void {
  ops.gemm(y, x, w, N, O, In, false, true);
  if (b !== null) ops.addBiasRows(y, b, b, N, O, 0);
}

/**
 * Accumulates dw (O, In) += dyᵀ · x, db (O) += Σ_n dy, dx (N, In) += dy · w, from x (N, In),
 * w (O, In) and dy (N, O). dx and db may be null when not wanted.
 */
export function denseBackward(
  dx: Float32Array | null,
  dw: Float32Array,
  db: Float32Array | null,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  N: number,
  In: number,
  O: number,
): void {
  denseBackwardWith(referenceOps, dx, dw, db, x, w, dy, N, In, O);
}

/** denseBackward over a backend's primitives (ops.ts). */
export function denseBackwardWith(
  ops: KernelOps,
  dx: Float32Array | null,
  dw: Float32Array,
  db: Float32Array | null,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  N: number,
  In: number,
  O: number,
): void {
  ops.gemm(dw, dy, x, O, In, N, true, false, 1, 1);
  if (dx !== null) ops.gemm(dx, dy, w, N, In, O, false, false, 1, 1);
  if (db !== null) ops.addColumnSums(db, dy, N, O);
}
