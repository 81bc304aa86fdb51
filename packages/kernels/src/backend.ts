// Kernel backends: one object of functions with the reference kernels' signatures, chosen once
// per thread. `kernelBackend()` is what @recur/nn's layers call through.
//
//   'native' C++ through Node-API (src/native/, native/): AVX-512, AVX2+FMA or generic code
//            picked at load from the CPU's features; works in place on views of any buffer.
//   'wasm'   WebAssembly SIMD (src/wasm/): a call whose first output view lies in a registered
//            kernel memory runs in WebAssembly there; any other call runs the reference, so a
//            model whose arena is elsewhere (or a test's plain arrays) still works. @recur/nn puts
//            a model's arena in a kernel memory whenever this backend is active.
//   'ts'     the TypeScript reference: works on views of any buffer.
//
// The default ('auto') is 'native' when its addon loads, else 'wasm' when the runtime supports
// WebAssembly SIMD and shared memories, else 'ts'; falling back from native prints one line on
// stderr saying why (once per process, from the main thread). `RECUR_KERNELS=native|wasm|ts|auto`
// (read once, at the first call) and `useKernelBackend()` override it.
import { isMainThread } from 'node:worker_threads';
import { checkedKernels } from './checks.js';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { KernelsError, KernelsErrorCode } from './errors.js';
import { gemm } from './gemm.js';
import { mseLoss, softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from './losses.js';
import { nativeAddon } from './native/addon.js';
import { nativeBackend } from './native/kernels.js';
import type { GemmFunction } from './ops.js';
import { adamUpdate, adamwUpdate, rmspropUpdate, sgdUpdate } from './optim.js';
import { reduceSlots } from './reduce.js';
import {
  denseBackward,
  denseForward,
  gruBackward,
  gruForward,
  lstmBackward,
  lstmForward,
  rnnBackward,
  rnnForward,
} from './reference.js';
import { type MatrixShape, noScratch, type ScratchPlan } from './scratch.js';
import { transposeBatchTime } from './sequence.js';
import { attachKernels, createKernelMemory as createWasmMemory, type WasmKernels } from './wasm/kernels.js';
import { wasmSimdSupported } from './wasm/module.js';
import type { WasmMemory } from './wasm/webassembly-types.js';

export type KernelBackendName = 'ts' | 'wasm' | 'native';

/** The kernels a backend provides, with the reference signatures (README). */
export interface KernelBackend {
  readonly name: KernelBackendName;
  /** the instruction set it runs: 'scalar' (ts), 'simd128' (wasm), 'avx512' | 'avx2' | 'generic' (native) */
  readonly isa: string;
  gemm: GemmFunction;
  denseForward: typeof denseForward;
  denseBackward: typeof denseBackward;
  rnnForward: typeof rnnForward;
  rnnBackward: typeof rnnBackward;
  lstmForward: typeof lstmForward;
  lstmBackward: typeof lstmBackward;
  gruForward: typeof gruForward;
  gruBackward: typeof gruBackward;
  sgdUpdate: typeof sgdUpdate;
  adamUpdate: typeof adamUpdate;
  adamwUpdate: typeof adamwUpdate;
  rmspropUpdate: typeof rmspropUpdate;
  /** the rank-ordered all-reduce of a chunk of W gradient slots (src/reduce.ts) */
  reduceSlots: typeof reduceSlots;
  mseLoss: typeof mseLoss;
  softmaxCrossEntropy: typeof softmaxCrossEntropy;
  sparseSoftmaxCrossEntropy: typeof sparseSoftmaxCrossEntropy;
  embeddingForward: typeof embeddingForward;
  embeddingBackward: typeof embeddingBackward;
  /** out (T, B, F) = x (B, T, F), the model's first layer's copy (src/sequence.ts) */
  transposeBatchTime: typeof transposeBatchTime;
  /** the scratch this backend's calls need for a model's weight matrices, per layer (src/scratch.ts) */
  scratchPlan(layers: readonly (readonly MatrixShape[])[]): ScratchPlan;
  /** this thread's calls take their scratch from `region` (`plan.floats` long) until the next bind; null: none */
  bindScratch(region: Float32Array | null, plan: ScratchPlan): void;
}

/** The losses, the embedding, the batch transpose (and no scratch) of the TypeScript reference (the wasm backend runs them too). */
const referenceExtras = {
  mseLoss,
  softmaxCrossEntropy,
  sparseSoftmaxCrossEntropy,
  embeddingForward,
  embeddingBackward,
  transposeBatchTime,
  ...noScratch,
};

/** The TypeScript reference, unchecked: what the wasm backend runs for views outside its memory. */
const uncheckedReference: KernelBackend = {
  name: 'ts',
  isa: 'scalar',
  gemm,
  denseForward,
  denseBackward,
  rnnForward,
  rnnBackward,
  lstmForward,
  lstmBackward,
  gruForward,
  gruBackward,
  sgdUpdate,
  adamUpdate,
  adamwUpdate,
  rmspropUpdate,
  reduceSlots,
  ...referenceExtras,
};

/** Kernel memories of this thread, by their buffer (a view's `buffer` finds its instance). */
const instances = new WeakMap<ArrayBufferLike, WasmKernels>();

/** The wasm instance whose memory holds `buffer` on this thread, if any. */
export function wasmKernelsFor(buffer: ArrayBufferLike): WasmKernels | undefined {
  return instances.get(buffer);
}

/** The TypeScript reference backend (every call's arguments checked first: checks.ts). */
export const referenceKernels: KernelBackend = checkedKernels(uncheckedReference, 'ts');

const route = (view: Float32Array): KernelBackend => instances.get(view.buffer) ?? uncheckedReference;

/**
 * The wasm backend: each call runs on the instance of its first output's memory, else the
 * reference (every call's arguments checked first: checks.ts).
 */
export const wasmKernels: KernelBackend = checkedKernels(
  {
    name: 'wasm',
    isa: 'simd128',
    gemm: (c, a, b, M, N, K, transA, transB, alpha, beta, lda, ldb, ldc) =>
      route(c).gemm(c, a, b, M, N, K, transA, transB, alpha, beta, lda, ldb, ldc),
    denseForward: (y, x, w, b, N, In, O) => route(y).denseForward(y, x, w, b, N, In, O),
    denseBackward: (dx, dw, db, x, w, dy, N, In, O) =>
      route(dw).denseBackward(dx, dw, db, x, w, dy, N, In, O),
    rnnForward: (y, hT, cache, x, h0, w, dims, a) => route(y).rnnForward(y, hT, cache, x, h0, w, dims, a),
    rnnBackward: (dx, dh0, g, work, cache, x, w, dy, m, dhT, dims, a) =>
      route(g.dWIh).rnnBackward(dx, dh0, g, work, cache, x, w, dy, m, dhT, dims, a),
    lstmForward: (y, hT, cT, cache, x, h0, c0, w, dims) =>
      route(y).lstmForward(y, hT, cT, cache, x, h0, c0, w, dims),
    lstmBackward: (dx, dh0, dc0, g, work, cache, x, w, dy, m, dhT, dcT, dims) =>
      route(g.dWIh).lstmBackward(dx, dh0, dc0, g, work, cache, x, w, dy, m, dhT, dcT, dims),
    gruForward: (y, hT, cache, x, h0, w, dims, r) => route(y).gruForward(y, hT, cache, x, h0, w, dims, r),
    gruBackward: (dx, dh0, g, work, cache, x, w, dy, m, dhT, dims, r) =>
      route(g.dWIh).gruBackward(dx, dh0, g, work, cache, x, w, dy, m, dhT, dims, r),
    sgdUpdate: (p, buf, g, start, end, step, o) => route(p).sgdUpdate(p, buf, g, start, end, step, o),
    adamUpdate: (p, m, v, g, start, end, step, o) => route(p).adamUpdate(p, m, v, g, start, end, step, o),
    adamwUpdate: (p, m, v, g, start, end, step, o) => route(p).adamwUpdate(p, m, v, g, start, end, step, o),
    rmspropUpdate,
    reduceSlots,
    ...referenceExtras,
  },
  'wasm',
);

export type KernelBackendChoice = KernelBackendName | 'auto';

let native: KernelBackend | undefined;

/** The native backend on this thread, or why it cannot load (addon missing, CPU, platform). */
export function nativeKernels(): { kernels: KernelBackend } | { kernels: null; reason: string } {
  const load = nativeAddon();
  if (load.addon === null) return { kernels: null, reason: load.reason };
  native ??= nativeBackend(load.addon, load.isa);
  return { kernels: native };
}

let noticePrinted = false;

/** 'auto': native, else (with one line on stderr, once per process) wasm, else ts. */
function automatic(): KernelBackend {
  const found = nativeKernels();
  if (found.kernels !== null) return found.kernels;
  const fallback = wasmSimdSupported() ? wasmKernels : referenceKernels;
  if (isMainThread && !noticePrinted) {
    noticePrinted = true;
    process.stderr.write(
      `@recur/kernels: native backend unavailable (${found.reason}); using ${fallback.name}\n`,
    );
  }
  return fallback;
}

let chosen: KernelBackend | undefined;

function resolve(choice: string, from: string): KernelBackend {
  if (choice === 'ts') return referenceKernels;
  if (choice === 'auto') return automatic();
  if (choice === 'native') {
    const found = nativeKernels();
    if (found.kernels === null) {
      throw new KernelsError(
        KernelsErrorCode.BAD_BACKEND,
        `${from}: 'native' asked for, but ${found.reason}`,
      );
    }
    return found.kernels;
  }
  if (choice === 'wasm') {
    if (!wasmSimdSupported()) {
      throw new KernelsError(
        KernelsErrorCode.BAD_BACKEND,
        `${from}: 'wasm' asked for, but this runtime has no WebAssembly SIMD or shared memory; use 'ts'`,
      );
    }
    return wasmKernels;
  }
  throw new KernelsError(
    KernelsErrorCode.BAD_BACKEND,
    `${from}: expected 'native', 'wasm', 'ts' or 'auto', got '${choice}'`,
  );
}

/** The backend in use on this thread (chosen at the first call: RECUR_KERNELS, else automatic). */
export function kernelBackend(): KernelBackend {
  if (chosen === undefined) chosen = resolve(process.env.RECUR_KERNELS ?? 'auto', 'RECUR_KERNELS');
  return chosen;
}

/** Chooses the backend for this thread; 'ts' forces the TypeScript reference, 'native' the addon. */
export function useKernelBackend(choice: KernelBackendChoice): KernelBackend {
  chosen = resolve(choice, 'useKernelBackend');
  return chosen;
}

/**
 * A kernel memory (a shared WebAssembly.Memory, wasm/module.ts) with room for `threads` instances
 * and `arenaBytes` of arena at `arenaOffset`; this thread's instance (slot 0) is registered, so
 * calls through the wasm backend on views of `memory.buffer` run in WebAssembly.
 */
export function createKernelMemory(
  arenaBytes: number,
  threads = 1,
): { memory: WasmMemory; arenaOffset: number; kernels: WasmKernels } {
  const made = createWasmMemory(arenaBytes, threads);
  instances.set(made.kernels.buffer, made.kernels);
  return made;
}

/** On another thread: instantiates the module on `memory` with scratch `slot` and registers it. */
export function attachKernelMemory(memory: WasmMemory, slot: number, threads: number): WasmKernels {
  const kernels = attachKernels(memory, slot, threads);
  instances.set(kernels.buffer, kernels);
  return kernels;
}
