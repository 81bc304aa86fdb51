// The native backend: the reference signatures (backend.ts) over the addon's calls (addon.ts).
// Each layer's forward or backward over all T steps is one native call; views go in place, of
// any buffer (ArrayBuffer, SharedArrayBuffer, a shared WebAssembly.Memory's), nothing is
// copied and nothing allocated per call (plain argument lists: no arrays, no spreads). Bias corrections of Adam are computed here, as the
// reference does, so the update is bit for bit the reference's.
import type { KernelBackend } from '../backend.js';
import { maskWeight, type Reduction, reductionScale } from '../losses.js';
import type { GemmFunction } from '../ops.js';
import type { AdamOptions } from '../optim.js';
import { nativeScratchPlan } from '../scratch.js';
import { transposeBatchTime } from '../sequence.js';
import type { NativeAddon } from './addon.js';

/** The native KernelBackend over a loaded addon running `isa`. */
export function nativeBackend(x: NativeAddon, isa: string): KernelBackend {
  const gemm: GemmFunction = (c, a, b, M, N, K, transA, transB, alpha = 1, beta = 0, lda, ldb, ldc) =>
    x.gemm(
      M,
      N,
      K,
      transA,
      transB,
      alpha,
      beta,
      lda ?? (transA ? M : K),
      ldb ?? (transB ? K : N),
      ldc ?? N,
      c,
      a,
      b,
    );
  /** Adam (l2: coupled weight decay) and AdamW (shrink: decoupled), as the reference's adamLoop. */
  const adam = (
    params: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grads: Float32Array,
    start: number,
    end: number,
    step: number,
    o: AdamOptions,
    l2: number,
    shrink: number,
  ) =>
    x.adamUpdate(
      start,
      end,
      o.lr / (1 - o.beta1 ** step),
      Math.sqrt(1 - o.beta2 ** step),
      o.beta1,
      o.beta2,
      o.eps,
      l2,
      shrink,
      params,
      m,
      v,
      grads,
    );
  /** Both cross entropies: one native call, `sparse` when the targets are labels. */
  const crossEntropy = (
    sparse: boolean,
    dLogits: Float32Array | null,
    logits: Float32Array,
    target: Float32Array | Int32Array,
    mask: Float32Array | null,
    N: number,
    V: number,
    reduction: Reduction,
  ) => {
    const scale = reductionScale(reduction, maskWeight(mask, N));
    return x.softmaxCrossEntropy(N, V, scale, sparse, dLogits, logits, target, mask);
  };
  return {
    name: 'native',
    isa,
    gemm,
    mseLoss: (dPred, pred, target, mask, N, D, reduction) =>
      x.mseLoss(N, D, reductionScale(reduction, maskWeight(mask, N) * D), dPred, pred, target, mask),
    softmaxCrossEntropy: (dLogits, logits, target, mask, N, V, reduction) =>
      crossEntropy(false, dLogits, logits, target, mask, N, V, reduction),
    sparseSoftmaxCrossEntropy: (dLogits, logits, labels, mask, N, V, reduction) =>
      crossEntropy(true, dLogits, logits, labels, mask, N, V, reduction),
    embeddingForward: (y, ids, table, N, D) => x.embeddingForward(N, D, y, ids, table),
    embeddingBackward: (dTable, ids, dy, N, D) => x.embeddingBackward(N, D, dTable, ids, dy),
    // an addon built before transposeBatchTime existed (RECUR_NATIVE_ADDON=<older build>): the reference
    transposeBatchTime:
      typeof x.transposeBatchTime === 'function'
        ? (out, xs, B, T, F) => x.transposeBatchTime(B, T, F, out, xs)
        : transposeBatchTime,
    denseForward: (y, xs, w, b, N, In, O) => x.denseForward(N, In, O, y, xs, w, b),
    denseBackward: (dx, dw, db, xs, w, dy, N, In, O) => x.denseBackward(N, In, O, dx, dw, db, xs, w, dy),
    lstmForward: (y, hT, cT, cache, xs, h0, c0, w, d) =>
      x.lstmForward(
        d.T,
        d.B,
        d.I,
        d.H,
        d.reverse,
        false,
        d.lengths,
        y,
        hT,
        cT,
        cache.gates,
        cache.hPrev,
        cache.cPrev,
        cache.tanhC,
        xs,
        h0,
        c0,
        w.wIh,
        w.wHh,
        w.bIh,
        w.bHh,
      ),
    lstmBackward: (dx, dh0, dc0, g, work, cache, xs, w, dy, dyMode, dhT, dcT, d) =>
      x.lstmBackward(
        d.T,
        d.B,
        d.I,
        d.H,
        d.reverse,
        false,
        d.lengths,
        dx,
        dh0,
        g.dWIh,
        g.dWHh,
        g.dBIh,
        g.dBHh,
        dc0,
        work.dGates,
        work.dh,
        work.dc,
        work.dhNext,
        cache.gates,
        cache.hPrev,
        cache.cPrev,
        cache.tanhC,
        xs,
        w.wIh,
        w.wHh,
        w.bIh,
        w.bHh,
        dyMode === 'last',
        dy,
        dhT,
        dcT,
      ),
    gruForward: (y, hT, cache, xs, h0, w, d, resetAfter) =>
      x.gruForward(
        d.T,
        d.B,
        d.I,
        d.H,
        d.reverse,
        resetAfter,
        d.lengths,
        y,
        hT,
        cache.gates,
        cache.hPrev,
        cache.hn,
        cache.hProj,
        xs,
        h0,
        w.wIh,
        w.wHh,
        w.bIh,
        w.bHh,
      ),
    gruBackward: (dx, dh0, g, work, cache, xs, w, dy, dyMode, dhT, d, resetAfter) =>
      x.gruBackward(
        d.T,
        d.B,
        d.I,
        d.H,
        d.reverse,
        resetAfter,
        d.lengths,
        dx,
        dh0,
        g.dWIh,
        g.dWHh,
        g.dBIh,
        g.dBHh,
        work.dGatesX,
        work.dGatesH,
        work.dh,
        work.dhNext,
        work.dRh,
        cache.gates,
        cache.hPrev,
        cache.hn,
        xs,
        w.wIh,
        w.wHh,
        w.bIh,
        w.bHh,
        dyMode === 'last',
        dy,
        dhT,
      ),
    rnnForward: (y, hT, cache, xs, h0, w, d, activation) =>
      x.rnnForward(
        d.T,
        d.B,
        d.I,
        d.H,
        d.reverse,
        activation === 'relu',
        d.lengths,
        y,
        hT,
        cache.gates,
        cache.hPrev,
        xs,
        h0,
        w.wIh,
        w.wHh,
        w.bIh,
        w.bHh,
      ),
    rnnBackward: (dx, dh0, g, work, cache, xs, w, dy, dyMode, dhT, d, activation) =>
      x.rnnBackward(
        d.T,
        d.B,
        d.I,
        d.H,
        d.reverse,
        activation === 'relu',
        d.lengths,
        dx,
        dh0,
        g.dWIh,
        g.dWHh,
        g.dBIh,
        g.dBHh,
        work.dGates,
        work.dh,
        work.dhNext,
        cache.gates,
        cache.hPrev,
        xs,
        w.wIh,
        w.wHh,
        w.bIh,
        w.bHh,
        dyMode === 'last',
        dy,
        dhT,
      ),
    sgdUpdate: (params, buf, grads, start, end, step, o) =>
      x.sgdUpdate(
        start,
        end,
        step === 1,
        o.lr,
        o.momentum,
        o.dampening,
        o.nesterov,
        o.weightDecay,
        params,
        buf,
        grads,
      ),
    adamUpdate: (params, m, v, grads, start, end, step, o) =>
      adam(params, m, v, grads, start, end, step, o, o.weightDecay, 1),
    adamwUpdate: (params, m, v, grads, start, end, step, o) =>
      adam(params, m, v, grads, start, end, step, o, 0, 1 - o.lr * o.weightDecay),
    rmspropUpdate: (params, squareAvg, gradAvg, buf, grads, start, end, _step, o) =>
      x.rmspropUpdate(
        start,
        end,
        o.lr,
        o.alpha,
        o.eps,
        o.weightDecay,
        o.momentum,
        params,
        squareAvg,
        o.centered ? gradAvg : null,
        o.momentum > 0 ? buf : null,
        grads,
      ),
    reduceSlots: (slots, start, end, count) => x.reduceSlots(start, end, count, slots),
    scratchPlan: (layers) => nativeScratchPlan(x, layers),
    bindScratch: (region, plan) => {
      if (typeof x.bindScratch !== 'function') return; // an older build (RECUR_NATIVE_ADDON)
      if (region === null || plan.floats === 0) x.bindScratch(0, 0, 0, null);
      else x.bindScratch(plan.gemm, plan.weights, plan.row, region);
    },
  };
}
