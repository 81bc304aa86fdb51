// The LSTM cell of one step, and the buffers it works in: what lstm.ts's time loop calls through
// KernelOps (ops.ts) on the reference backend, and the oracle the faster cells are tested against.
//
//   i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
//   g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
//   c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
//
// Porting note: gate order i, f, g, o as PyTorch's nn.LSTM (and Keras' i, f, c, o).
// Padding: Note [time-major sequences] in sequence.ts. Imports only leaves (activations,
// sequence), so the time loops, the ops type and the reference bindings can all import it.
import { sigmoid } from '../activations.js';
import { type Allocate, allocateFloat32, isRealStep, type SequenceDims, StepViews } from '../sequence.js';

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
