// Kernel scratch in the caller's arena (Note [scratch in the arena] in native/src/kernels.h). With
// a region bound that scratchPlan sized, the native kernels take their packed panels and weights
// from it: no request reaches the thread's heap buffers, at every ISA, on every gemm path (few
// rows; many rows with op(A) = A, packed; many rows with op(A) = Aᵀ) and every recurrent cell's
// forward and backward, and the results are the same bits as with the heap buffers. A request
// that does not fit falls back to the heap (same bits); a region whose first float is not on a
// cache line still serves its plan; bad arguments are coded errors; ts and wasm plan nothing.
import t from 'tap';
import { type KernelBackend, referenceKernels, wasmKernels } from './backend.js';
import { nativeAddon } from './native/addon.js';
import { nativeBackend } from './native/kernels.js';
import { type MatrixShape, NO_SCRATCH, nativeScratchPlan, type ScratchPlan } from './scratch.js';
import type { SequenceDims } from './sequence.js';
import { testRandom } from './testing/arrays.js';
import { tsTestBackend } from './testing/backends.js';
import { CELL_KINDS, gateWidth, makeProblem, makeRunner, zeroGrads } from './testing/recurrent-harness.js';

t.test('the TypeScript and wasm backends plan no scratch', async (t) => {
  t.equal(referenceKernels.scratchPlan([[[64, 64]]]), NO_SCRATCH);
  t.equal(wasmKernels.scratchPlan([[[64, 64]]]), NO_SCRATCH);
});

const load = nativeAddon();
if (load.addon === null || typeof load.addon.bindScratch !== 'function') {
  t.pass(`the native addon does not load here (${load.addon === null ? load.reason : 'an older build'})`);
} else {
  const addon = load.addon;
  const widest = load.isa;
  const isas = ['generic', 'avx2', 'avx512'].filter((isa) => {
    try {
      addon.selectIsa(isa);
      return true;
    } catch {
      return false; // this CPU cannot run it
    } finally {
      addon.selectIsa(widest);
    }
  });

  const heapRequests = () => addon.scratchUse().heapRequests;
  /** A region of `plan.floats`, its first float `shift` floats past a 64-byte line (the arena's lines). */
  const regionFor = (plan: ScratchPlan, shift = 0) => new Float32Array(plan.floats + shift).subarray(shift);
  const bind = (plan: ScratchPlan, region: Float32Array | null) =>
    addon.bindScratch(plan.gemm, plan.weights, plan.row, region);
  const unbind = () => addon.bindScratch(0, 0, 0, null);
  /** Runs `work` with the region bound, then unbound; returns both results and the heap requests of each. */
  const bothWays = (plan: ScratchPlan, region: Float32Array, work: () => Float32Array[]) => {
    bind(plan, region);
    const before = heapRequests();
    const inArena = work();
    const arenaHeap = heapRequests() - before;
    unbind();
    const heapBefore = heapRequests();
    const onHeap = work();
    return { inArena, onHeap, arenaHeap, heap: heapRequests() - heapBefore };
  };
  /** `length` values in [-0.5, 0.5). */
  const centred = (length: number, random: () => number) =>
    Float32Array.from({ length }, () => random() - 0.5);
  /** bothWays' work: C (M, N) = op(A)·op(B) into a fresh array. */
  const product =
    (
      k: KernelBackend,
      a: Float32Array,
      b: Float32Array,
      [M, N, K]: number[],
      transA: boolean,
      transB: boolean,
    ) =>
    () => {
      const c = new Float32Array(M * N);
      k.gemm(c, a, b, M, N, K, transA, transB);
      return [c];
    };
  const bits = (xs: Float32Array[]) =>
    xs.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex'));

  for (const isa of isas) {
    t.test(`[${isa}] gemm: a region planned for the widest dimension serves every path`, async (t) => {
      addon.selectIsa(isa);
      const k = nativeBackend(addon, isa);
      const random = testRandom(3);
      for (const [M, N, K] of [
        [9, 33, 70], // few rows: one panel
        [301, 45, 150], // many rows, op(A) = A: op(B) packed in column blocks
        [300, 600, 40], // many rows, wide: with op(A) = Aᵀ the block of every panel
        [260, 20, 700], // deep
      ]) {
        const plan = nativeScratchPlan(addon, [[[Math.max(N, K), 1]]]);
        for (const transA of [false, true])
          for (const transB of [false, true]) {
            const [a, b] = [centred(M * K, random), centred(K * N, random)];
            const run = bothWays(plan, regionFor(plan), product(k, a, b, [M, N, K], transA, transB));
            const name = `M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`;
            t.equal(run.arenaHeap, 0, `${name}: no heap scratch with the region bound`);
            t.ok(run.heap > 0, `${name}: unbound, the heap buffers serve it`);
            t.same(bits(run.inArena), bits(run.onHeap), `${name}: the same bits`);
          }
      }
      addon.selectIsa(widest);
    });

    t.test(`[${isa}] every cell's forward and backward: the planned region serves them`, async (t) => {
      addon.selectIsa(isa);
      const backend = { ...tsTestBackend, name: 'native' as const, kernels: nativeBackend(addon, isa) };
      // T·B = 300 rows and G up to 280: the many-row gemm paths as well as the per-step products
      const dims: SequenceDims = { T: 5, B: 60, I: 7, H: 70, reverse: false, lengths: null };
      for (const kind of CELL_KINDS) {
        const G = gateWidth(kind, dims.H);
        const matrices: MatrixShape[] = [
          [G, dims.I],
          [G, dims.H],
        ];
        const plan = nativeScratchPlan(addon, [matrices]);
        const p = makeProblem(kind, dims, testRandom(5), backend);
        const dy = Float32Array.from({ length: dims.T * dims.B * dims.H }, testRandom(6));
        const runOnce = () => {
          const run = makeRunner(kind, dims, backend);
          const grads = zeroGrads(p.w, backend);
          const dx = new Float32Array(dims.T * dims.B * dims.I);
          const dh0 = new Float32Array(dims.B * dims.H);
          const dc0 = new Float32Array(dims.B * dims.H);
          run.forward(p);
          run.backward(p, dx, dh0, dc0, grads, dy, 'all', null, null);
          return [p.y.slice(), p.hT.slice(), dx, dh0, grads.dWIh, grads.dWHh, grads.dBIh, grads.dBHh];
        };
        const run = bothWays(plan, regionFor(plan), runOnce);
        t.equal(run.arenaHeap, 0, `${kind}: no heap scratch with the region bound`);
        t.ok(run.heap > 0, `${kind}: unbound, the heap buffers serve it`);
        t.same(bits(run.inArena), bits(run.onHeap), `${kind}: the same bits`);
      }
      addon.selectIsa(widest);
    });
  }

  t.test('a request past its part falls back to the heap, with the same bits', async (t) => {
    const k = nativeBackend(addon, widest);
    const small = nativeScratchPlan(addon, [[[1, 1]]]);
    const [M, N, K] = [300, 200, 90];
    const random = testRandom(9);
    const [a, b] = [centred(M * K, random), centred(K * N, random)];
    const run = bothWays(small, regionFor(small), product(k, a, b, [M, N, K], false, true));
    t.ok(run.arenaHeap > 0, 'a region planned for 1 × 1 matrices is too small: the heap serves the request');
    t.same(bits(run.inArena), bits(run.onHeap), 'the same bits');
  });

  t.test('a region that starts off a cache line serves its plan from its first aligned float', async (t) => {
    const k = nativeBackend(addon, widest);
    const plan = nativeScratchPlan(addon, [[[200, 90]]]);
    const [M, N, K] = [300, 200, 90];
    const a = new Float32Array(M * K).fill(0.5);
    const b = new Float32Array(K * N).fill(0.25);
    for (const shift of [1, 5, 15]) {
      const run = bothWays(plan, regionFor(plan, shift), product(k, a, b, [M, N, K], false, false));
      t.equal(run.arenaHeap, 0, `shifted ${shift} floats: no heap scratch`);
      t.same(bits(run.inArena), bits(run.onHeap), `shifted ${shift} floats: the same bits`);
    }
  });

  t.test("the backend's bindScratch binds a region and unbinds with null", async (t) => {
    const k = nativeBackend(addon, widest);
    const plan = nativeScratchPlan(addon, [[[64, 32]]]);
    const region = regionFor(plan);
    k.bindScratch(region, plan);
    t.equal(addon.scratchUse().bound, plan.gemm + plan.weights + plan.row, 'the parts are bound');
    k.bindScratch(null, NO_SCRATCH);
    t.equal(addon.scratchUse().bound, 0, 'unbound');
  });

  t.test('bad scratch arguments are coded errors and leave the binding as it was', async (t) => {
    const plan = nativeScratchPlan(addon, [[[64, 32]]]);
    bind(plan, regionFor(plan));
    t.throws(() => bind(plan, new Float32Array(plan.floats - 1)), {
      code: 'ERR_KERNELS_VIEW_TOO_SHORT',
      message: /region must be at least/,
    });
    // parts of 17 floats each take two lines each, plus a line of slack: 112 floats
    t.throws(() => addon.bindScratch(17, 17, 17, new Float32Array(111)), {
      code: 'ERR_KERNELS_VIEW_TOO_SHORT',
    });
    t.throws(() => addon.bindScratch(-1, 0, 0, new Float32Array(64)), { code: 'ERR_KERNELS_BAD_ARGUMENT' });
    t.throws(() => addon.bindScratch(1, 0, 0, new Float64Array(64) as unknown as Float32Array), {
      code: 'ERR_KERNELS_BAD_ARGUMENT',
    });
    t.equal(addon.scratchUse().bound, plan.gemm + plan.weights + plan.row, 'the first region is still bound');
    unbind();
  });
}
