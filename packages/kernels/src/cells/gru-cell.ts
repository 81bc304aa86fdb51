// The GRU cells of one step (reset gate after and before the product), and the buffers they work
// in: what gru.ts's time loop calls, and the oracle the faster cells are tested against.
//
//   r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   reset after  (PyTorch):                   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//   reset before (Keras reset_after=False):   n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)
//   h' = (1 − z) ⊙ n + z ⊙ h
//
// Porting note: gate order r, z, n as PyTorch's nn.GRU (Keras: z, r, h; nn's interop reorders).
// Padding: Note [time-major sequences] in sequence.ts. Imports only leaves (activations, sequence).
import { sigmoid } from '../activations.js';
import { type Allocate, allocateFloat32, isRealStep, type SequenceDims, StepViews } from '../sequence.js';

/** What the forward pass keeps for BPTT. */
export interface GruCache {
  gates: Float32Array; // (T, B, 3H) activated r, z, n
  hPrev: Float32Array; // (T, B, H) hidden state entering step t
  hn: Float32Array; // (T, B, H) reset after: W_hn h + b_hn; reset before: r ⊙ h
  hProj: Float32Array; // (B, 3H) scratch: this step's h·W_hhᵀ
  gateSteps: StepViews;
  hPrevSteps: StepViews;
  hnSteps: StepViews;
}

/** Scratch for the backward pass. */
export interface GruWorkspace {
  dGatesX: Float32Array; // (T, B, 3H) gradient of the input projection
  dGatesH: Float32Array; // (T, B, 3H) gradient of the recurrent projection (h·W_hhᵀ + b_hh)
  dh: Float32Array; // (B, H) gradient of the hidden state flowing back
  dhNext: Float32Array; // (B, H) dGatesH_t·W_hh before masking
  dRh: Float32Array; // (B, H) reset before only: gradient of r ⊙ h
  dGateHSteps: StepViews;
}

export function allocateGruCache(dims: SequenceDims, allocate: Allocate = allocateFloat32): GruCache {
  const { T, B, H } = dims;
  const gates = allocate(T * B * 3 * H);
  const hPrev = allocate(T * B * H);
  const hn = allocate(T * B * H);
  return {
    gates,
    hPrev,
    hn,
    hProj: allocate(B * 3 * H),
    gateSteps: new StepViews(gates, 3 * H),
    hPrevSteps: new StepViews(hPrev, H),
    hnSteps: new StepViews(hn, H),
  };
}

export function allocateGruWorkspace(dims: SequenceDims, allocate: Allocate = allocateFloat32): GruWorkspace {
  const { T, B, H } = dims;
  const dGatesH = allocate(T * B * 3 * H);
  return {
    dGatesX: allocate(T * B * 3 * H),
    dGatesH,
    dh: allocate(B * H),
    dhNext: allocate(B * H),
    dRh: allocate(B * H),
    dGateHSteps: new StepViews(dGatesH, 3 * H),
  };
}

/** Reset before: hn_t = r ⊙ h_{t-1} for every row (padded rows too, so the cache stays finite). */
export function resetHidden(cache: GruCache, t: number, dims: SequenceDims): void {
  const { B, H } = dims;
  const { gates, hProj, hPrev, hn } = cache;
  for (let b = 0; b < B; b++) {
    const gi = (t * B + b) * 3 * H;
    const row = (t * B + b) * H;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gates[gi + j] + hProj[b * 3 * H + j]);
      hn[row + j] = r * hPrev[row + j];
    }
  }
}

/** Activates step t's gates and updates the state of the samples for which t is a real step. */
export function gruCellForward(
  y: Float32Array,
  hT: Float32Array,
  cache: GruCache,
  bHh: Float32Array,
  t: number,
  dims: SequenceDims,
  resetAfter: boolean,
): void {
  const { B, H } = dims;
  const { gates, hProj, hn } = cache;
  for (let b = 0; b < B; b++) {
    const row = (t * B + b) * H; // into (T, B, H)
    if (!isRealStep(dims, t, b)) {
      y.fill(0, row, row + H);
      continue;
    }
    const gi = (t * B + b) * 3 * H; // into (T, B, 3H)
    const pi = b * 3 * H; // into (B, 3H)
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gates[gi + j] + hProj[pi + j]);
      const z = sigmoid(gates[gi + H + j] + hProj[pi + H + j]);
      const hnValue = hProj[pi + 2 * H + j] + bHh[2 * H + j];
      const recurrent = resetAfter ? r * hnValue : hnValue;
      if (resetAfter) hn[row + j] = hnValue;
      const n = Math.tanh(gates[gi + 2 * H + j] + recurrent);
      gates[gi + j] = r;
      gates[gi + H + j] = z;
      gates[gi + 2 * H + j] = n;
      const h = (1 - z) * n + z * hT[b * H + j];
      hT[b * H + j] = h;
      y[row + j] = h;
    }
  }
}

/** Reset after, step t: all three gate gradients; dh becomes the direct path z ⊙ dh. */
export function gruCellBackwardResetAfter(
  work: GruWorkspace,
  cache: GruCache,
  dy: Float32Array | null,
  t: number,
  dims: SequenceDims,
): void {
  const { B, H } = dims;
  const { dGatesX, dGatesH, dh } = work;
  const { gates, hPrev, hn } = cache;
  for (let b = 0; b < B; b++) {
    const gi = (t * B + b) * 3 * H; // into (T, B, 3H)
    if (!isRealStep(dims, t, b)) {
      dGatesX.fill(0, gi, gi + 3 * H);
      dGatesH.fill(0, gi, gi + 3 * H);
      continue;
    }
    const row = (t * B + b) * H; // into (T, B, H)
    for (let j = 0; j < H; j++) {
      const r = gates[gi + j];
      const z = gates[gi + H + j];
      const n = gates[gi + 2 * H + j];
      const dhTotal = dh[b * H + j] + (dy === null ? 0 : dy[row + j]);
      const dn = dhTotal * (1 - z) * (1 - n * n);
      const dz = dhTotal * (hPrev[row + j] - n) * z * (1 - z);
      const dr = dn * hn[row + j] * r * (1 - r);
      dGatesX[gi + j] = dr;
      dGatesX[gi + H + j] = dz;
      dGatesX[gi + 2 * H + j] = dn;
      dGatesH[gi + j] = dr;
      dGatesH[gi + H + j] = dz;
      dGatesH[gi + 2 * H + j] = dn * r;
      dh[b * H + j] = dhTotal * z;
    }
  }
}

/** Reset before, step t, first half: the update and candidate gradients (dRh needs dn first). */
export function gruCandidateBackward(
  work: GruWorkspace,
  cache: GruCache,
  dy: Float32Array | null,
  t: number,
  dims: SequenceDims,
): void {
  const { B, H } = dims;
  const { dGatesX, dGatesH, dh } = work;
  const { gates, hPrev } = cache;
  for (let b = 0; b < B; b++) {
    const gi = (t * B + b) * 3 * H; // into (T, B, 3H)
    if (!isRealStep(dims, t, b)) {
      dGatesX.fill(0, gi, gi + 3 * H);
      dGatesH.fill(0, gi, gi + 3 * H);
      continue;
    }
    const row = (t * B + b) * H; // into (T, B, H)
    for (let j = 0; j < H; j++) {
      const z = gates[gi + H + j];
      const n = gates[gi + 2 * H + j];
      const dhTotal = dh[b * H + j] + (dy === null ? 0 : dy[row + j]);
      const dn = dhTotal * (1 - z) * (1 - n * n);
      const dz = dhTotal * (hPrev[row + j] - n) * z * (1 - z);
      dGatesX[gi + H + j] = dz;
      dGatesX[gi + 2 * H + j] = dn;
      dGatesH[gi + H + j] = dz;
      dGatesH[gi + 2 * H + j] = dn;
      dh[b * H + j] = dhTotal * z;
    }
  }
}

/** Reset before, step t, second half: the reset gate's gradient and r ⊙ dRh into the direct path. */
export function gruResetBackward(
  work: GruWorkspace,
  cache: GruCache,
  _dy: Float32Array | null,
  t: number,
  dims: SequenceDims,
): void {
  const { B, H } = dims;
  const { dGatesX, dGatesH, dh, dRh } = work;
  const { gates, hPrev } = cache;
  for (let b = 0; b < B; b++) {
    if (!isRealStep(dims, t, b)) continue;
    const gi = (t * B + b) * 3 * H; // into (T, B, 3H)
    const row = (t * B + b) * H; // into (T, B, H)
    for (let j = 0; j < H; j++) {
      const r = gates[gi + j];
      const dRhValue = dRh[b * H + j];
      const dr = dRhValue * hPrev[row + j] * r * (1 - r);
      dGatesX[gi + j] = dr;
      dGatesH[gi + j] = dr;
      dh[b * H + j] += dRhValue * r;
    }
  }
}
