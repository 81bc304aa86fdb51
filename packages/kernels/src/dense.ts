// Fully connected layer y = x·wᵀ + b, forward and backward, over Float32Array views.
//
// Is: the affine map of a dense (Linear) layer as two or three gemm calls. Is not: the
// activation (activations.ts applies it afterwards, in place) nor a time-distributed wrapper
// (a (T, B, In) sequence is simply N = T·B rows).
//
// Dimension letters: N rows (batch, or steps × batch), In input width, O output width.
//
// Porting note: the weight is (O, In), as PyTorch's `nn.Linear.weight`; Keras' Dense kernel is
// its transpose (In, O). The reference entry points (denseForward, denseBackward: these calls on
// the reference ops) are in reference.ts.
import type { KernelOps } from './ops.js';

/** y (N, O) = x (N, In) · wᵀ (In, O) + b (O) over a backend's primitives (ops.ts); b may be null. */
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

/** denseBackward (reference.ts) over a backend's primitives (ops.ts). */
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
