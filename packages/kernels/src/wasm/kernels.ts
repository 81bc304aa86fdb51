// The WebAssembly SIMD backend bound to one memory: the same signatures as the TypeScript
// kernels, for views that lie in that memory (`view.buffer === memory.buffer`); each view
// becomes its byte offset. A view anywhere else is ERR_KERNELS_FOREIGN_VIEW (views below the
// module's heap base too: they would overwrite its static data).
//
// What runs in WebAssembly: gemm (all transposes), the input-projection bias and the bias
// gradients' column sums, the LSTM cell, the GRU cell with the reset gate after the product
// (PyTorch's GRU), the SimpleRNN forward cell, Adam/AdamW and SGD. What stays the TypeScript
// reference, on the same views: the time loops themselves, the GRU reset-before cells, the
// SimpleRNN backward cell and RMSprop (cheap next to the products). One instance per thread: the
// pack buffers sit in the scratch slot it was given (module.ts).

import type { KernelBackend } from '../backend.js';
import { denseBackwardWith, denseForwardWith } from '../dense.js';
import { embeddingBackward, embeddingForward } from '../embedding.js';
import { KernelsError, KernelsErrorCode } from '../errors.js';
import { gruBackwardWith, gruForwardWith } from '../gru.js';
import { mseLoss, softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from '../losses.js';
import { lstmBackwardWith, lstmForwardWith } from '../lstm.js';
import type { GemmFunction, KernelOps } from '../ops.js';
import { type AdamOptions, rmspropUpdate, type SgdOptions } from '../optim.js';
import { RealRuns, zeroPaddedRows } from '../real-runs.js';
import { reduceSlots } from '../reduce.js';
import { rnnBackwardWith, rnnForwardWith } from '../rnn.js';
import { noScratch } from '../scratch.js';
import { transposeBatchTime } from '../sequence.js';
import { instantiate, type KernelExports, kernelMemoryLayout, wasmApi } from './module.js';
import type { WasmMemory } from './webassembly-types.js';

export class WasmKernels implements KernelBackend {
  readonly name = 'wasm' as const;
  readonly isa = 'simd128';
  /** the memory's buffer, taken once (the memory never grows) */
  readonly buffer: ArrayBufferLike;
  /** the lowest byte offset a view may start at (the module's heap base) */
  private readonly floor: number;
  private readonly x: KernelExports;
  readonly ops: KernelOps;
  /** the runs of real samples of the step a cell is computing (one per instance, reused) */
  private readonly runs = new RealRuns();

  /**
   * @param memory a shared WebAssembly.Memory laid out by kernelMemoryLayout
   * @param scratch the byte offset of this instance's scratch slot
   */
  constructor(
    readonly memory: WasmMemory,
    scratch: number,
  ) {
    this.buffer = memory.buffer;
    this.x = instantiate(memory, scratch);
    this.floor = this.x.heapBase();
    this.ops = {
      gemm: this.gemm,
      addBiasRows: (pre, bIh, bHh, rows, G, hhEnd) =>
        this.x.addBiasRows(this.ptr(pre), this.ptr(bIh), this.ptr(bHh), rows, G, hhEnd),
      addColumnSums: (db, d, rows, G) => this.x.addColumnSums(this.ptr(db), this.ptr(d), rows, G),
      lstmCellForward: (y, hT, cT, cache, t, dims) => {
        const { B, H } = dims;
        const gates = this.ptr(cache.gates) + t * B * 16 * H; // (T, B, 4H) at step t
        const yRow = this.ptr(y) + t * B * 4 * H; // (T, B, H) at step t
        const tanhC = this.ptr(cache.tanhC) + t * B * 4 * H;
        const c = this.ptr(cT);
        const h = this.ptr(hT);
        zeroPaddedRows(y, t, dims, H);
        const runs = this.runs.find(dims, t);
        const { bounds } = this.runs; // read after find: it may have grown
        for (let r = 0; r < runs; r++) {
          const s = bounds[2 * r] * 4 * H; // bytes to the run's first row of a (B, H) block
          const rows = bounds[2 * r + 1] - bounds[2 * r];
          this.x.lstmCellForward(gates + 4 * s, c + s, h + s, yRow + s, tanhC + s, rows, H);
        }
      },
      lstmCellBackward: (work, cache, dy, t, dims) => {
        const { B, H } = dims;
        const dGates = this.ptr(work.dGates) + t * B * 16 * H;
        const gates = this.ptr(cache.gates) + t * B * 16 * H;
        const cPrev = this.ptr(cache.cPrev) + t * B * 4 * H;
        const tanhC = this.ptr(cache.tanhC) + t * B * 4 * H;
        const dyRow = dy === null ? 0 : this.ptr(dy) + t * B * 4 * H;
        const dh = this.ptr(work.dh);
        const dc = this.ptr(work.dc);
        zeroPaddedRows(work.dGates, t, dims, 4 * H);
        const runs = this.runs.find(dims, t);
        const { bounds } = this.runs; // read after find: it may have grown
        for (let r = 0; r < runs; r++) {
          const s = bounds[2 * r] * 4 * H;
          const rows = bounds[2 * r + 1] - bounds[2 * r];
          const d = dy === null ? 0 : dyRow + s;
          this.x.lstmCellBackward(
            dGates + 4 * s,
            dh + s,
            dc + s,
            gates + 4 * s,
            cPrev + s,
            tanhC + s,
            d,
            rows,
            H,
          );
        }
      },
      gruCellForward: (y, hT, cache, bHh, t, dims) => {
        const { B, H } = dims;
        const gates = this.ptr(cache.gates) + t * B * 12 * H; // (T, B, 3H) at step t
        const hProj = this.ptr(cache.hProj); // (B, 3H)
        const bHn = this.ptr(bHh) + 8 * H; // b_hn, the last third of (3H)
        const hn = this.ptr(cache.hn) + t * B * 4 * H;
        const yRow = this.ptr(y) + t * B * 4 * H;
        const h = this.ptr(hT);
        zeroPaddedRows(y, t, dims, H);
        const runs = this.runs.find(dims, t);
        const { bounds } = this.runs; // read after find: it may have grown
        for (let r = 0; r < runs; r++) {
          const s = bounds[2 * r] * 4 * H;
          const rows = bounds[2 * r + 1] - bounds[2 * r];
          this.x.gruCellForward(gates + 3 * s, hProj + 3 * s, bHn, hn + s, h + s, yRow + s, rows, H);
        }
      },
      gruCellBackward: (work, cache, dy, t, dims) => {
        const { B, H } = dims;
        const dX = this.ptr(work.dGatesX) + t * B * 12 * H;
        const dH = this.ptr(work.dGatesH) + t * B * 12 * H;
        const gates = this.ptr(cache.gates) + t * B * 12 * H;
        const hPrev = this.ptr(cache.hPrev) + t * B * 4 * H;
        const hn = this.ptr(cache.hn) + t * B * 4 * H;
        const dyRow = dy === null ? 0 : this.ptr(dy) + t * B * 4 * H;
        const dh = this.ptr(work.dh);
        zeroPaddedRows(work.dGatesX, t, dims, 3 * H);
        zeroPaddedRows(work.dGatesH, t, dims, 3 * H);
        const runs = this.runs.find(dims, t);
        const { bounds } = this.runs; // read after find: it may have grown
        for (let r = 0; r < runs; r++) {
          const s = bounds[2 * r] * 4 * H;
          const rows = bounds[2 * r + 1] - bounds[2 * r];
          const d = dy === null ? 0 : dyRow + s;
          this.x.gruCellBackward(
            dX + 3 * s,
            dH + 3 * s,
            dh + s,
            gates + 3 * s,
            hPrev + s,
            hn + s,
            d,
            rows,
            H,
          );
        }
      },
      rnnCellForward: (y, hT, gates, t, dims, relu) => {
        const { B, H } = dims;
        const g = this.ptr(gates) + t * B * 4 * H;
        const yRow = this.ptr(y) + t * B * 4 * H;
        const h = this.ptr(hT);
        zeroPaddedRows(y, t, dims, H);
        const runs = this.runs.find(dims, t);
        const { bounds } = this.runs; // read after find: it may have grown
        for (let r = 0; r < runs; r++) {
          const s = bounds[2 * r] * 4 * H;
          const rows = bounds[2 * r + 1] - bounds[2 * r];
          this.x.rnnCellForward(g + s, h + s, yRow + s, rows, H, relu);
        }
      },
    };
  }

  /** The byte offset of `view`, which must lie in this memory above the heap base. */
  ptr(view: Float32Array): number {
    if (view.buffer !== this.buffer) {
      throw new KernelsError(
        KernelsErrorCode.FOREIGN_VIEW,
        `wasm kernels: a Float32Array(${view.length}) does not lie in this backend's WebAssembly.Memory; allocate it from the kernel memory (createKernelMemory) or use the TypeScript backend`,
      );
    }
    if (view.byteOffset < this.floor) {
      throw new KernelsError(
        KernelsErrorCode.FOREIGN_VIEW,
        `wasm kernels: a view at byte ${view.byteOffset} lies below the module's heap base (${this.floor})`,
      );
    }
    return view.byteOffset;
  }

  /** Checks that `view` holds the last element a (rows, cols) block with row stride ld touches. */
  private extent(view: Float32Array, rows: number, cols: number, ld: number, what: string): number {
    const p = this.ptr(view);
    if ((rows - 1) * ld + cols > view.length) {
      throw new KernelsError(
        KernelsErrorCode.VIEW_TOO_SHORT,
        `wasm gemm: ${what} needs ${(rows - 1) * ld + cols} elements for (${rows}, ${cols}) with leading dimension ${ld}, but its view has ${view.length}`,
      );
    }
    return p;
  }

  readonly gemm: GemmFunction = (c, a, b, M, N, K, transA, transB, alpha = 1, beta = 0, lda, ldb, ldc) => {
    if (M <= 0 || N <= 0) return;
    const la = lda ?? (transA ? M : K);
    const lb = ldb ?? (transB ? K : N);
    const lc = ldc ?? N;
    const pc = this.extent(c, M, N, lc, 'C');
    if (K <= 0) {
      this.x.gemm(pc, 0, 0, M, N, 0, transA, transB, alpha, beta, la, lb, lc);
      return;
    }
    const pa = transA ? this.extent(a, K, M, la, 'A') : this.extent(a, M, K, la, 'A');
    const pb = transB ? this.extent(b, N, K, lb, 'B') : this.extent(b, K, N, lb, 'B');
    this.x.gemm(pc, pa, pb, M, N, K, transA, transB, alpha, beta, la, lb, lc);
  };

  readonly denseForward: KernelBackend['denseForward'] = (y, x, w, b, N, In, O) =>
    denseForwardWith(this.ops, y, x, w, b, N, In, O);
  readonly denseBackward: KernelBackend['denseBackward'] = (dx, dw, db, x, w, dy, N, In, O) =>
    denseBackwardWith(this.ops, dx, dw, db, x, w, dy, N, In, O);
  readonly rnnForward: KernelBackend['rnnForward'] = (y, hT, cache, x, h0, w, dims, activation) =>
    rnnForwardWith(this.ops, y, hT, cache, x, h0, w, dims, activation);
  readonly rnnBackward: KernelBackend['rnnBackward'] = (
    dx,
    dh0,
    grads,
    work,
    cache,
    x,
    w,
    dy,
    dyMode,
    dhT,
    dims,
    a,
  ) => rnnBackwardWith(this.ops, dx, dh0, grads, work, cache, x, w, dy, dyMode, dhT, dims, a);
  readonly lstmForward: KernelBackend['lstmForward'] = (y, hT, cT, cache, x, h0, c0, w, dims) =>
    lstmForwardWith(this.ops, y, hT, cT, cache, x, h0, c0, w, dims);
  readonly lstmBackward: KernelBackend['lstmBackward'] = (
    dx,
    dh0,
    dc0,
    g,
    work,
    cache,
    x,
    w,
    dy,
    m,
    dhT,
    dcT,
    dims,
  ) => lstmBackwardWith(this.ops, dx, dh0, dc0, g, work, cache, x, w, dy, m, dhT, dcT, dims);
  readonly gruForward: KernelBackend['gruForward'] = (y, hT, cache, x, h0, w, dims, resetAfter) =>
    gruForwardWith(this.ops, y, hT, cache, x, h0, w, dims, resetAfter);
  readonly gruBackward: KernelBackend['gruBackward'] = (
    dx,
    dh0,
    g,
    work,
    cache,
    x,
    w,
    dy,
    m,
    dhT,
    dims,
    resetAfter,
  ) => gruBackwardWith(this.ops, dx, dh0, g, work, cache, x, w, dy, m, dhT, dims, resetAfter);

  readonly adamUpdate: KernelBackend['adamUpdate'] = (params, m, v, grads, start, end, step, o) =>
    this.adam(params, m, v, grads, start, end, step, o, o.weightDecay, 1);
  readonly adamwUpdate: KernelBackend['adamwUpdate'] = (params, m, v, grads, start, end, step, o) =>
    this.adam(params, m, v, grads, start, end, step, o, 0, 1 - o.lr * o.weightDecay);

  private adam(
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
  ): void {
    if (end <= start) return;
    const { lr, beta1, beta2, eps } = o;
    const at = start * 4;
    this.x.adamUpdate(
      this.ptr(params) + at,
      this.ptr(m) + at,
      this.ptr(v) + at,
      this.ptr(grads) + at,
      end - start,
      lr / (1 - beta1 ** step),
      Math.sqrt(1 - beta2 ** step),
      beta1,
      beta2,
      eps,
      l2,
      shrink,
    );
  }

  readonly sgdUpdate: KernelBackend['sgdUpdate'] = (
    params,
    momentumBuf,
    grads,
    start,
    end,
    step,
    o: SgdOptions,
  ) => {
    if (end <= start) return;
    const at = start * 4;
    const buf = o.momentum !== 0 && momentumBuf !== null ? this.ptr(momentumBuf) + at : 0;
    this.x.sgdUpdate(
      this.ptr(params) + at,
      buf,
      this.ptr(grads) + at,
      end - start,
      step === 1,
      o.lr,
      o.momentum,
      o.dampening,
      o.nesterov,
      o.weightDecay,
    );
  };

  readonly rmspropUpdate: KernelBackend['rmspropUpdate'] = rmspropUpdate;
  /** the reference: the reduce is bound by memory, WebAssembly would gain nothing */
  readonly reduceSlots: KernelBackend['reduceSlots'] = reduceSlots;
  // the losses, the embedding and the batch transpose: the reference's TypeScript, on these views
  readonly mseLoss: KernelBackend['mseLoss'] = mseLoss;
  readonly softmaxCrossEntropy: KernelBackend['softmaxCrossEntropy'] = softmaxCrossEntropy;
  readonly sparseSoftmaxCrossEntropy: KernelBackend['sparseSoftmaxCrossEntropy'] = sparseSoftmaxCrossEntropy;
  readonly embeddingForward: KernelBackend['embeddingForward'] = embeddingForward;
  readonly embeddingBackward: KernelBackend['embeddingBackward'] = embeddingBackward;
  readonly transposeBatchTime: KernelBackend['transposeBatchTime'] = transposeBatchTime;
  // its scratch is its slot in the kernel memory (constructor), never a region of the arena
  readonly scratchPlan: KernelBackend['scratchPlan'] = noScratch.scratchPlan;
  readonly bindScratch: KernelBackend['bindScratch'] = noScratch.bindScratch;
}

/** A new kernel memory with room for `threads` instances and an arena, and this thread's instance (slot 0). */
export function createKernelMemory(
  arenaBytes: number,
  threads = 1,
): { memory: WasmMemory; arenaOffset: number; kernels: WasmKernels } {
  const layout = kernelMemoryLayout(arenaBytes, threads);
  const memory = new (wasmApi().Memory)({ initial: layout.pages, maximum: layout.pages, shared: true });
  return { memory, arenaOffset: layout.arenaOffset, kernels: new WasmKernels(memory, layout.scratchBase) };
}

/** Another thread's instance on a kernel memory that createKernelMemory made (slot in [1, threads)). */
export function attachKernels(memory: WasmMemory, slot: number, threads: number): WasmKernels {
  const layout = kernelMemoryLayout(0, threads);
  if (!Number.isInteger(slot) || slot < 0 || slot >= threads) {
    throw new KernelsError(
      KernelsErrorCode.BAD_MEMORY,
      `kernels: scratch slot must be in [0, ${threads}), got ${slot}`,
    );
  }
  return new WasmKernels(memory, layout.scratchBase + slot * layout.scratchBytes);
}
