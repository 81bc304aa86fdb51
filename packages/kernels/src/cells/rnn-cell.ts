// The SimpleRNN (Elman) cell of one step, h' = act(pre), act ∈ {tanh, relu}, and the buffers it
// works in: what rnn.ts's time loop calls, and the oracle the faster cells are tested against.
// Padding: Note [time-major sequences] in sequence.ts. Imports only a leaf (sequence).
import { type Allocate, allocateFloat32, isRealStep, type SequenceDims, StepViews } from '../sequence.js';

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

/** Step t: dGates from dh and dy through the activation's slope. */
export function rnnCellBackward(
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
