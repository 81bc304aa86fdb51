// Loading the native kernels (native/, C++ through Node-API, built by the package's build script
// into dist/native/recur_kernels.node) on this thread. Every thread that loads it gets its own
// instance (Node-API modules are context-aware), which picks the widest ISA the CPU runs.
//
//   RECUR_NATIVE_ADDON=<path>   load the addon from this file instead (a missing file makes the
//                               backend unavailable: the fallback test uses /nonexistent)
//   RECUR_NATIVE_ISA=avx512|avx2|generic   run a narrower ISA than the CPU's widest (tests,
//                               benchmarks); one the CPU lacks makes the backend unavailable
//
// Both are read once per thread, at the first load. The argument orders below are the addon's
// (dimensions first); src/native/kernels.ts maps the reference signatures onto them.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A native call: numbers, flags and views in the order the addon's comment gives (addon.cc). */
type NativeCall = (...args: (number | boolean | Float32Array | Int32Array | null)[]) => void;

export interface NativeAddon {
  /** this thread's kernels for an ISA ('' = the widest the CPU runs); returns the one in use */
  selectIsa(isa: string): string;
  /** (M, N, K, transA, transB, alpha, beta, lda, ldb, ldc, c, a, b) */
  gemm: NativeCall;
  denseForward: NativeCall;
  denseBackward: NativeCall;
  lstmForward: NativeCall;
  lstmBackward: NativeCall;
  gruForward: NativeCall;
  gruBackward: NativeCall;
  rnnForward: NativeCall;
  rnnBackward: NativeCall;
  sgdUpdate: NativeCall;
  adamUpdate: NativeCall;
  rmspropUpdate: NativeCall;
  /** (start, end, count, slots): the chunk's squared norm */
  reduceSlots(start: number, end: number, count: number, slots: readonly Float32Array[]): number;
  /** (n, scale, out, x): out[i] = half(x[i] · scale), nearest even */
  encodeHalves(n: number, scale: number, out: Uint16Array, x: Float32Array): void;
  /** (n, scale, out, h): out[i] = float(h[i]) · scale */
  decodeHalves(n: number, scale: number, out: Float32Array, h: Uint16Array): void;
  /** (n, x): whether none of x[0, n) is ±Infinity or NaN */
  allFinite(n: number, x: Float32Array): boolean;
  /** (N, V, scale, sparse, dLogits | null, logits, target | labels, mask | null): Σ loss · scale */
  softmaxCrossEntropy(...args: (number | boolean | Float32Array | Int32Array | null)[]): number;
  /** (N, D, scale, dPred | null, pred, target, mask | null): Σ loss · scale */
  mseLoss(...args: (number | Float32Array | null)[]): number;
  /** (N, D, y, ids, table) */
  embeddingForward: NativeCall;
  /** (N, D, dTable, ids, dy) */
  embeddingBackward: NativeCall;
  /** benchmarks: `iterations` rounds of register-only vector FMAs at this ISA; returns the flops */
  fmaPeak(iterations: number): number;
  /** (x): the address of x[0] modulo 64 */
  addressMod64(x: Float32Array): number;
  /**
   * (gemm, weights, row, region | null): this thread's scratch parts lie in region (from its
   * first cache-line-aligned float, each part on a line); null unbinds (Note [scratch in the arena])
   */
  bindScratch(gemm: number, weights: number, row: number, region: Float32Array | null): void;
  /** this thread's scratch: requests its heap buffers served so far, floats bound */
  scratchUse(): { heapRequests: number; bound: number };
  /** (widest): gemm packing floats for products whose N and K are at most widest */
  gemmScratchFloats(widest: number): number;
  /** (rows, cols): floats a recurrent call may pack a (rows, cols) weight matrix into */
  packedBoundFloats(rows: number, cols: number): number;
  /** (B, T, F, out, x): out (T, B, F) = x (B, T, F), row by row */
  transposeBatchTime(B: number, T: number, F: number, out: Float32Array, x: Float32Array): void;
}

export type NativeLoad = { addon: NativeAddon; isa: string } | { addon: null; reason: string };

let loaded: NativeLoad | undefined;

/** Where the built addon lies: dist/native/, from dist/native/ (built) or src/native/ (tests). */
function addonPath(): string | null {
  const given = process.env.RECUR_NATIVE_ADDON;
  if (given !== undefined && given !== '') return given;
  const candidates = ['./recur_kernels.node', '../../dist/native/recur_kernels.node'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? null;
}

function load(): NativeLoad {
  const path = addonPath();
  if (path === null) {
    return {
      addon: null,
      reason: 'dist/native/recur_kernels.node is missing (its build failed or was skipped)',
    };
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { addon: null, reason: `cannot load ${path}: ${message}` };
  }
  const wanted = process.env.RECUR_NATIVE_ISA ?? '';
  try {
    return { addon, isa: addon.selectIsa(wanted) };
  } catch {
    return {
      addon: null,
      reason: `RECUR_NATIVE_ISA=${wanted}: expected avx512, avx2 or generic, one this CPU can run`,
    };
  }
}

/** The addon on this thread (loaded once), or why it cannot be used. */
export function nativeAddon(): NativeLoad {
  if (loaded === undefined) loaded = load();
  return loaded;
}

/** Half precision array conversions with @recur/protocol's `halfConversions` signatures. */
export interface HalfConversions {
  /** out[i] = half(x[i] · scale): the product rounded to float32, then to half (nearest even) */
  encode(out: Uint16Array, x: Float32Array, scale: number): void;
  /** out[i] = float(h[i]) · scale: the product rounded to float32 */
  decode(out: Float32Array, h: Uint16Array, scale: number): void;
}

/**
 * The native half conversions of this thread's addon (F16C / AVX-512 at its ISA, else scalar
 * C++), bit for bit @recur/protocol's: @recur/cluster installs them there when the native
 * backend is active. Null when the addon does not load.
 */
export function nativeHalfConversions(): HalfConversions | null {
  const { addon } = nativeAddon();
  if (addon === null) return null;
  return {
    encode: (out, x, scale) => addon.encodeHalves(x.length, scale, out, x),
    decode: (out, h, scale) => addon.decodeHalves(h.length, scale, out, h),
  };
}

/**
 * The native finiteness check of this thread's addon (one vectorized pass over the bits), with
 * @recur/protocol's `allFinite` signature and answers: @recur/cluster installs it there when the
 * native backend is active. Null when the addon does not load.
 */
export function nativeAllFinite(): ((x: Float32Array) => boolean) | null {
  const { addon } = nativeAddon();
  if (addon === null) return null;
  return (x) => addon.allFinite(x.length, x);
}

/** The alignment of the arenas' and the benchmarks' buffers: a cache line, as the arena's. */
const LINE_BYTES = 64;

/**
 * The first byte of `buffer` at a 64-byte-aligned address: 0 … 60, a multiple of 4, or 0 where
 * no addon can tell (the address of an ArrayBuffer is not visible to JavaScript). Node puts the
 * memory of a large ArrayBuffer or SharedArrayBuffer 16 bytes into a page, so an arena that
 * aligns its ranges to 64 bytes from the buffer's start would split every cache line of every
 * range; starting it here keeps the native kernels' loads and stores within lines (the gemm's
 * products 1.05–1.07× in the kernels README's harness). The address never changes: a buffer's
 * memory does not move, so every thread that shares it gets the same answer.
 */
export function alignedOrigin(buffer: ArrayBuffer | SharedArrayBuffer): number {
  const { addon } = nativeAddon();
  // an addon built before addressMod64 existed (RECUR_NATIVE_ADDON=<older build>) cannot tell
  if (addon === null || typeof addon.addressMod64 !== 'function' || buffer.byteLength < LINE_BYTES) return 0;
  return (LINE_BYTES - addon.addressMod64(new Float32Array(buffer, 0, 1))) % LINE_BYTES;
}

/**
 * This thread's native scratch: how many requests its heap buffers served (0 while every call
 * fits the bound region) and the floats bound. Null when the addon does not load or predates it.
 */
export function nativeScratchUse(): { heapRequests: number; bound: number } | null {
  const { addon } = nativeAddon();
  if (addon === null || typeof addon.scratchUse !== 'function') return null;
  return addon.scratchUse();
}
