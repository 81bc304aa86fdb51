// The TypeScript reference in one place: `referenceOps`, the primitives (ops.ts) the time loops
// of lstm.ts, gru.ts, rnn.ts and dense.ts run on by default (the tuned plain-TypeScript gemm and
// the readable cells of cells/), and the reference entry points — each loop bound to those ops.
// backend.ts's `referenceKernels` is made of these. They accept views on any buffer
// (ArrayBuffer, SharedArrayBuffer, a WebAssembly.Memory's buffer).
//
// Imports point one way: cells/ ← ops.ts ← the loops ← this file ← backend.ts.

import type { GruCache, GruWorkspace } from './cells/gru-cell.js';
import { gruCellBackwardResetAfter, gruCellForward } from './cells/gru-cell.js';
import type { LstmCache, LstmWorkspace } from './cells/lstm-cell.js';
import { lstmCellBackward, lstmCellForward } from './cells/lstm-cell.js';
import { type RnnActivation, type RnnCache, type RnnWorkspace, rnnCellForward } from './cells/rnn-cell.js';
import { denseBackwardWith, denseForwardWith } from './dense.js';
import { gemm } from './gemm.js';
import { gruBackwardWith, gruForwardWith } from './gru.js';
import { lstmBackwardWith, lstmForwardWith } from './lstm.js';
import type { KernelOps } from './ops.js';
import { addBiasRows, addColumnSums } from './recurrent-steps.js';
import { rnnBackwardWith, rnnForwardWith } from './rnn.js';
import type { DyMode, RecurrentGrads, RecurrentWeights, SequenceDims } from './sequence.js';

export const referenceOps: KernelOps = {
  gemm,
  addBiasRows,
  addColumnSums,
  lstmCellForward,
  lstmCellBackward,
  gruCellForward: (y, hT, cache, bHh, t, dims) => gruCellForward(y, hT, cache, bHh, t, dims, true),
  gruCellBackward: gruCellBackwardResetAfter,
  rnnCellForward,
};

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

/** y (T, B, H) every step's output (0 at padded steps); hT (B, H) final state; h0 null for zeros. */
export function rnnForward(
  y: Float32Array,
  hT: Float32Array,
  cache: RnnCache,
  x: Float32Array,
  h0: Float32Array | null,
  w: RecurrentWeights,
  dims: SequenceDims,
  activation: RnnActivation,
): void {
  rnnForwardWith(referenceOps, y, hT, cache, x, h0, w, dims, activation);
}

/**
 * BPTT. dy: (T, B, H) with dyMode 'all', (B, H) with 'last', or null; dhT (B, H) or null.
 * Accumulates dx (T, B, I), dh0 (B, H) (each may be null) and the weight gradients.
 */
export function rnnBackward(
  dx: Float32Array | null,
  dh0: Float32Array | null,
  grads: RecurrentGrads,
  work: RnnWorkspace,
  cache: RnnCache,
  x: Float32Array,
  w: RecurrentWeights,
  dy: Float32Array | null,
  dyMode: DyMode,
  dhT: Float32Array | null,
  dims: SequenceDims,
  activation: RnnActivation,
): void {
  rnnBackwardWith(referenceOps, dx, dh0, grads, work, cache, x, w, dy, dyMode, dhT, dims, activation);
}

/**
 * y (T, B, H) every step's output (0 at padded steps); hT, cT (B, H) final states.
 * x (T, B, I); h0, c0 (B, H) or null for zeros.
 */
export function lstmForward(
  y: Float32Array,
  hT: Float32Array,
  cT: Float32Array,
  cache: LstmCache,
  x: Float32Array,
  h0: Float32Array | null,
  c0: Float32Array | null,
  w: RecurrentWeights,
  dims: SequenceDims,
): void {
  lstmForwardWith(referenceOps, y, hT, cT, cache, x, h0, c0, w, dims);
}

/**
 * BPTT. dy: (T, B, H) with dyMode 'all', (B, H) with 'last', or null; dhT, dcT (B, H) or null.
 * Accumulates dx (T, B, I), dh0, dc0 (B, H) (each may be null) and the weight gradients.
 */
export function lstmBackward(
  dx: Float32Array | null,
  dh0: Float32Array | null,
  dc0: Float32Array | null,
  grads: RecurrentGrads,
  work: LstmWorkspace,
  cache: LstmCache,
  x: Float32Array,
  w: RecurrentWeights,
  dy: Float32Array | null,
  dyMode: DyMode,
  dhT: Float32Array | null,
  dcT: Float32Array | null,
  dims: SequenceDims,
): void {
  lstmBackwardWith(referenceOps, dx, dh0, dc0, grads, work, cache, x, w, dy, dyMode, dhT, dcT, dims);
}

/** y (T, B, H) every step's output (0 at padded steps); hT (B, H) final state; h0 null for zeros. */
export function gruForward(
  y: Float32Array,
  hT: Float32Array,
  cache: GruCache,
  x: Float32Array,
  h0: Float32Array | null,
  w: RecurrentWeights,
  dims: SequenceDims,
  resetAfter: boolean,
): void {
  gruForwardWith(referenceOps, y, hT, cache, x, h0, w, dims, resetAfter);
}

/**
 * BPTT. dy: (T, B, H) with dyMode 'all', (B, H) with 'last', or null; dhT (B, H) or null.
 * Accumulates dx (T, B, I), dh0 (B, H) (each may be null) and the weight gradients.
 */
export function gruBackward(
  dx: Float32Array | null,
  dh0: Float32Array | null,
  grads: RecurrentGrads,
  work: GruWorkspace,
  cache: GruCache,
  x: Float32Array,
  w: RecurrentWeights,
  dy: Float32Array | null,
  dyMode: DyMode,
  dhT: Float32Array | null,
  dims: SequenceDims,
  resetAfter: boolean,
): void {
  gruBackwardWith(referenceOps, dx, dh0, grads, work, cache, x, w, dy, dyMode, dhT, dims, resetAfter);
}
