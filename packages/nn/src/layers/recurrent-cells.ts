// What the recurrent layer needs of each cell kind, in one table: the gate width, the cache and
// workspace a bound layer allocates, and its forward and backward through a kernel backend. The
// layer (recurrent.ts) looks its kind up once instead of switching on it in bind, forward and
// backward.
import {
  allocateGruCache,
  allocateGruWorkspace,
  allocateLstmCache,
  allocateLstmWorkspace,
  allocateRnnCache,
  allocateRnnWorkspace,
  type KernelBackend,
  type RecurrentGrads,
  type RecurrentWeights,
  type SequenceDims,
} from '@recur/kernels';
import type { CellKind, Resolved } from './recurrent-options.js';

/**
 * One layer's cell, bound to the cache and workspace it allocated. The arguments are the
 * kernels' (shapes in @recur/kernels); cT, c0, dc0, dcT are used by the LSTM only, and backward
 * takes dy (T, B, H) in 'all' mode (the layer folds a last-output gradient into dhT) and dx null
 * when no layer reads the input gradient.
 */
export interface BoundCell {
  forward(
    k: KernelBackend,
    y: Float32Array,
    hT: Float32Array,
    cT: Float32Array,
    x: Float32Array,
    h0: Float32Array | null,
    c0: Float32Array | null,
    w: RecurrentWeights,
    dims: SequenceDims,
  ): void;
  backward(
    k: KernelBackend,
    dx: Float32Array | null,
    dh0: Float32Array,
    dc0: Float32Array,
    grads: RecurrentGrads,
    x: Float32Array,
    w: RecurrentWeights,
    dy: Float32Array | null,
    dhT: Float32Array | null,
    dcT: Float32Array | null,
    dims: SequenceDims,
  ): void;
}

export interface CellFunctions {
  /** G = gates · H: 4 (LSTM i, f, g, o), 3 (GRU r, z, n), 1 (SimpleRNN) */
  gates: number;
  /** Allocates the cache, then the workspace, for `dims` (the arena's order), and binds them. */
  bind(dims: SequenceDims, allocate: (n: number) => Float32Array, options: Resolved): BoundCell;
}

export const CELLS: Record<CellKind, CellFunctions> = {
  lstm: {
    gates: 4,
    bind(dims, allocate) {
      const cache = allocateLstmCache(dims, allocate);
      const work = allocateLstmWorkspace(dims, allocate);
      return {
        forward: (k, y, hT, cT, x, h0, c0, w, d) => k.lstmForward(y, hT, cT, cache, x, h0, c0, w, d),
        backward: (k, dx, dh0, dc0, g, x, w, dy, dhT, dcT, d) =>
          k.lstmBackward(dx, dh0, dc0, g, work, cache, x, w, dy, 'all', dhT, dcT, d),
      };
    },
  },
  gru: {
    gates: 3,
    bind(dims, allocate, options) {
      const cache = allocateGruCache(dims, allocate);
      const work = allocateGruWorkspace(dims, allocate);
      const { resetAfter } = options;
      return {
        forward: (k, y, hT, _cT, x, h0, _c0, w, d) => k.gruForward(y, hT, cache, x, h0, w, d, resetAfter),
        backward: (k, dx, dh0, _dc0, g, x, w, dy, dhT, _dcT, d) =>
          k.gruBackward(dx, dh0, g, work, cache, x, w, dy, 'all', dhT, d, resetAfter),
      };
    },
  },
  simpleRNN: {
    gates: 1,
    bind(dims, allocate, options) {
      const cache = allocateRnnCache(dims, allocate);
      const work = allocateRnnWorkspace(dims, allocate);
      const { activation } = options;
      return {
        forward: (k, y, hT, _cT, x, h0, _c0, w, d) => k.rnnForward(y, hT, cache, x, h0, w, d, activation),
        backward: (k, dx, dh0, _dc0, g, x, w, dy, dhT, _dcT, d) =>
          k.rnnBackward(dx, dh0, g, work, cache, x, w, dy, 'all', dhT, d, activation),
      };
    },
  },
};
