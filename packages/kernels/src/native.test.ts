// The native backend's boundary: where it loads ('auto' picks it on this machine kind; made
// unloadable, 'auto' falls back to wasm with one notice), every ISA build it carries agreeing
// with the reference, views of every kind of buffer used in place, worker threads loading their
// own instance, and coded errors for bad views. The kernel suite itself (gemm, recurrent
// parity and gradient checks, optimizers, capacity) runs on native through testBackends().
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { nativeKernels, referenceKernels, useKernelBackend } from './backend.js';
import { gemmReference } from './gemm.js';
import { nativeAddon } from './native/addon.js';
import { nativeBackend } from './native/kernels.js';
import type { DyMode, SequenceDims } from './sequence.js';
import { allClose, testRandom } from './testing/arrays.js';
import { nativeTestBackend, type TestBackend, tsTestBackend } from './testing/backends.js';
import {
  CELL_KINDS,
  type CellKind,
  makeProblem,
  makeRunner,
  zeroGrads,
} from './testing/recurrent-harness.js';
import { wasmApi } from './wasm/module.js';

/** The bytes of a float array, to compare bits. */
const bits = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

const DIST = new URL('../dist/index.js', import.meta.url).href;

/** CPU flags from /proc/cpuinfo (Linux), empty elsewhere. */
function cpuFlags(): Set<string> {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m);
    return new Set((line?.[1] ?? '').trim().split(/\s+/));
  } catch {
    return new Set();
  }
}

const flags = cpuFlags();
const hasAvx512 = ['avx512f', 'avx512bw', 'avx512vl', 'fma'].every((f) => flags.has(f));
const hasAvx2 = ['avx2', 'fma'].every((f) => flags.has(f));

/** Runs `code` (an ES module importing the built package) in a child node with `env`. */
function child(code: string, env: Record<string, string>) {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['RECUR_KERNELS', 'RECUR_NATIVE_ADDON', 'RECUR_NATIVE_ISA']) delete base[name];
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...base, ...env },
  });
  if (run.error) throw run.error;
  return run;
}

if (hasAvx512 && process.arch === 'x64' && process.platform === 'linux') {
  t.test("on this machine kind (AVX-512 on Linux x64) 'auto' is native running avx512", async (t) => {
    const auto = useKernelBackend('auto');
    t.equal(auto.name, 'native', nativeKernels().kernels === null ? 'the addon did not load' : 'native');
    t.equal(auto.isa, 'avx512');
  });
}

t.test("with the addon made unloadable, 'auto' is wasm and says why once per process", async (t) => {
  const code = `
    import { Worker } from 'node:worker_threads';
    const k = await import(${JSON.stringify(DIST)});
    const b = k.kernelBackend();
    console.log(b.name + ' ' + b.isa);
    const worker = new Worker('import(${JSON.stringify(DIST)}).then((k) => k.kernelBackend())', { eval: true });
    await new Promise((resolve, reject) => { worker.on('exit', resolve); worker.on('error', reject); });
    try { k.useKernelBackend('native'); } catch (e) { console.log(e.code + ': ' + e.message); }`;
  const run = child(code, { RECUR_NATIVE_ADDON: '/nonexistent/recur_kernels.node' });
  t.equal(run.status, 0, run.stderr);
  const out = run.stdout.trim().split('\n');
  t.equal(out[0], 'wasm simd128');
  t.match(
    out[1],
    /^ERR_KERNELS_BAD_BACKEND: useKernelBackend: 'native' asked for, but cannot load \/nonexistent/,
  );
  const notices = run.stderr.split('\n').filter((l) => l.includes('native backend unavailable'));
  t.equal(notices.length, 1, 'one line, from the main thread only');
  t.match(
    notices[0],
    /^@recur\/kernels: native backend unavailable \(cannot load \/nonexistent\/recur_kernels\.node: .*\); using wasm$/,
  );
});

t.test('RECUR_KERNELS=native forces it, and RECUR_NATIVE_ISA picks a narrower ISA', async (t) => {
  const code = `const k = await import(${JSON.stringify(DIST)}); const b = k.kernelBackend(); console.log(b.name + ' ' + b.isa);`;
  const run = child(code, { RECUR_KERNELS: 'native', RECUR_NATIVE_ISA: 'generic' });
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout.trim(), 'native generic');
  t.equal(run.stderr, '', 'no notice when native loads');
});

const load = nativeAddon();
if (load.addon === null) {
  t.pass(`the native addon does not load here (${load.reason}); only the fallback is testable`);
} else {
  const addon = load.addon;
  const widest = load.isa;
  const isas = ['generic', ...(hasAvx2 ? ['avx2'] : []), ...(hasAvx512 ? ['avx512'] : [])];
  const RTOL = 1e-5;
  const ATOL = 1e-5;

  /** A test backend whose every call runs `isa` (selected on this thread for the test's length). */
  const isaBackend = (isa: string): TestBackend => ({
    ...tsTestBackend,
    name: 'native',
    kernels: nativeBackend(addon, isa),
  });

  for (const isa of isas) {
    t.test(
      `[${isa}] gemm matches the reference in every transpose case, with alpha, beta and leading dimensions`,
      async (t) => {
        t.equal(addon.selectIsa(isa), isa);
        const k = isaBackend(isa).kernels;
        const random = testRandom(7);
        for (const [M, N, K] of [
          [1, 1, 1],
          [9, 33, 70],
          [64, 512, 128],
          [37, 19, 131],
          [301, 45, 150], // M ≥ 256: the strips of A outermost (native/src/isa/gemm.cc)
        ]) {
          for (const transA of [false, true])
            for (const transB of [false, true]) {
              const lda = (transA ? M : K) + 2;
              const ldb = (transB ? K : N) + 3;
              const ldc = N + 1;
              const a = Float32Array.from({ length: (transA ? K : M) * lda }, () => random() - 0.5);
              const b = Float32Array.from({ length: (transB ? N : K) * ldb }, () => random() - 0.5);
              const c = Float32Array.from({ length: M * ldc }, () => random() - 0.5);
              const expected = c.slice();
              k.gemm(c, a, b, M, N, K, transA, transB, 0.75, -0.5, lda, ldb, ldc);
              gemmReference(expected, a, b, M, N, K, transA, transB, 0.75, -0.5, lda, ldb, ldc);
              const r = allClose(c, expected, RTOL, ATOL);
              t.ok(r.ok, `M=${M} N=${N} K=${K} transA=${transA} transB=${transB}: ${r.message}`);
            }
        }
        addon.selectIsa(widest);
      },
    );

    t.test(
      `[${isa}] Aᵀ·B accumulated over K rows ≡ the same in blocks of 256 rows, in order (weight gradients)`,
      async (t) => {
        // the recurrent backward's weight gradients take dGates 256 rows at a time
        // (GRADIENT_ROW_BLOCK in native/src/isa/steps.h); the bits must be those of one call
        addon.selectIsa(isa);
        const k = isaBackend(isa).kernels;
        const random = testRandom(13);
        for (const [M, N, K] of [
          [512, 128, 800],
          [384, 32, 3200],
          [48, 40, 300],
        ]) {
          const a = Float32Array.from({ length: K * M }, () => random() - 0.5);
          const b = Float32Array.from({ length: K * N }, () => random() - 0.5);
          const whole = Float32Array.from({ length: M * N }, () => random() - 0.5);
          const blocked = whole.slice();
          k.gemm(whole, a, b, M, N, K, true, false, 1, 1);
          for (let r0 = 0; r0 < K; r0 += 256) {
            const n = Math.min(256, K - r0);
            const aRows = a.subarray(r0 * M, (r0 + n) * M);
            k.gemm(blocked, aRows, b.subarray(r0 * N, (r0 + n) * N), M, N, n, true, false, 1, 1);
          }
          t.ok(bits(blocked).equals(bits(whole)), `M=${M} N=${N} K=${K}: the same bits`);
        }
        addon.selectIsa(widest);
      },
    );

    for (const kind of CELL_KINDS) {
      t.test(`[${isa}] ${kind}: one-call forward and backward match the reference`, async (t) => {
        addon.selectIsa(isa);
        const dims: SequenceDims = {
          T: 5,
          B: 3,
          I: 4,
          H: 7,
          reverse: true,
          lengths: Int32Array.from([5, 2, 0]),
        };
        for (const dyMode of ['all', 'last'] as DyMode[]) {
          const results = [tsTestBackend, isaBackend(isa)].map((backend) => {
            const p = makeProblem(kind, dims, testRandom(3), backend);
            const run = makeRunner(kind, dims, backend);
            const grads = zeroGrads(p.w, backend);
            const dx = new Float32Array(dims.T * dims.B * dims.I);
            const dh0 = new Float32Array(dims.B * dims.H);
            const dc0 = new Float32Array(dims.B * dims.H);
            const random = testRandom(5);
            const dy = Float32Array.from(
              { length: (dyMode === 'all' ? dims.T : 1) * dims.B * dims.H },
              () => random() - 0.5,
            );
            const dhT = Float32Array.from({ length: dims.B * dims.H }, () => random() - 0.5);
            run.forward(p);
            run.backward(p, dx, dh0, dc0, grads, dy, dyMode, dhT, kind === 'lstm' ? dhT : null);
            return [p.y, p.hT, p.cT, dx, dh0, dc0, grads.dWIh, grads.dWHh, grads.dBIh, grads.dBHh];
          });
          for (let i = 0; i < results[0].length; i++) {
            const r = allClose(results[1][i], results[0][i], RTOL, ATOL);
            t.ok(r.ok, `${dyMode}, output ${i}: ${r.message}`);
          }
        }
        addon.selectIsa(widest);
      });
    }
  }

  for (const isa of isas) {
    t.test(`[${isa}] every optimizer equals the reference bit for bit`, async (t) => {
      addon.selectIsa(isa);
      const k = nativeBackend(addon, isa);
      const P = 1000;
      const random = testRandom(17);
      const start = () => Float32Array.from({ length: P }, () => random() - 0.5);
      const params = start();
      const grads = Array.from({ length: 3 }, start);
      const sgd = { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true, weightDecay: 0.01 };
      const adam = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.05 };
      const rmsprop = { lr: 0.01, alpha: 0.9, eps: 1e-8, weightDecay: 0.01, momentum: 0.5, centered: true };
      const zeros = () => new Float32Array(P);
      const runs = [k, referenceKernels].map((b) => {
        const [p, s1] = [params.slice(), zeros()];
        const [q, m, v] = [params.slice(), zeros(), zeros()];
        const [w, mw, vw] = [params.slice(), zeros(), zeros()];
        const [r, sq, avg, buf] = [params.slice(), zeros(), zeros(), zeros()];
        for (let step = 1; step <= 3; step++) {
          const g = grads[step - 1];
          b.sgdUpdate(p, s1, g, 3, P, step, sgd);
          b.adamUpdate(q, m, v, g, 0, P - 5, step, adam);
          b.adamwUpdate(w, mw, vw, g, 0, P, step, adam);
          b.rmspropUpdate(r, sq, avg, buf, g, 0, P, step, rmsprop);
        }
        return [p, s1, q, m, v, w, mw, vw, r, sq, avg, buf].map((a) => Array.from(a));
      });
      t.same(runs[0], runs[1]);
      addon.selectIsa(widest);
    });
  }

  t.test(
    'views of an ArrayBuffer, a SharedArrayBuffer and a shared WebAssembly.Memory run in place alike',
    async (t) => {
      const random = testRandom(11);
      const [M, N, K] = [5, 40, 9];
      const values = Float32Array.from({ length: M * K + K * N }, () => random() - 0.5);
      const memory = new (wasmApi().Memory)({ initial: 1, maximum: 1, shared: true });
      const buffers: ArrayBufferLike[] = [
        new ArrayBuffer(65536),
        new SharedArrayBuffer(65536),
        memory.buffer,
      ];
      const results = buffers.map((buffer) => {
        const a = new Float32Array(buffer, 64, M * K);
        const b = new Float32Array(buffer, 64 + 4 * M * K, K * N);
        const c = new Float32Array(buffer, 4096, M * N);
        a.set(values.subarray(0, M * K));
        b.set(values.subarray(M * K));
        nativeTestBackend()?.kernels.gemm(c, a, b, M, N, K, false, false);
        return Array.from(c);
      });
      t.ok(
        results[0].some((v) => v !== 0),
        'the product was written into the view',
      );
      t.same(results[1], results[0], 'SharedArrayBuffer: the same bits');
      t.same(results[2], results[0], 'WebAssembly.Memory: the same bits');
    },
  );

  t.test('T = 0: the final state is the initial one and dh0 receives dhT, as the reference', async (t) => {
    const native = nativeTestBackend();
    if (native === null) return;
    for (const kind of CELL_KINDS) {
      const dims: SequenceDims = { T: 0, B: 2, I: 3, H: 4, reverse: false, lengths: null };
      const results = [tsTestBackend, native].map((backend) => {
        backend.fresh();
        const p = makeProblem(kind, dims, testRandom(9), backend);
        const run = makeRunner(kind, dims, backend);
        const grads = zeroGrads(p.w, backend);
        const [dh0, dc0] = [backend.allocate(8), backend.allocate(8)];
        const dhT = backend.copy([1, 2, 3, 4, 5, 6, 7, 8]);
        run.forward(p);
        run.backward(p, backend.allocate(0), dh0, dc0, grads, null, 'all', dhT, kind === 'lstm' ? dhT : null);
        return [p.hT, p.cT, dh0, dc0].map((a) => Array.from(a));
      });
      t.same(results[1], results[0], kind);
    }
  });

  t.test('a worker thread loads its own instance and computes the same bits', async (t) => {
    const shared = new SharedArrayBuffer(4 * (64 + 64 + 16));
    const a = new Float32Array(shared, 0, 64);
    const b = new Float32Array(shared, 256, 64);
    const random = testRandom(13);
    for (let i = 0; i < 64; i++) [a[i], b[i]] = [random(), random()];
    const mine = new Float32Array(16);
    nativeTestBackend()?.kernels.gemm(mine, a, b, 4, 4, 16, false, true);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(${JSON.stringify(DIST)}).then((k) => {
        const s = workerData;
        const c = new Float32Array(s, 512, 16);
        const b = k.useKernelBackend('native');
        b.gemm(c, new Float32Array(s, 0, 64), new Float32Array(s, 256, 64), 4, 4, 16, false, true);
        parentPort.postMessage(b.isa);
      });`;
    const worker = new Worker(code, { eval: true, workerData: shared });
    const isa = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    t.equal(isa, widest);
    t.same(Array.from(new Float32Array(shared, 512, 16)), Array.from(mine));
  });

  t.test(
    'transposeBatchTime: the reference bit for bit, in place on shared views; short views coded',
    async (t) => {
      const k = nativeTestBackend()?.kernels;
      if (k === undefined) return;
      const random = testRandom(21);
      for (const [B, T, F] of [
        [1, 1, 1],
        [3, 5, 7],
        [64, 50, 32],
      ]) {
        const shared = new SharedArrayBuffer(4 * (2 * B * T * F + 16));
        const x = new Float32Array(shared, 64, B * T * F);
        x.set(Float32Array.from({ length: B * T * F }, () => random() - 0.5));
        const out = new Float32Array(shared, 64 + 4 * B * T * F, B * T * F);
        const expected = new Float32Array(B * T * F);
        referenceKernels.transposeBatchTime(expected, x, B, T, F);
        k.transposeBatchTime(out, x, B, T, F);
        t.ok(bits(out).equals(bits(expected)), `B=${B} T=${T} F=${F}: the same bits`);
      }
      const out = new Float32Array(11).fill(7);
      t.throws(() => k.transposeBatchTime(out, new Float32Array(12), 2, 3, 2), {
        code: 'ERR_KERNELS_VIEW_TOO_SHORT',
        message: /out must be at least 12 elements, got 11/,
      });
      t.same(Array.from(out), new Array(11).fill(7), 'out untouched');
    },
  );

  t.test('bad views are coded errors, before any work', async (t) => {
    const k = nativeTestBackend()?.kernels;
    if (k === undefined) return;
    const c = new Float32Array(9);
    c.fill(7);
    t.throws(() => k.gemm(c, new Float32Array(12), new Float32Array(11), 3, 3, 4, false, true), {
      code: 'ERR_KERNELS_VIEW_TOO_SHORT',
      message: /B must be at least 12 elements, got 11/,
    });
    t.throws(
      () =>
        k.gemm(
          c,
          new Float64Array(12) as unknown as Float32Array,
          new Float32Array(12),
          3,
          3,
          4,
          false,
          true,
        ),
      {
        code: 'ERR_KERNELS_BAD_ARGUMENT',
      },
    );
    t.same(Array.from(c), new Array(9).fill(7), 'C untouched');
    const dims: SequenceDims = { T: 2, B: 2, I: 3, H: 4, reverse: false, lengths: null };
    const p = makeProblem('lstm' as CellKind, dims, testRandom(1));
    const short = makeProblem('lstm' as CellKind, { ...dims, T: 1 }, testRandom(1));
    const run = makeRunner('lstm', dims, nativeTestBackend() ?? tsTestBackend);
    t.throws(() => run.forward({ ...p, y: short.y }), {
      code: 'ERR_KERNELS_VIEW_TOO_SHORT',
      message: /y must be/,
    });
  });
}
