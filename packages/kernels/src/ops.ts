// The primitives the recurrent and dense kernels are built from, as one swappable object: the
// orchestration (time loop, padding, accumulation order) is written once in lstm.ts, gru.ts,
// rnn.ts and dense.ts over these ops, and each backend supplies its own. `referenceOps`
// (reference.ts) are the readable TypeScript cells of cells/ (the oracle); src/wasm/kernels.ts
// supplies WebAssembly SIMD ones.
//
// Cell ops take the reference cells' buffers (shapes in cells/*.ts) and one step
// t; they handle that step's padded rows themselves (Note [time-major sequences]).
import type { GruCache, GruWorkspace } from './cells/gru-cell.js';
import type { LstmCache, LstmWorkspace } from './cells/lstm-cell.js';
import type { SequenceDims } from './sequence.js';

/** The gemm signature (gemm.ts): C = alpha·op(A)·op(B) + beta·C, row-major, leading dimensions. */
export type GemmFunction = (
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
  alpha?: number,
  beta?: number,
  lda?: number,
  ldb?: number,
  ldc?: number,
) => void;

export interface KernelOps {
  gemm: GemmFunction;
  /** pre (rows, G) += bIh + bHh over columns [0, hhEnd), += bIh past it. */
  addBiasRows(
    pre: Float32Array,
    bIh: Float32Array,
    bHh: Float32Array,
    rows: number,
    G: number,
    hhEnd: number,
  ): void;
  /** db (G) += column sums of d (rows, G). */
  addColumnSums(db: Float32Array, d: Float32Array, rows: number, G: number): void;
  lstmCellForward(
    y: Float32Array,
    hT: Float32Array,
    cT: Float32Array,
    cache: LstmCache,
    t: number,
    dims: SequenceDims,
  ): void;
  lstmCellBackward(
    work: LstmWorkspace,
    cache: LstmCache,
    dy: Float32Array | null,
    t: number,
    dims: SequenceDims,
  ): void;
  /** GRU with the reset gate after the product (PyTorch); the reset-before cells stay TypeScript. */
  gruCellForward(
    y: Float32Array,
    hT: Float32Array,
    cache: GruCache,
    bHh: Float32Array,
    t: number,
    dims: SequenceDims,
  ): void;
  gruCellBackward(
    work: GruWorkspace,
    cache: GruCache,
    dy: Float32Array | null,
    t: number,
    dims: SequenceDims,
  ): void;
  rnnCellForward(
    y: Float32Array,
    hT: Float32Array,
    gates: Float32Array,
    t: number,
    dims: SequenceDims,
    relu: boolean,
  ): void;
}
