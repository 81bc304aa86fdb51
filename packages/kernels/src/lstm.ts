// LSTM over a whole time-major sequence, over a backend's primitives (KernelOps, ops.ts): the
// time loop, the input projection before it and the batched weight gradients after it. The cell
// of one step is in cells/lstm-cell.ts; the reference entry points (lstmForward, lstmBackward:
// these loops on the reference ops) are in reference.ts.
//
// Porting note: weight_ih (4H, I), weight_hh (4H, H), bias_ih, bias_hh as PyTorch's nn.LSTM;
// Keras stores kernel (I, 4H) with the same gate order (i, f, c, o).
// Padding, reverse and the final state: Note [time-major sequences] in sequence.ts.
// Not here: projections (proj_size), peepholes, dropout between layers (nn's job).
import type { LstmCache, LstmWorkspace } from './cells/lstm-cell.js';
import type { KernelOps } from './ops.js';
import {
  accumulateInto,
  initialStateGradient,
  inputProjection,
  inputProjectionBackward,
  keepRealRows,
} from './recurrent-steps.js';
import {
  copyInto,
  copyState,
  type DyMode,
  type RecurrentGrads,
  type RecurrentWeights,
  type SequenceDims,
  timeAt,
} from './sequence.js';

/** lstmForward over a backend's primitives (ops.ts); reference.ts passes referenceOps. */
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
