// The parts every recurrent kernel shares: the input projection of all steps at once before the
// time loop, and the batched weight gradients after it. Only h_{t-1}·W_hhᵀ (forward) and
// dGates_t·W_hh (backward) run per step; everything that does not depend on the recurrence is
// one large product over T·B rows (DESIGN.md, "Sequences and randomness").
import type { KernelOps } from './ops.js';
import { isRealStep, type RecurrentGrads, type RecurrentWeights, type SequenceDims } from './sequence.js';

/**
 * pre (T·B, G) = x (T·B, I)·W_ihᵀ + b_ih + b_hh, adding b_hh only to the first `hhBiasEnd`
 * columns (GRU keeps b_hn apart: it sits inside the reset gate's product).
 */
export function inputProjection(
  ops: KernelOps,
  pre: Float32Array,
  x: Float32Array,
  w: RecurrentWeights,
  dims: SequenceDims,
  G: number,
  hhBiasEnd: number,
): void {
  const rows = dims.T * dims.B;
  ops.gemm(pre, x, w.wIh, rows, G, dims.I, false, true, 1, 0);
  ops.addBiasRows(pre, w.bIh, w.bHh, rows, G, hhBiasEnd);
}

/** pre (rows, G) += bIh + bHh over columns [0, hhEnd), += bIh past it. */
export function addBiasRows(
  pre: Float32Array,
  bIh: Float32Array,
  bHh: Float32Array,
  rows: number,
  G: number,
  hhEnd: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * G;
    for (let g = 0; g < hhEnd; g++) pre[o + g] += bIh[g] + bHh[g];
    for (let g = hhEnd; g < G; g++) pre[o + g] += bIh[g];
  }
}

/** db (G) += column sums of d (rows, G). */
export function addColumnSums(db: Float32Array, d: Float32Array, rows: number, G: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * G;
    for (let g = 0; g < G; g++) db[g] += d[o + g];
  }
}

/**
 * After the time loop: dW_ih += dPreᵀ·x, db_ih += Σ dPre, dx += dPre·W_ih, where dPre (T·B, G)
 * is the gradient of the input projection (zero rows at padded steps).
 */
export function inputProjectionBackward(
  ops: KernelOps,
  dx: Float32Array | null,
  grads: RecurrentGrads,
  dPre: Float32Array,
  x: Float32Array,
  w: RecurrentWeights,
  dims: SequenceDims,
  G: number,
): void {
  const rows = dims.T * dims.B;
  ops.gemm(grads.dWIh, dPre, x, G, dims.I, rows, true, false, 1, 1);
  ops.addColumnSums(grads.dBIh, dPre, rows, G);
  if (dx !== null) ops.gemm(dx, dPre, w.wIh, rows, dims.I, G, false, false, 1, 1);
}

/** out (n) += add (n); `out` may be null (gradient not wanted). */
export function accumulateInto(out: Float32Array | null, add: Float32Array, n: number): void {
  if (out === null) return;
  for (let i = 0; i < n; i++) out[i] += add[i];
}

/** State gradient at the end of the sequence: dhT plus, with dyMode 'last', the last output's gradient. */
export function initialStateGradient(
  dh: Float32Array,
  dhT: Float32Array | null,
  lastDy: Float32Array | null,
  n: number,
): void {
  for (let i = 0; i < n; i++) dh[i] = (dhT === null ? 0 : dhT[i]) + (lastDy === null ? 0 : lastDy[i]);
}

/** dh (B, H) = dhNext for samples where t is real; padded steps pass dh through unchanged. */
export function keepRealRows(dh: Float32Array, dhNext: Float32Array, t: number, dims: SequenceDims): void {
  const { B, H } = dims;
  for (let b = 0; b < B; b++) {
    if (!isRealStep(dims, t, b)) continue;
    for (let j = b * H; j < (b + 1) * H; j++) dh[j] = dhNext[j];
  }
}

/** dh (B, H) += dhNext for samples where t is real. */
export function addRealRows(dh: Float32Array, dhNext: Float32Array, t: number, dims: SequenceDims): void {
  const { B, H } = dims;
  for (let b = 0; b < B; b++) {
    if (!isRealStep(dims, t, b)) continue;
    for (let j = b * H; j < (b + 1) * H; j++) dh[j] += dhNext[j];
  }
}
