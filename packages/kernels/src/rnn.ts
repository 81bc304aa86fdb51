// SimpleRNN (Elman) over a whole time-major sequence, over a backend's primitives (KernelOps,
// ops.ts): the time loop, the input projection before it and the batched weight gradients after
// it. The cell of one step is in cells/rnn-cell.ts; the reference entry points (rnnForward,
// rnnBackward) in reference.ts.
//
// Porting note: weight_ih (H, I), weight_hh (H, H), bias_ih, bias_hh and `nonlinearity` as
// PyTorch's nn.RNN; Keras' SimpleRNN stores kernel (I, H), recurrent_kernel (H, H) and one bias.
// Padding, reverse and the final state: Note [time-major sequences] in sequence.ts.
import { type RnnActivation, type RnnCache, type RnnWorkspace, rnnCellBackward } from './cells/rnn-cell.js';
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
