// Kernel scratch in the caller's arena: what a backend's calls need beyond their arguments (the
// native backend's packed panels and weights, a loss row), sized once per model and bound per
// thread (Note [scratch in the arena] in native/src/kernels.h). @recur/nn asks `scratchPlan` for
// a model's weight matrices, gives every rank's workspace a region of `floats`, and binds it with
// `bindScratch` at each forward. The TypeScript reference needs no scratch; the wasm backend keeps
// its own slots in its kernel memory (one per thread): both plan nothing and bind nothing.
import type { NativeAddon } from './native/addon.js';

/** A weight matrix (rows, cols) that a layer's kernel calls multiply by. */
export type MatrixShape = readonly [rows: number, cols: number];

/** Floats of each scratch part, and of the region that holds them (with alignment slack). */
export interface ScratchPlan {
  /** gemm's packing of op(B) */
  readonly gemm: number;
  /** a recurrent call's packed weights */
  readonly weights: number;
  /** a loss row of exponentials */
  readonly row: number;
  /** the region's length: the parts, each rounded to a cache line, and a line of slack to align the first */
  readonly floats: number;
}

export const NO_SCRATCH: ScratchPlan = { gemm: 0, weights: 0, row: 0, floats: 0 };

/** scratchPlan and bindScratch of a backend without scratch in the arena (ts: none; wasm: its kernel memory's slots). */
export const noScratch = {
  scratchPlan: (): ScratchPlan => NO_SCRATCH,
  bindScratch: (): void => {},
};

/** Floats in a cache line: each part starts on one (addon.cc's bindScratch). */
const LINE_FLOATS = 16;
const toLine = (n: number): number => Math.ceil(n / LINE_FLOATS) * LINE_FLOATS;

/**
 * The native backend's plan for a model whose layers multiply by `layers[i]`'s matrices: gemm
 * packing for products no wider than the widest matrix dimension, the largest layer's packed
 * weights (every matrix of the layer packed at once, either way), a row as wide as the widest
 * dimension (a loss's classes are a dense layer's or a recurrent layer's width).
 */
export function nativeScratchPlan(x: NativeAddon, layers: readonly (readonly MatrixShape[])[]): ScratchPlan {
  if (typeof x.bindScratch !== 'function') return NO_SCRATCH; // an older build (RECUR_NATIVE_ADDON)
  let widest = 0;
  let weights = 0;
  for (const matrices of layers) {
    let layerWeights = 0;
    for (const [rows, cols] of matrices) {
      widest = Math.max(widest, rows, cols);
      layerWeights += x.packedBoundFloats(rows, cols);
    }
    weights = Math.max(weights, layerWeights);
  }
  if (widest === 0) return NO_SCRATCH;
  const gemm = x.gemmScratchFloats(widest);
  const row = widest;
  return { gemm, weights, row, floats: toLine(gemm) + toLine(weights) + toLine(row) + LINE_FLOATS };
}
