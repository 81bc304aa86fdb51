// SimpleRNN (Elman) over a whole time-major sequence: forward with the caches BPTT needs, and
// backward.   h' = act(W_ih x + b_ih + W_hh h + b_hh),  act ∈ {tanh, relu}
//
// Porting note: weight_ih (H, I), weight_hh (H, H), bias_ih, bias_hh and `nonlinearity` as
// PyTorch's nn.RNN; Keras' SimpleRNN stores kernel (I, H), recurrent_kernel (H, H) and one bias.
// Padding, reverse and the final state: Note [time-major sequences] in sequence.ts.
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

export type RnnActivation = 'tanh' | 'relu';

/** What the forward pass keeps for BPTT. */
export interface RnnCache {
  gates: Float32Array; // (T, B, H) the activated new state of each step
  hPrev: Float32Array; // (T, B, H) hidden state entering step t
  gateSteps: StepViews;
  hPrevSteps: StepViews;
}

/** Scratch for the backward pass. */
export interface RnnWorkspace {
  dGates: Float32Array; // (T, B, H) gradient of the pre-activations
  dh: Float32Array; // (B, H) gradient of the hidden state flowing back
  dhNext: Float32Array; // (B, H) dGates_t·W_hh before masking
  dGateSteps: StepViews;
}

export function allocateRnnCache(dims: SequenceDims, allocate: Allocate = allocateFloat32): RnnCache {
  const { T, B, H } = dims;
  const gates = allocate(T * B * H);
  const hPrev = allocate(T * B * H);
  return { gates, hPrev, gateSteps: new StepViews(gates, H), hPrevSteps: new StepViews(hPrev, H) };
}

export function allocateRnnWorkspace(dims: SequenceDims, allocate: Allocate = allocateFloat32): RnnWorkspace {
  const { T, B, H } = dims;
  const dGates = allocate(T * B * H);
  return { dGates, dh: allocate(B * H), dhNext: allocate(B * H), dGateSteps: new StepViews(dGates, H) };
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

/** rnnForward over a backend's primitives (ops.ts). */
export function rnnForwardWith(
  ops: KernelOps,
  y: Float32Array,
  hT: Float32Array,
  cache: RnnCache,
  x: Float32Array,
  h0: Float32Array | null,
  w: RecurrentWeights,
  dims: SequenceDims,
  activation: RnnActivation,
): void {
  const { T, B, H } = dims;
  inputProjection(ops, cache.gates, x, w, dims, H, H);
  copyState(hT, h0, B * H);
  for (let s = 0; s < T; s++) {
    const t = timeAt(s, dims);
    const hPrev = cache.hPrevSteps.at(t, B);
    copyInto(hPrev, 0, hT, B * H);
    ops.gemm(cache.gateSteps.at(t, B), hPrev, w.wHh, B, H, H, false, true, 1, 1);
    ops.rnnCellForward(y, hT, cache.gates, t, dims, activation === 'relu');
  }
}

export function rnnCellForward(
  y: Float32Array,
  hT: Float32Array,
  gates: Float32Array,
  t: number,
  dims: SequenceDims,
  relu: boolean,
): void {
  const { B, H } = dims;
  for (let b = 0; b < B; b++) {
    const row = (t * B + b) * H; // into (T, B, H)
    if (!isRealStep(dims, t, b)) {
      y.fill(0, row, row + H);
      continue;
    }
    for (let j = 0; j < H; j++) {
      const pre = gates[row + j];
      const h = relu ? Math.max(pre, 0) : Math.tanh(pre);
      gates[row + j] = h;
      hT[b * H + j] = h;
      y[row + j] = h;
    }
  }
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

/** rnnBackward over a backend's primitives (ops.ts). */
export function rnnBackwardWith(
  ops: KernelOps,
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
  const { T, B, H } = dims;
  const { dh, dhNext } = work;
  initialStateGradient(dh, dhT, dyMode === 'last' ? dy : null, B * H);
  const stepDy = dyMode === 'all' ? dy : null;
  for (let s = T - 1; s >= 0; s--) {
    const t = timeAt(s, dims);
    rnnCellBackward(work, cache.gates, stepDy, t, dims, activation === 'relu');
    ops.gemm(dhNext, work.dGateSteps.at(t, B), w.wHh, B, H, H, false, false, 1, 0);
    keepRealRows(dh, dhNext, t, dims);
  }
  accumulateInto(dh0, dh, B * H);
  const rows = T * B;
  ops.gemm(grads.dWHh, work.dGates, cache.hPrev, H, H, rows, true, false, 1, 1);
  ops.addColumnSums(grads.dBHh, work.dGates, rows, H);
  inputProjectionBackward(ops, dx, grads, work.dGates, x, w, dims, H);
}

function rnnCellBackward(
  work: RnnWorkspace,
  gates: Float32Array,
  dy: Float32Array | null,
  t: number,
  dims: SequenceDims,
  relu: boolean,
): void {
  const { B, H } = dims;
  const { dGates, dh } = work;
  for (let b = 0; b < B; b++) {
    const row = (t * B + b) * H; // into (T, B, H)
    if (!isRealStep(dims, t, b)) {
      dGates.fill(0, row, row + H);
      continue;
    }
    for (let j = 0; j < H; j++) {
      const h = gates[row + j];
      const dhTotal = dh[b * H + j] + (dy === null ? 0 : dy[row + j]);
      const slope = relu ? (h > 0 ? 1 : 0) : 1 - h * h;
      dGates[row + j] = dhTotal * slope;
    }
  }
}
