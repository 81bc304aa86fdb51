// Argument checks of the portable backends: 'ts' and 'wasm' check every call's views and
// dimensions before any work, as the native addon does (native/src/args.h), with the same codes
// and the same required lengths, so that a wrong call fails the same way on every backend.
// Without them the TypeScript reference read `undefined` past a short view (NaN results) and
// dropped writes past it (silently wrong outputs), and the wasm kernels wrote past a short view
// into whatever the kernel memory held next (another layer's buffers).
//
//   ERR_KERNELS_BAD_ARGUMENT    a view of the wrong type (or none where one is needed), a
//                               dimension that is not a non-negative integer, a flag that is
//                               not a boolean, an option that is not a number, an embedding id
//                               or a label outside [0, rows)
//   ERR_KERNELS_VIEW_TOO_SHORT  a view shorter than the call's dimensions need
//
// A view may be longer than needed (the arena's buffers are sized for the largest batch).
import type { KernelBackend } from './backend.js';
import { KernelsError, KernelsErrorCode } from './errors.js';
import type { DyMode, RecurrentGrads, RecurrentWeights, SequenceDims } from './sequence.js';

type View = Float32Array | Int32Array;

/** One call's checks; `who` names the backend in messages ('ts kernels: y must be …'). */
class Check {
  constructor(private readonly who: string) {}

  fail(code: KernelsErrorCode, name: string, expected: string): never {
    throw new KernelsError(code, `${this.who} kernels: ${name} must be ${expected}`);
  }

  count(name: string, v: unknown): number {
    if (typeof v !== 'number') this.fail(KernelsErrorCode.BAD_ARGUMENT, name, 'a number');
    if (!Number.isInteger(v) || v < 0)
      this.fail(KernelsErrorCode.BAD_ARGUMENT, name, 'a non-negative integer');
    return v;
  }

  number(name: string, v: unknown): void {
    if (typeof v !== 'number') this.fail(KernelsErrorCode.BAD_ARGUMENT, name, 'a number');
  }

  flag(name: string, v: unknown): void {
    if (typeof v !== 'boolean') this.fail(KernelsErrorCode.BAD_ARGUMENT, name, 'a boolean');
  }

  f32(name: string, v: unknown, need: number, nullable = false): void {
    this.view(name, v, need, nullable, Float32Array, 'a Float32Array');
  }

  i32(name: string, v: unknown, need: number, nullable = false): void {
    this.view(name, v, need, nullable, Int32Array, 'an Int32Array');
  }

  /** ids[0, N) each in [0, rows): the first that is not is named. */
  inRange(name: string, ids: Int32Array, N: number, rows: number): void {
    for (let n = 0; n < N; n++) {
      if (ids[n] >= 0 && ids[n] < rows) continue;
      this.fail(KernelsErrorCode.BAD_ARGUMENT, name, `in [0, ${rows}) (element ${n} is ${ids[n]})`);
    }
  }

  private view(
    name: string,
    v: unknown,
    need: number,
    nullable: boolean,
    type: typeof Float32Array | typeof Int32Array,
    what: string,
  ): void {
    if (nullable && (v === null || v === undefined)) return;
    if (!(v instanceof type)) this.fail(KernelsErrorCode.BAD_ARGUMENT, name, what);
    const length = (v as View).length;
    if (length < need)
      this.fail(KernelsErrorCode.VIEW_TOO_SHORT, name, `at least ${need} elements, got ${length}`);
  }
}

/** Sizes of one recurrent call: (T, B, H) steps, (B, H) states, (T, B, I) input, G gate rows. */
interface Sizes {
  steps: number;
  state: number;
  input: number;
  G: number;
  I: number;
  H: number;
}

/** One record, refilled by every recurrent call's checks (no allocation per call). */
const sizes: Sizes = { steps: 0, state: 0, input: 0, G: 0, I: 0, H: 0 };

function recurrentSizes(c: Check, dims: SequenceDims, gatesPerUnit: number): Sizes {
  if (typeof dims !== 'object' || dims === null) c.fail(KernelsErrorCode.BAD_ARGUMENT, 'dims', 'an object');
  const T = c.count('T', dims.T);
  const B = c.count('B', dims.B);
  const I = c.count('I', dims.I);
  const H = c.count('H', dims.H);
  c.flag('reverse', dims.reverse);
  c.i32('lengths', dims.lengths, B, true);
  sizes.steps = T * B * H;
  sizes.state = B * H;
  sizes.input = T * B * I;
  sizes.G = gatesPerUnit * H;
  sizes.I = I;
  sizes.H = H;
  return sizes;
}

function weights(c: Check, w: RecurrentWeights, s: Sizes): void {
  c.f32('wIh', w?.wIh, s.G * s.I);
  c.f32('wHh', w?.wHh, s.G * s.H);
  c.f32('bIh', w?.bIh, s.G);
  c.f32('bHh', w?.bHh, s.G);
}

function inputGrads(c: Check, dx: unknown, dh0: unknown, g: RecurrentGrads, s: Sizes): void {
  c.f32('dx', dx, s.input, true);
  c.f32('dh0', dh0, s.state, true);
  c.f32('dWIh', g?.dWIh, s.G * s.I);
  c.f32('dWHh', g?.dWHh, s.G * s.H);
  c.f32('dBIh', g?.dBIh, s.G);
  c.f32('dBHh', g?.dBHh, s.G);
}

function outputGrads(c: Check, dy: unknown, dyMode: DyMode, dhT: unknown, s: Sizes): void {
  if (dyMode !== 'all' && dyMode !== 'last')
    c.fail(KernelsErrorCode.BAD_ARGUMENT, 'dyMode', "'all' or 'last'");
  c.f32('dy', dy, dyMode === 'last' ? s.state : s.steps, true);
  c.f32('dhT', dhT, s.state, true);
}

// The optimizers' numeric options, checked by name.
const SGD_NUMBERS = ['lr', 'momentum', 'dampening', 'weightDecay'] as const;
const ADAM_NUMBERS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay'] as const;
const RMSPROP_NUMBERS = ['lr', 'alpha', 'eps', 'weightDecay', 'momentum'] as const;

/** `inner` with every call checked first (`who` names it in messages); nothing allocated per call. */
export function checkedKernels(inner: KernelBackend, who: string): KernelBackend {
  const c = new Check(who);
  return {
    ...inner,
    gemm: (C, A, B, M, N, K, transA, transB, alpha = 1, beta = 0, lda, ldb, ldc) => {
      c.count('M', M);
      c.count('N', N);
      c.count('K', K);
      c.flag('transA', transA);
      c.flag('transB', transB);
      c.number('alpha', alpha);
      c.number('beta', beta);
      const la = c.count('lda', lda ?? (transA ? M : K));
      const lb = c.count('ldb', ldb ?? (transB ? K : N));
      const lc = c.count('ldc', ldc ?? N);
      const empty = M === 0 || N === 0;
      const noDepth = empty || K === 0;
      c.f32('C', C, empty ? 0 : (M - 1) * lc + N);
      c.f32('A', A, noDepth ? 0 : transA ? (K - 1) * la + M : (M - 1) * la + K);
      c.f32('B', B, noDepth ? 0 : transB ? (N - 1) * lb + K : (K - 1) * lb + N);
      inner.gemm(C, A, B, M, N, K, transA, transB, alpha, beta, lda, ldb, ldc);
    },
    denseForward: (y, x, w, b, N, In, O) => {
      c.count('N', N);
      c.count('In', In);
      c.count('O', O);
      c.f32('y', y, N * O);
      c.f32('x', x, N * In);
      c.f32('w', w, O * In);
      c.f32('b', b, O, true);
      inner.denseForward(y, x, w, b, N, In, O);
    },
    denseBackward: (dx, dw, db, x, w, dy, N, In, O) => {
      c.count('N', N);
      c.count('In', In);
      c.count('O', O);
      c.f32('dx', dx, N * In, true);
      c.f32('dw', dw, O * In);
      c.f32('db', db, O, true);
      c.f32('x', x, N * In);
      c.f32('w', w, O * In);
      c.f32('dy', dy, N * O);
      inner.denseBackward(dx, dw, db, x, w, dy, N, In, O);
    },
    lstmForward: (y, hT, cT, cache, x, h0, c0, w, dims) => {
      const s = recurrentSizes(c, dims, 4);
      c.f32('y', y, s.steps);
      c.f32('hT', hT, s.state);
      c.f32('cT', cT, s.state);
      views(c, 'cache', cache, LSTM_CACHE, s);
      c.f32('x', x, s.input);
      c.f32('h0', h0, s.state, true);
      c.f32('c0', c0, s.state, true);
      weights(c, w, s);
      inner.lstmForward(y, hT, cT, cache, x, h0, c0, w, dims);
    },
    lstmBackward: (dx, dh0, dc0, g, work, cache, x, w, dy, dyMode, dhT, dcT, dims) => {
      const s = recurrentSizes(c, dims, 4);
      inputGrads(c, dx, dh0, g, s);
      c.f32('dc0', dc0, s.state, true);
      views(c, 'work', work, LSTM_WORK, s);
      views(c, 'cache', cache, LSTM_CACHE, s);
      c.f32('x', x, s.input);
      weights(c, w, s);
      outputGrads(c, dy, dyMode, dhT, s);
      c.f32('dcT', dcT, s.state, true);
      inner.lstmBackward(dx, dh0, dc0, g, work, cache, x, w, dy, dyMode, dhT, dcT, dims);
    },
    gruForward: (y, hT, cache, x, h0, w, dims, resetAfter) => {
      const s = recurrentSizes(c, dims, 3);
      c.flag('resetAfter', resetAfter);
      c.f32('y', y, s.steps);
      c.f32('hT', hT, s.state);
      views(c, 'cache', cache, GRU_CACHE, s);
      c.f32('cache.hProj', cache.hProj, s.state * 3);
      c.f32('x', x, s.input);
      c.f32('h0', h0, s.state, true);
      weights(c, w, s);
      inner.gruForward(y, hT, cache, x, h0, w, dims, resetAfter);
    },
    gruBackward: (dx, dh0, g, work, cache, x, w, dy, dyMode, dhT, dims, resetAfter) => {
      const s = recurrentSizes(c, dims, 3);
      c.flag('resetAfter', resetAfter);
      inputGrads(c, dx, dh0, g, s);
      views(c, 'work', work, GRU_WORK, s);
      views(c, 'cache', cache, GRU_CACHE, s);
      c.f32('x', x, s.input);
      weights(c, w, s);
      outputGrads(c, dy, dyMode, dhT, s);
      inner.gruBackward(dx, dh0, g, work, cache, x, w, dy, dyMode, dhT, dims, resetAfter);
    },
    rnnForward: (y, hT, cache, x, h0, w, dims, activation) => {
      const s = recurrentSizes(c, dims, 1);
      rnnActivation(c, activation);
      c.f32('y', y, s.steps);
      c.f32('hT', hT, s.state);
      views(c, 'cache', cache, RNN_CACHE, s);
      c.f32('x', x, s.input);
      c.f32('h0', h0, s.state, true);
      weights(c, w, s);
      inner.rnnForward(y, hT, cache, x, h0, w, dims, activation);
    },
    rnnBackward: (dx, dh0, g, work, cache, x, w, dy, dyMode, dhT, dims, activation) => {
      const s = recurrentSizes(c, dims, 1);
      rnnActivation(c, activation);
      inputGrads(c, dx, dh0, g, s);
      views(c, 'work', work, RNN_WORK, s);
      views(c, 'cache', cache, RNN_CACHE, s);
      c.f32('x', x, s.input);
      weights(c, w, s);
      outputGrads(c, dy, dyMode, dhT, s);
      inner.rnnBackward(dx, dh0, g, work, cache, x, w, dy, dyMode, dhT, dims, activation);
    },
    sgdUpdate: (params, buf, grads, start, end, step, o) => {
      const n = range(c, start, end);
      for (const k of SGD_NUMBERS) c.number(k, o?.[k]);
      c.flag('nesterov', o.nesterov);
      c.f32('params', params, n);
      c.f32('momentumBuf', buf, n, o.momentum === 0);
      c.f32('grads', grads, n);
      inner.sgdUpdate(params, buf, grads, start, end, step, o);
    },
    adamUpdate: (params, m, v, grads, start, end, step, o) => {
      adamChecks(c, params, m, v, grads, start, end, o);
      inner.adamUpdate(params, m, v, grads, start, end, step, o);
    },
    adamwUpdate: (params, m, v, grads, start, end, step, o) => {
      adamChecks(c, params, m, v, grads, start, end, o);
      inner.adamwUpdate(params, m, v, grads, start, end, step, o);
    },
    rmspropUpdate: (params, squareAvg, gradAvg, buf, grads, start, end, step, o) => {
      const n = range(c, start, end);
      for (const k of RMSPROP_NUMBERS) c.number(k, o?.[k]);
      c.flag('centered', o.centered);
      c.f32('params', params, n);
      c.f32('squareAvg', squareAvg, n);
      c.f32('gradAvg', gradAvg, n, !o.centered);
      c.f32('momentumBuf', buf, n, !(o.momentum > 0));
      c.f32('grads', grads, n);
      inner.rmspropUpdate(params, squareAvg, gradAvg, buf, grads, start, end, step, o);
    },
    reduceSlots: (slots, start, end, count) => {
      const n = range(c, start, end);
      c.number('count', count);
      if (!Array.isArray(slots) || slots.length === 0)
        c.fail(KernelsErrorCode.BAD_ARGUMENT, 'slots', 'a non-empty Array of Float32Arrays');
      for (const slot of slots) c.f32('slots[r]', slot, n);
      return inner.reduceSlots(slots, start, end, count);
    },
    mseLoss: (dPred, pred, target, mask, N, D, reduction) => {
      c.count('N', N);
      c.count('D', D);
      c.f32('dPred', dPred, N * D, true);
      c.f32('pred', pred, N * D);
      c.f32('target', target, N * D);
      c.f32('mask', mask, N, true);
      return inner.mseLoss(dPred, pred, target, mask, N, D, reduction);
    },
    softmaxCrossEntropy: (dLogits, logits, target, mask, N, V, reduction) => {
      crossEntropyChecks(c, dLogits, logits, mask, N, V);
      c.f32('target', target, N * V);
      return inner.softmaxCrossEntropy(dLogits, logits, target, mask, N, V, reduction);
    },
    sparseSoftmaxCrossEntropy: (dLogits, logits, labels, mask, N, V, reduction) => {
      crossEntropyChecks(c, dLogits, logits, mask, N, V);
      c.i32('labels', labels, N);
      if (N > 0) c.inRange('labels', labels, N, V);
      return inner.sparseSoftmaxCrossEntropy(dLogits, logits, labels, mask, N, V, reduction);
    },
    embeddingForward: (y, ids, table, N, D) => {
      c.count('N', N);
      c.count('D', D);
      c.f32('y', y, N * D);
      c.i32('ids', ids, N);
      c.f32('table', table, D === 0 ? 0 : 1);
      if (D > 0) c.inRange('ids', ids, N, Math.floor(table.length / D));
      inner.embeddingForward(y, ids, table, N, D);
    },
    embeddingBackward: (dTable, ids, dy, N, D) => {
      c.count('N', N);
      c.count('D', D);
      c.f32('dTable', dTable, D === 0 ? 0 : 1);
      c.i32('ids', ids, N);
      c.f32('dy', dy, N * D);
      if (D > 0) c.inRange('ids', ids, N, Math.floor(dTable.length / D));
      inner.embeddingBackward(dTable, ids, dy, N, D);
    },
    transposeBatchTime: (out, x, B, T, F) => {
      const n = c.count('B', B) * c.count('T', T) * c.count('F', F);
      c.f32('out', out, n);
      c.f32('x', x, n);
      inner.transposeBatchTime(out, x, B, T, F);
    },
  };
}

/**
 * A cache's or a workspace's views: [argument name, field, floats per (T, B, H) step value,
 * floats per (B, H) state value] (cells/*-cell.ts: LstmCache, GruWorkspace, …).
 */
type Views = readonly (readonly [string, string, number, number])[];

const LSTM_CACHE: Views = [
  ['cache.gates', 'gates', 4, 0],
  ['cache.hPrev', 'hPrev', 1, 0],
  ['cache.cPrev', 'cPrev', 1, 0],
  ['cache.tanhC', 'tanhC', 1, 0],
];
const LSTM_WORK: Views = [
  ['work.dGates', 'dGates', 4, 0],
  ['work.dh', 'dh', 0, 1],
  ['work.dc', 'dc', 0, 1],
  ['work.dhNext', 'dhNext', 0, 1],
];
const GRU_CACHE: Views = [
  ['cache.gates', 'gates', 3, 0],
  ['cache.hPrev', 'hPrev', 1, 0],
  ['cache.hn', 'hn', 1, 0],
];
const GRU_WORK: Views = [
  ['work.dGatesX', 'dGatesX', 3, 0],
  ['work.dGatesH', 'dGatesH', 3, 0],
  ['work.dh', 'dh', 0, 1],
  ['work.dhNext', 'dhNext', 0, 1],
  ['work.dRh', 'dRh', 0, 1],
];
const RNN_CACHE: Views = [
  ['cache.gates', 'gates', 1, 0],
  ['cache.hPrev', 'hPrev', 1, 0],
];
const RNN_WORK: Views = [
  ['work.dGates', 'dGates', 1, 0],
  ['work.dh', 'dh', 0, 1],
  ['work.dhNext', 'dhNext', 0, 1],
];

/** Each view of `holder` (a cache or a workspace, `what`) in `table`, with at least its length. */
function views(c: Check, what: string, holder: unknown, table: Views, s: Sizes): void {
  if (typeof holder !== 'object' || holder === null) c.fail(KernelsErrorCode.BAD_ARGUMENT, what, 'an object');
  const named = holder as Record<string, unknown>;
  for (const [name, field, perStep, perState] of table)
    c.f32(name, named[field], perStep * s.steps + perState * s.state);
}

function rnnActivation(c: Check, activation: unknown): void {
  if (activation !== 'tanh' && activation !== 'relu')
    c.fail(KernelsErrorCode.BAD_ARGUMENT, 'activation', "'tanh' or 'relu'");
}

/** start and end: non-negative integers; the views need `end` elements. */
function range(c: Check, start: number, end: number): number {
  c.count('start', start);
  return c.count('end', end);
}

function adamChecks(
  c: Check,
  params: unknown,
  m: unknown,
  v: unknown,
  grads: unknown,
  start: number,
  end: number,
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number },
): void {
  const n = range(c, start, end);
  for (const k of ADAM_NUMBERS) c.number(k, o?.[k]);
  c.f32('params', params, n);
  c.f32('m', m, n);
  c.f32('v', v, n);
  c.f32('grads', grads, n);
}

function crossEntropyChecks(
  c: Check,
  dLogits: unknown,
  logits: unknown,
  mask: unknown,
  N: number,
  V: number,
): void {
  c.count('N', N);
  c.count('V', V);
  c.f32('dLogits', dLogits, N * V, true);
  c.f32('logits', logits, N * V);
  c.f32('mask', mask, N, true);
  if (N > 0 && V === 0) c.fail(KernelsErrorCode.BAD_ARGUMENT, 'V', 'at least 1');
}
