// The TypeScript reference primitives (ops.ts) that lstm.ts, gru.ts, rnn.ts and dense.ts use by
// default: the tuned plain-TypeScript gemm and the readable cell loops. They accept views on any
// buffer (ArrayBuffer, SharedArrayBuffer, a WebAssembly.Memory's buffer).
import { gemm } from './gemm.js';
import { gruCellBackwardResetAfter, gruCellForward } from './gru.js';
import { lstmCellBackward, lstmCellForward } from './lstm.js';
import type { KernelOps } from './ops.js';
import { addBiasRows, addColumnSums } from './recurrent-steps.js';
import { rnnCellForward } from './rnn.js';

export const referenceOps: KernelOps = {
  gemm,
  addBiasRows,
  addColumnSums,
  lstmCellForward,
  lstmCellBackward,
  gruCellForward: (y, hT, cache, bHh, t, dims) => gruCellForward(y, hT, cache, bHh, t, dims, true),
  gruCellBackward: gruCellBackwardResetAfter,
  rnnCellForward,
};
