// Every kernel backend, as the tests see it: its functions and an allocator whose buffers that
// backend accepts. The TypeScript reference takes plain arrays; the wasm backend needs views in
// its kernel memory, so its test backend bump-allocates from one memory (64 MiB by default) and
// starts over at each `fresh()` (call it at the start of every test: earlier tests' arrays are
// overwritten). The native backend takes any view: its test backend bump-allocates from one
// SharedArrayBuffer, as a threads arena. Tests loop over `testBackends()` so the same cases and
// tolerances run on every backend this machine has.
import {
  createKernelMemory,
  type KernelBackend,
  type KernelBackendName,
  nativeKernels,
  referenceKernels,
  wasmKernelsFor,
} from '../backend.js';
import type { Allocate } from '../sequence.js';
import { wasmSimdSupported } from '../wasm/module.js';

export interface TestBackend {
  readonly name: KernelBackendName;
  /** the backend's kernels (the wasm one bound to this test memory: foreign views throw) */
  readonly kernels: KernelBackend;
  /** zero-filled buffers this backend accepts */
  readonly allocate: Allocate;
  /** starts allocation over (wasm: from the arena's first byte; ts: a no-op) */
  fresh(): void;
  /** a copy of `values` in this backend's memory */
  copy(values: ArrayLike<number>): Float32Array;
  /** uniform values in [lo, hi) from `random`, in this backend's memory */
  random(length: number, random: () => number, lo?: number, hi?: number): Float32Array;
}

function withAllocator(
  name: KernelBackendName,
  kernels: KernelBackend,
  allocate: Allocate,
  fresh: () => void,
): TestBackend {
  return {
    name,
    kernels,
    allocate,
    fresh,
    copy: (values) => {
      const out = allocate(values.length);
      for (let i = 0; i < values.length; i++) out[i] = values[i];
      return out;
    },
    random: (length, random, lo = -1, hi = 1) => {
      const out = allocate(length);
      for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * random();
      return out;
    },
  };
}

export const tsTestBackend: TestBackend = withAllocator(
  'ts',
  referenceKernels,
  (n) => new Float32Array(n),
  () => {},
);

/** A bump allocator over [start, end) of `buffer`; fresh() starts over. */
function bumpAllocator(buffer: ArrayBufferLike, start: number, end: number): [Allocate, () => void] {
  let next = start;
  const allocate: Allocate = (n) => {
    const at = Math.ceil(next / 64) * 64;
    if (at + n * 4 > end) throw new Error(`test memory: ${n} floats do not fit; call fresh() per test`);
    next = at + n * 4;
    const view = new Float32Array(buffer, at, n);
    view.fill(0);
    return view;
  };
  return [allocate, () => (next = start)];
}

let wasmBackend: TestBackend | undefined;

/** The wasm test backend on one kernel memory of `bytes` arena bytes (made once per process). */
export function wasmTestBackend(bytes = 64 * 1024 * 1024): TestBackend {
  if (wasmBackend !== undefined) return wasmBackend;
  const { memory, arenaOffset } = createKernelMemory(bytes, 1);
  const kernels = wasmKernelsFor(memory.buffer);
  if (kernels === undefined) throw new Error('createKernelMemory did not register its instance');
  const [allocate, fresh] = bumpAllocator(memory.buffer, arenaOffset, arenaOffset + bytes);
  wasmBackend = withAllocator('wasm', kernels, allocate, fresh);
  return wasmBackend;
}

let nativeBackend: TestBackend | undefined;

/** The native test backend on one SharedArrayBuffer of `bytes` (made once per process), or null. */
export function nativeTestBackend(bytes = 64 * 1024 * 1024): TestBackend | null {
  if (nativeBackend !== undefined) return nativeBackend;
  const found = nativeKernels();
  if (found.kernels === null) return null;
  const [allocate, fresh] = bumpAllocator(new SharedArrayBuffer(bytes), 0, bytes);
  nativeBackend = withAllocator('native', found.kernels, allocate, fresh);
  return nativeBackend;
}

/** The reference, the wasm backend where this runtime supports WebAssembly SIMD, native where it loads. */
export function testBackends(): TestBackend[] {
  const backends = [tsTestBackend];
  if (wasmSimdSupported()) backends.push(wasmTestBackend());
  const native = nativeTestBackend();
  if (native !== null) backends.push(native);
  return backends;
}
