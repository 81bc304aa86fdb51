// Every kernel backend, as the tests see it: its functions and an allocator whose buffers that
// backend accepts. The TypeScript reference takes plain arrays; the wasm backend needs views in
// its kernel memory, so its test backend bump-allocates from one memory (64 MiB by default) and
// starts over at each `fresh()` (call it at the start of every test: earlier tests' arrays are
// overwritten). Tests loop over `testBackends()` so the same cases and tolerances run on both.
import { createKernelMemory, type KernelBackend, referenceKernels, wasmKernelsFor } from '../backend.js';
import type { Allocate } from '../sequence.js';
import { wasmSimdSupported } from '../wasm/module.js';

export interface TestBackend {
  readonly name: 'ts' | 'wasm';
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
  name: 'ts' | 'wasm',
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

let wasmBackend: TestBackend | undefined;

/** The wasm test backend on one kernel memory of `bytes` arena bytes (made once per process). */
export function wasmTestBackend(bytes = 64 * 1024 * 1024): TestBackend {
  if (wasmBackend !== undefined) return wasmBackend;
  const { memory, arenaOffset } = createKernelMemory(bytes, 1);
  const kernels = wasmKernelsFor(memory.buffer);
  if (kernels === undefined) throw new Error('createKernelMemory did not register its instance');
  const end = arenaOffset + bytes;
  let next = arenaOffset;
  const allocate: Allocate = (n) => {
    const start = Math.ceil(next / 64) * 64;
    if (start + n * 4 > end)
      throw new Error(`wasm test memory: ${n} floats do not fit; call fresh() per test`);
    next = start + n * 4;
    const view = new Float32Array(memory.buffer, start, n);
    view.fill(0);
    return view;
  };
  wasmBackend = withAllocator('wasm', kernels, allocate, () => {
    next = arenaOffset;
  });
  return wasmBackend;
}

/** The reference, and the wasm backend where this runtime supports WebAssembly SIMD. */
export function testBackends(): TestBackend[] {
  return wasmSimdSupported() ? [tsTestBackend, wasmTestBackend()] : [tsTestBackend];
}
