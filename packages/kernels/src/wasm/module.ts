// Loading the WebAssembly SIMD kernels (assembly/, built to dist/kernels.wasm by the package's
// build script) and laying out the memories they run on.
//
// A kernel memory is one shared WebAssembly.Memory (the module imports a shared memory, so even
// one thread uses a shared one), sized once and never grown (growing under-covers existing
// views):
//   [0, heapBase)                  the module's own static data (none today, but reserved)
//   threads × WASM_SCRATCH_BYTES   one gemm pack-buffer region per thread (instance)
//   [arenaOffset, + arenaBytes)    the caller's arena (@recur/nn puts the model's arena here)
// Each thread instantiates the compiled module on the same memory with its own scratch slot.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KernelsError, KernelsErrorCode } from '../errors.js';
import {
  type WasmGlobal,
  type WasmMemory,
  type WasmModule,
  type WebAssemblyApi,
  webAssembly,
} from './webassembly-types.js';

const PAGE_BYTES = 65536;
/** The most pages a memory may have (4 GiB, V8's limit for 32-bit wasm memories). */
export const WASM_MAX_PAGES = 65536;
const ALIGN = 64;
const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** The exports of dist/kernels.wasm (pointers are byte offsets into the memory). */
export interface KernelExports {
  heapBase(): number;
  setScratch(ptr: number): void;
  SCRATCH_BYTES: WasmGlobal;
  gemm(
    c: number,
    a: number,
    b: number,
    M: number,
    N: number,
    K: number,
    transA: boolean,
    transB: boolean,
    alpha: number,
    beta: number,
    lda: number,
    ldb: number,
    ldc: number,
  ): void;
  addBiasRows(pre: number, bIh: number, bHh: number, rows: number, G: number, hhEnd: number): void;
  addColumnSums(db: number, d: number, rows: number, G: number): void;
  lstmCellForward(
    gates: number,
    cT: number,
    hT: number,
    y: number,
    tanhC: number,
    rows: number,
    H: number,
  ): void;
  lstmCellBackward(
    dGates: number,
    dh: number,
    dc: number,
    gates: number,
    cPrev: number,
    tanhC: number,
    dy: number,
    rows: number,
    H: number,
  ): void;
  gruCellForward(
    gates: number,
    hProj: number,
    bHn: number,
    hn: number,
    hT: number,
    y: number,
    rows: number,
    H: number,
  ): void;
  gruCellBackward(
    dGatesX: number,
    dGatesH: number,
    dh: number,
    gates: number,
    hPrev: number,
    hn: number,
    dy: number,
    rows: number,
    H: number,
  ): void;
  rnnCellForward(gates: number, hT: number, y: number, rows: number, H: number, relu: boolean): void;
  adamUpdate(
    params: number,
    m: number,
    v: number,
    grads: number,
    n: number,
    stepSize: number,
    correction2Sqrt: number,
    beta1: number,
    beta2: number,
    eps: number,
    l2: number,
    shrink: number,
  ): void;
  sgdUpdate(
    params: number,
    buf: number,
    grads: number,
    n: number,
    first: boolean,
    lr: number,
    momentum: number,
    dampening: number,
    nesterov: boolean,
    weightDecay: number,
  ): void;
}

/** The smallest module with a SIMD instruction: (func (result v128) (v128.const i32x4 0 0 0 0)). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

let simd: boolean | undefined;

/** Whether this runtime runs WebAssembly 128-bit SIMD and shared memories (checked once). */
export function wasmSimdSupported(): boolean {
  if (simd === undefined) {
    simd =
      webAssembly !== undefined &&
      typeof SharedArrayBuffer === 'function' &&
      webAssembly.validate(SIMD_PROBE);
  }
  return simd === true;
}

/** Where the built module lies: dist/kernels.wasm, from dist/wasm/ (built) or src/wasm/ (tests). */
function wasmPath(): string {
  const candidates = ['../kernels.wasm', '../../dist/kernels.wasm'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new KernelsError(
      KernelsErrorCode.WASM_UNAVAILABLE,
      `kernels: no kernels.wasm at ${candidates.join(' or ')}; build @recur/kernels (pnpm exec turbo run build), or set RECUR_KERNELS=ts`,
    );
  }
  return found;
}

let compiled: WasmModule | undefined;

/** The runtime's WebAssembly (wasmSimdSupported() checked that there is one). */
export const wasmApi = (): WebAssemblyApi => webAssembly as WebAssemblyApi;

/** The compiled module (compiled once per thread; a WebAssembly.Module can also be posted). */
export function kernelModule(): WasmModule {
  if (compiled === undefined) {
    if (!wasmSimdSupported()) {
      throw new KernelsError(
        KernelsErrorCode.WASM_UNAVAILABLE,
        'kernels: this runtime has no WebAssembly SIMD or shared memory; use the TypeScript backend (RECUR_KERNELS=ts)',
      );
    }
    compiled = new (wasmApi().Module)(readFileSync(wasmPath()));
  }
  return compiled;
}

/** The module instantiated on `memory`, its pack buffers at `scratch`. */
export function instantiate(memory: WasmMemory, scratch: number): KernelExports {
  const instance = new (wasmApi().Instance)(kernelModule(), { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  exports.setScratch(scratch);
  return exports;
}

/** The layout of a kernel memory for `threads` instances and an arena of `arenaBytes`. */
export interface KernelMemoryLayout {
  /** first byte of thread slot i's scratch: scratchBase + i · scratchBytes */
  scratchBase: number;
  scratchBytes: number;
  threads: number;
  /** first byte of the arena (64-byte aligned) */
  arenaOffset: number;
  arenaBytes: number;
  pages: number;
}

let staticTop: { heapBase: number; scratchBytes: number } | undefined;

export function kernelMemoryLayout(arenaBytes: number, threads: number): KernelMemoryLayout {
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new KernelsError(
      KernelsErrorCode.BAD_MEMORY,
      `kernels: threads must be an integer in [1, 1024], got ${threads}`,
    );
  }
  if (!Number.isInteger(arenaBytes) || arenaBytes < 0) {
    throw new KernelsError(
      KernelsErrorCode.BAD_MEMORY,
      `kernels: arenaBytes must be an integer >= 0, got ${arenaBytes}`,
    );
  }
  if (staticTop === undefined) {
    const { Instance, Memory } = wasmApi();
    const probe = new Instance(kernelModule(), {
      env: { memory: new Memory({ initial: 1, maximum: 1, shared: true }) },
    }).exports as unknown as KernelExports;
    staticTop = { heapBase: probe.heapBase(), scratchBytes: alignUp(probe.SCRATCH_BYTES.value as number) };
  }
  const scratchBase = alignUp(staticTop.heapBase);
  const arenaOffset = scratchBase + threads * staticTop.scratchBytes;
  const pages = Math.max(1, Math.ceil((arenaOffset + arenaBytes) / PAGE_BYTES));
  if (pages > WASM_MAX_PAGES) {
    throw new KernelsError(
      KernelsErrorCode.BAD_MEMORY,
      `kernels: ${arenaOffset + arenaBytes} bytes do not fit a WebAssembly memory (at most ${WASM_MAX_PAGES * PAGE_BYTES}); use a smaller batch or the TypeScript backend (RECUR_KERNELS=ts)`,
    );
  }
  return { scratchBase, scratchBytes: staticTop.scratchBytes, threads, arenaOffset, arenaBytes, pages };
}
