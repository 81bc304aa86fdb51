// GRU over a whole time-major sequence, over a backend's primitives (KernelOps, ops.ts): the time
// loop, the input projection before it and the batched weight gradients after it. The cells of one
// step are in cells/gru-cell.ts; the reference entry points (gruForward, gruBackward) in
// reference.ts.
//
// Porting note: weight_ih (3H, I), weight_hh (3H, H), bias_ih, bias_hh as PyTorch's nn.GRU, which
// is Keras' GRU with reset_after=True. Keras' reset_after=False has a single bias; importing it
// puts that bias in bias_ih and zeros in bias_hh.
// Padding, reverse and the final state: Note [time-major sequences] in sequence.ts.
import {
  type GruCache,
  type GruWorkspace,
  gruCandidateBackward,
  gruCellForward,
  gruResetBackward,
  resetHidden,
} from './cells/gru-cell.js';
import type { KernelOps } from './ops.js';
import {
  accumulateInto,
  addRealRows,
  initialStateGradient,
  inputProjection,
  inputProjectionBackward,
} from './recurrent-steps.js';
import {
  copyInto,
  copyState,
  type DyMode,
  type RecurrentGrads,
  type RecurrentWeights,
  type SequenceDims,
  timeAt,
  viewFrom,
} from './sequence.js';

/** gruForward over a backend's primitives (ops.ts); reset-before cells always run here in TypeScript. */
export function gruForwardWith(
  ops: KernelOps,
  y: Float32Array,
  hT: Float32Array,
  cache: GruCache,
  x: Float32Array,
  h0: Float32Array | null,
  w: RecurrentWeights,
  dims: SequenceDims,
  resetAfter: boolean,
): void {
  const { T, B, H } = dims;
  const G = 3 * H;
  inputProjection(ops, cache.gates, x, w, dims, G, 2 * H);
  copyState(hT, h0, B * H);
  for (let s = 0; s < T; s++) {
    const t = timeAt(s, dims);
    const hPrev = cache.hPrevSteps.at(t, B);
    copyInto(hPrev, 0, hT, B * H);
    if (resetAfter) {
      ops.gemm(cache.hProj, hPrev, w.wHh, B, G, H, false, true, 1, 0);
      ops.gruCellForward(y, hT, cache, w.bHh, t, dims);
    } else {
      // r and z first: the candidate's product needs r ⊙ h.
      ops.gemm(cache.hProj, hPrev, w.wHh, B, 2 * H, H, false, true, 1, 0, H, H, G);
      resetHidden(cache, t, dims);
      const rh = cache.hnSteps.at(t, B);
      ops.gemm(
        viewFrom(cache.hProj, 2 * H),
        rh,
        viewFrom(w.wHh, 2 * H * H),
        B,
        H,
        H,
        false,
        true,
        1,
        0,
        H,
        H,
        G,
      );
      gruCellForward(y, hT, cache, w.bHh, t, dims, false);
    }
  }
}

/** gruBackward over a backend's primitives (ops.ts). */
export function gruBackwardWith(
  ops: KernelOps,
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
  const { T, B, H } = dims;
  const G = 3 * H;
  const { dh, dhNext } = work;
  initialStateGradient(dh, dhT, dyMode === 'last' ? dy : null, B * H);
  const stepDy = dyMode === 'all' ? dy : null;
  for (let s = T - 1; s >= 0; s--) {
    const t = timeAt(s, dims);
    const dGatesH = work.dGateHSteps.at(t, B);
    if (resetAfter) {
      ops.gruCellBackward(work, cache, stepDy, t, dims);
      ops.gemm(dhNext, dGatesH, w.wHh, B, H, G, false, false, 1, 0);
    } else {
      gruCandidateBackward(work, cache, stepDy, t, dims);
      ops.gemm(
        work.dRh,
        viewFrom(dGatesH, 2 * H),
        viewFrom(w.wHh, 2 * H * H),
        B,
        H,
        H,
        false,
        false,
        1,
        0,
        G,
        H,
        H,
      );
      gruResetBackward(work, cache, stepDy, t, dims);
      ops.gemm(dhNext, dGatesH, w.wHh, B, H, 2 * H, false, false, 1, 0, G, H, H);
    }
    addRealRows(dh, dhNext, t, dims);
  }
  accumulateInto(dh0, dh, B * H);
  recurrentWeightGrads(ops, grads, work, cache, dims, resetAfter);
  inputProjectionBackward(ops, dx, grads, work.dGatesX, x, w, dims, G);
}

/** dW_hh and db_hh from the whole sequence's recurrent-projection gradients. */
function recurrentWeightGrads(
  ops: KernelOps,
  grads: RecurrentGrads,
  work: GruWorkspace,
  cache: GruCache,
  dims: SequenceDims,
  resetAfter: boolean,
): void {
  const { H } = dims;
  const G = 3 * H;
  const rows = dims.T * dims.B;
  ops.addColumnSums(grads.dBHh, work.dGatesH, rows, G);
  if (resetAfter) {
    ops.gemm(grads.dWHh, work.dGatesH, cache.hPrev, G, H, rows, true, false, 1, 1);
    return;
  }
  // r and z multiply h; the candidate multiplies r ⊙ h.
  ops.gemm(grads.dWHh, work.dGatesH, cache.hPrev, 2 * H, H, rows, true, false, 1, 1, G, H, H);
  const dWHn = viewFrom(grads.dWHh, 2 * H * H);
  ops.gemm(dWHn, viewFrom(work.dGatesH, 2 * H), cache.hn, H, H, rows, true, false, 1, 1, G, H, H);
}
