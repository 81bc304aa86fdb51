// The backend registry and the wasm boundary: choosing a backend (and refusing unknown names;
// native.test.ts covers the native backend's loading and fallback),
// the wasm backend's coded errors for views outside its memory or too short for their
// dimensions, routing by memory (views of a kernel memory run there, any others the reference),
// and the kernel-memory layout (scratch slots below a 64-byte-aligned arena, size limits).
import t from 'tap';
import {
  createKernelMemory,
  kernelBackend,
  nativeKernels,
  referenceKernels,
  useKernelBackend,
  wasmKernels,
  wasmKernelsFor,
} from './backend.js';
import { gemm } from './gemm.js';
import { testRandom } from './testing/arrays.js';
import { wasmTestBackend } from './testing/backends.js';
import { kernelMemoryLayout, wasmSimdSupported } from './wasm/module.js';

t.test(
  'useKernelBackend picks native, ts, wasm or auto, and refuses anything else with a code',
  async (t) => {
    const before = kernelBackend();
    t.equal(useKernelBackend('ts'), referenceKernels);
    t.equal(kernelBackend().name, 'ts');
    t.equal(kernelBackend().isa, 'scalar');
    const native = nativeKernels().kernels;
    const auto = native ?? (wasmSimdSupported() ? wasmKernels : referenceKernels);
    t.equal(useKernelBackend('auto'), auto, 'auto: native where it loads, else wasm, else ts');
    if (wasmSimdSupported()) t.equal(useKernelBackend('wasm').isa, 'simd128');
    if (native !== null) t.equal(useKernelBackend('native'), native);
    t.throws(() => useKernelBackend('simd' as 'ts'), { code: 'ERR_KERNELS_BAD_BACKEND' });
    useKernelBackend(before.name);
  },
);

t.test('each backend names the instruction set its kernels use', async (t) => {
  t.equal(referenceKernels.isa, 'scalar');
  t.equal(wasmKernels.isa, 'simd128');
  if (wasmSimdSupported()) t.equal(wasmTestBackend().kernels.isa, 'simd128', 'a wasm instance too');
});

if (wasmSimdSupported()) {
  t.test('the wasm backend refuses foreign and too-short views with codes', async (t) => {
    const backend = wasmTestBackend();
    backend.fresh();
    const a = backend.allocate(12);
    const b = backend.allocate(12);
    const c = backend.allocate(9);
    t.throws(() => backend.kernels.gemm(new Float32Array(9), a, b, 3, 3, 4, false, true), {
      code: 'ERR_KERNELS_FOREIGN_VIEW',
    });
    t.throws(() => backend.kernels.gemm(c, new Float32Array(12), b, 3, 3, 4, false, true), {
      code: 'ERR_KERNELS_FOREIGN_VIEW',
    });
    t.throws(() => backend.kernels.gemm(c, a, b, 3, 3, 5, false, true), {
      code: 'ERR_KERNELS_VIEW_TOO_SHORT',
    });
    const low = new Float32Array(backend.allocate(1).buffer, 0, 4); // below the heap base
    t.throws(() => backend.kernels.adamUpdate(low, low, low, low, 0, 4, 1, adam), {
      code: 'ERR_KERNELS_FOREIGN_VIEW',
    });
  });

  t.test(
    'the wasm backend routes by memory: kernel-memory views run in wasm, others the reference',
    async (t) => {
      const { memory, arenaOffset, kernels } = createKernelMemory(4096, 2);
      t.equal(wasmKernelsFor(memory.buffer), kernels, 'registered on creation');
      t.ok(arenaOffset % 64 === 0 && arenaOffset >= 2 * kernelMemoryLayout(0, 1).scratchBytes);
      const random = testRandom(1);
      const view = (offset: number, n: number) => {
        const v = new Float32Array(memory.buffer, arenaOffset + offset, n);
        for (let i = 0; i < n; i++) v[i] = random() - 0.5;
        return v;
      };
      const a = view(0, 6);
      const b = view(64, 6);
      const c = view(128, 4);
      const direct = view(192, 4);
      kernels.gemm(direct, a, b, 2, 2, 3, false, true);
      wasmKernels.gemm(c, a, b, 2, 2, 3, false, true);
      t.same(Array.from(c), Array.from(direct), 'in the kernel memory: the same bits as its wasm instance');
      const expected = new Float32Array(4);
      gemm(expected, Float32Array.from(a), Float32Array.from(b), 2, 2, 3, false, true);
      const plain = new Float32Array(4);
      wasmKernels.gemm(plain, Float32Array.from(a), Float32Array.from(b), 2, 2, 3, false, true);
      t.same(Array.from(plain), Array.from(expected), 'plain arrays: the same bits as the TypeScript gemm');
      t.ok(Math.abs(c[3] - expected[3]) < 1e-6, 'and the two agree to float32 rounding');
    },
  );

  t.test('kernel memory limits are coded errors', async (t) => {
    t.throws(() => kernelMemoryLayout(2 ** 32, 1), { code: 'ERR_KERNELS_BAD_MEMORY' });
    t.throws(() => kernelMemoryLayout(1024, 0), { code: 'ERR_KERNELS_BAD_MEMORY' });
    t.throws(() => kernelMemoryLayout(-1, 1), { code: 'ERR_KERNELS_BAD_MEMORY' });
  });
}

const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
