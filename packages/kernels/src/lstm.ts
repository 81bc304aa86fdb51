// LSTM over a whole time-major sequence: forward writing the caches BPTT needs, and backward.
//
//   i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
//   g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
//   c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
//
// Porting note: gate order i, f, g, o and weight_ih (4H, I), weight_hh (4H, H), bias_ih, bias_hh
// as PyTorch's nn.LSTM; Keras stores kernel (I, 4H) with the same gate order (i, f, c, o).
// Padding, reverse and the final state: Note [time-major sequences] in sequence.ts.
// Not here: projections (proj_size), peepholes, dropout between layers (nn's job).
import { sigmoid } from './activations.js';
import type { KernelOps } from './ops.js';
import {
  accumulateInto,
  initialStateGradient,
  inputProjection,
  inputProjectionBackward,
  keepRealRows,
} from './recurrent-steps.js';
import { referenceOps } from './reference-ops.js';
import {
  type Allocate,
  allocateFloat32,
  copyInto,
  copyState,
  type DyMode,
  isRealStep,
  type RecurrentGrads,
  type RecurrentWeights,
  type SequenceDims,
  StepViews,
  timeAt,
} from './sequence.js';

/** What the forward pass keeps for BPTT. */
export interface LstmCache {
  gates: Float32Array; // (T, B, 4H) activated i, f, g, o
  hPrev: Float32Array; // (T, B, H) hidden state entering step t
  cPrev: Float32Array; // (T, B, H) cell state entering step t
  tanhC: Float32Array; // (T, B, H) tanh of the cell state leaving step t
  gateSteps: StepViews;
  hPrevSteps: StepViews;
}

/** Scratch for the backward pass. */
export interface LstmWorkspace {
  dGates: Float32Array; // (T, B, 4H) gradient of the gate pre-activations
  dh: Float32Array; // (B, H) gradient of the hidden state flowing back
  dc: Float32Array; // (B, H) gradient of the cell state flowing back
  dhNext: Float32Array; // (B, H) dGates_t·W_hh before masking
  dGateSteps: StepViews;
}

export function allocateLstmCache(dims: SequenceDims, allocate: Allocate = allocateFloat32): LstmCache {
  const { T, B, H } = dims;
  const gates = allocate(T * B * 4 * H);
  const hPrev = allocate(T * B * H);
  return {
    gates,
    hPrev,
    cPrev: allocate(T * B * H),
    tanhC: allocate(T * B * H),
    gateSteps: new StepViews(gates, 4 * H),
    hPrevSteps: new StepViews(hPrev, H),
  };
}

export function allocateLstmWorkspace(
  dims: SequenceDims,
  allocate: Allocate = allocateFloat32,
): LstmWorkspace {
  const { T, B, H } = dims;
  const dGates = allocate(T * B * 4 * H);
  return {
    dGates,
    dh: allocate(B * H),
    dc: allocate(B * H),
    dhNext: allocate(B * H),
    dGateSteps: new StepViews(dGates, 4 * H),
  };
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

/** lstmForward over a backend's primitives (ops.ts); the reference passes referenceOps. */
export function lstmForwardWith(
  ops: KernelOps,
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
  const { T, B, H } = dims;
  const G = 4 * H;
  inputProjection(ops, cache.gates, x, w, dims, G, G);
  copyState(hT, h0, B * H);
  copyState(cT, c0, B * H);
  for (let s = 0; s < T; s++) {
    const t = timeAt(s, dims);
    const hPrev = cache.hPrevSteps.at(t, B);
    copyInto(hPrev, 0, hT, B * H);
    copyInto(cache.cPrev, t * B * H, cT, B * H);
    ops.gemm(cache.gateSteps.at(t, B), hPrev, w.wHh, B, G, H, false, true, 1, 1);
    ops.lstmCellForward(y, hT, cT, cache, t, dims);
  }
}

/** Activates step t's gates and updates the states of the samples for which t is a real step. */
export function lstmCellForward(
  y: Float32Array,
  hT: Float32Array,
  cT: Float32Array,
  cache: LstmCache,
  t: number,
  dims: SequenceDims,
): void {
  const { B, H } = dims;
  const { gates, tanhC } = cache;
  for (let b = 0; b < B; b++) {
    const row = (t * B + b) * H; // into (T, B, H)
    const state = b * H; // into (B, H)
    if (!isRealStep(dims, t, b)) {
      y.fill(0, row, row + H);
      continue;
    }
    const gi = (t * B + b) * 4 * H; // into (T, B, 4H)
    for (let j = 0; j < H; j++) {
      const i = sigmoid(gates[gi + j]);
      const f = sigmoid(gates[gi + H + j]);
      const g = Math.tanh(gates[gi + 2 * H + j]);
      const o = sigmoid(gates[gi + 3 * H + j]);
      gates[gi + j] = i;
      gates[gi + H + j] = f;
      gates[gi + 2 * H + j] = g;
      gates[gi + 3 * H + j] = o;
      const c = f * cT[state + j] + i * g;
      const tc = Math.tanh(c);
      const h = o * tc;
      cT[state + j] = c;
      tanhC[row + j] = tc;
      hT[state + j] = h;
      y[row + j] = h;
    }
  }
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

/** lstmBackward over a backend's primitives (ops.ts). */
export function lstmBackwardWith(
  ops: KernelOps,
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
  const { T, B, H } = dims;
  const G = 4 * H;
  const { dh, dc, dhNext } = work;
  initialStateGradient(dh, dhT, dyMode === 'last' ? dy : null, B * H);
  initialStateGradient(dc, dcT, null, B * H);
  const stepDy = dyMode === 'all' ? dy : null;
  for (let s = T - 1; s >= 0; s--) {
    const t = timeAt(s, dims);
    ops.lstmCellBackward(work, cache, stepDy, t, dims);
    ops.gemm(dhNext, work.dGateSteps.at(t, B), w.wHh, B, H, G, false, false, 1, 0);
    keepRealRows(dh, dhNext, t, dims);
  }
  accumulateInto(dh0, dh, B * H);
  accumulateInto(dc0, dc, B * H);
  const rows = T * B;
  ops.gemm(grads.dWHh, work.dGates, cache.hPrev, G, H, rows, true, false, 1, 1);
  ops.addColumnSums(grads.dBHh, work.dGates, rows, G);
  inputProjectionBackward(ops, dx, grads, work.dGates, x, w, dims, G);
}

/** Step t: dGates from dh, dc and dy; dc moves to the previous step (dh follows after the product). */
export function lstmCellBackward(
  work: LstmWorkspace,
  cache: LstmCache,
  dy: Float32Array | null,
  t: number,
  dims: SequenceDims,
): void {
  const { B, H } = dims;
  const { dGates, dh, dc } = work;
  const { gates, cPrev, tanhC } = cache;
  for (let b = 0; b < B; b++) {
    const gi = (t * B + b) * 4 * H; // into (T, B, 4H)
    if (!isRealStep(dims, t, b)) {
      dGates.fill(0, gi, gi + 4 * H);
      continue;
    }
    const row = (t * B + b) * H; // into (T, B, H)
    const state = b * H; // into (B, H)
    for (let j = 0; j < H; j++) {
      const i = gates[gi + j];
      const f = gates[gi + H + j];
      const g = gates[gi + 2 * H + j];
      const o = gates[gi + 3 * H + j];
      const tc = tanhC[row + j];
      const dhTotal = dh[state + j] + (dy === null ? 0 : dy[row + j]);
      const dcTotal = dc[state + j] + dhTotal * o * (1 - tc * tc);
      dGates[gi + j] = dcTotal * g * i * (1 - i);
      dGates[gi + H + j] = dcTotal * cPrev[row + j] * f * (1 - f);
      dGates[gi + 2 * H + j] = dcTotal * i * (1 - g * g);
      dGates[gi + 3 * H + j] = dhTotal * tc * o * (1 - o);
      dc[state + j] = dcTotal * f;
    }
  }
}
