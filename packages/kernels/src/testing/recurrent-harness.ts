// One interface over the three recurrent kernels, so gradient checks and property tests run the
// same cases for SimpleRNN (tanh, relu), LSTM and GRU (reset after and before).
import { allocateGruCache, allocateGruWorkspace } from '../cells/gru-cell.js';
import { allocateLstmCache, allocateLstmWorkspace } from '../cells/lstm-cell.js';
import { allocateRnnCache, allocateRnnWorkspace } from '../cells/rnn-cell.js';
import type { DyMode, RecurrentGrads, RecurrentWeights, SequenceDims } from '../sequence.js';
import { type TestBackend, tsTestBackend } from './backends.js';

export type CellKind = 'rnn-tanh' | 'rnn-relu' | 'lstm' | 'gru' | 'gru-reset-before';
export const CELL_KINDS: CellKind[] = ['rnn-tanh', 'rnn-relu', 'lstm', 'gru', 'gru-reset-before'];

export function gateWidth(kind: CellKind, H: number): number {
  if (kind === 'lstm') return 4 * H;
  if (kind === 'gru' || kind === 'gru-reset-before') return 3 * H;
  return H;
}

/** Inputs, weights and output buffers of one run. */
export interface RecurrentProblem {
  kind: CellKind;
  dims: SequenceDims;
  x: Float32Array; // (T, B, I)
  h0: Float32Array; // (B, H)
  c0: Float32Array; // (B, H), LSTM only
  w: RecurrentWeights;
  y: Float32Array; // (T, B, H)
  hT: Float32Array; // (B, H)
  cT: Float32Array; // (B, H)
}

/** A problem whose buffers lie in `backend`'s memory (plain arrays for the reference). */
export function makeProblem(
  kind: CellKind,
  dims: SequenceDims,
  random: () => number,
  backend: TestBackend = tsTestBackend,
): RecurrentProblem {
  const randomArray = (n: number, r: () => number, lo?: number, hi?: number) => backend.random(n, r, lo, hi);
  const { T, B, I, H } = dims;
  const G = gateWidth(kind, H);
  return {
    kind,
    dims,
    x: randomArray(T * B * I, random),
    h0: randomArray(B * H, random, -0.5, 0.5),
    c0: randomArray(B * H, random, -0.5, 0.5),
    w: {
      wIh: randomArray(G * I, random, -0.6, 0.6),
      wHh: randomArray(G * H, random, -0.6, 0.6),
      bIh: randomArray(G, random, -0.3, 0.3),
      bHh: randomArray(G, random, -0.3, 0.3),
    },
    y: backend.allocate(T * B * H),
    hT: backend.allocate(B * H),
    cT: backend.allocate(B * H),
  };
}

export function zeroGrads(w: RecurrentWeights, backend: TestBackend = tsTestBackend): RecurrentGrads {
  return {
    dWIh: backend.allocate(w.wIh.length),
    dWHh: backend.allocate(w.wHh.length),
    dBIh: backend.allocate(w.bIh.length),
    dBHh: backend.allocate(w.bHh.length),
  };
}

export interface Runner {
  forward(p: RecurrentProblem): void;
  backward(
    p: RecurrentProblem,
    dx: Float32Array,
    dh0: Float32Array,
    dc0: Float32Array,
    grads: RecurrentGrads,
    dy: Float32Array | null,
    dyMode: DyMode,
    dhT: Float32Array | null,
    dcT: Float32Array | null,
  ): void;
}

/** A runner with its own cache and workspace for `dims`, calling `backend`'s kernels. */
export function makeRunner(kind: CellKind, dims: SequenceDims, backend: TestBackend = tsTestBackend): Runner {
  const { lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward } = backend.kernels;
  const { allocate } = backend;
  if (kind === 'lstm') {
    const cache = allocateLstmCache(dims, allocate);
    const work = allocateLstmWorkspace(dims, allocate);
    return {
      forward: (p) => lstmForward(p.y, p.hT, p.cT, cache, p.x, p.h0, p.c0, p.w, p.dims),
      backward: (p, dx, dh0, dc0, grads, dy, dyMode, dhT, dcT) =>
        lstmBackward(dx, dh0, dc0, grads, work, cache, p.x, p.w, dy, dyMode, dhT, dcT, p.dims),
    };
  }
  if (kind === 'gru' || kind === 'gru-reset-before') {
    const resetAfter = kind === 'gru';
    const cache = allocateGruCache(dims, allocate);
    const work = allocateGruWorkspace(dims, allocate);
    return {
      forward: (p) => gruForward(p.y, p.hT, cache, p.x, p.h0, p.w, p.dims, resetAfter),
      backward: (p, dx, dh0, _dc0, grads, dy, dyMode, dhT) =>
        gruBackward(dx, dh0, grads, work, cache, p.x, p.w, dy, dyMode, dhT, p.dims, resetAfter),
    };
  }
  const activation = kind === 'rnn-relu' ? 'relu' : 'tanh';
  const cache = allocateRnnCache(dims, allocate);
  const work = allocateRnnWorkspace(dims, allocate);
  return {
    forward: (p) => rnnForward(p.y, p.hT, cache, p.x, p.h0, p.w, p.dims, activation),
    backward: (p, dx, dh0, _dc0, grads, dy, dyMode, dhT) =>
      rnnBackward(dx, dh0, grads, work, cache, p.x, p.w, dy, dyMode, dhT, p.dims, activation),
  };
}

/**
 * SimpleRNN only: the smallest |pre-activation| over all real steps, recomputed with plain loops.
 * A relu cell is not differentiable at 0, so finite differences are only meaningful when every
 * pre-activation is further from 0 than the difference step.
 */
export function preactivationMargin(p: RecurrentProblem): number {
  const { T, B, I, H, reverse, lengths } = p.dims;
  const { wIh, wHh, bIh, bHh } = p.w;
  let margin = Number.POSITIVE_INFINITY;
  for (let b = 0; b < B; b++) {
    const h = Array.from(p.h0.subarray(b * H, (b + 1) * H));
    const steps = lengths === null ? T : lengths[b];
    for (let s = 0; s < steps; s++) {
      const t = reverse ? steps - 1 - s : s;
      const next = new Array<number>(H);
      for (let g = 0; g < H; g++) {
        let pre = bIh[g] + bHh[g];
        for (let i = 0; i < I; i++) pre += wIh[g * I + i] * p.x[(t * B + b) * I + i];
        for (let k = 0; k < H; k++) pre += wHh[g * H + k] * h[k];
        margin = Math.min(margin, Math.abs(pre));
        next[g] = p.kind === 'rnn-relu' ? Math.max(pre, 0) : Math.tanh(pre);
      }
      h.splice(0, H, ...next);
    }
  }
  return margin;
}
