// Kernel benchmark, one thread, every kernel backend side by side: @recur/kernels' gemm on the
// lstm-std shapes, and lstm-std training steps (BENCHMARKS.md in the team's shared folder
// describes the workloads and the peers' figures); with --threads, lstm-std trained by @recur/nn's
// fit on threads(1) and threads(2) for each backend (scripts/bench-threads.mjs in child processes,
// RECUR_KERNELS=ts, =wasm and =native).
//
//   pnpm exec turbo run build   # the script imports the built dist of @recur/kernels
//   node scripts/bench-kernels.mjs [--reps 5] [--json] [--threads] [--clock wall|cpu]
//
// --clock cpu times the one-thread figures (gemm, the FMA peak, PyTorch's products, lstm-std
// steps) by this process's CPU time instead of the wall clock: on a machine shared with other
// work, the time a process spends descheduled then does not count (the --threads runs stay on
// the wall clock: they are several threads).
//
// Backends: 'ts' is the tuned TypeScript gemm and the reference kernels on plain arrays; 'wasm'
// is the WebAssembly SIMD backend, its operands in a kernel memory (createKernelMemory), timed
// after the same warm-up (V8 first runs new WebAssembly in its baseline tier); 'native' is the
// Node-API addon on plain arrays, at the ISA it picked (RECUR_NATIVE_ISA narrows it), with its
// core's FMA peak measured in the same run (the addon's register-only FMA loop, median of --reps)
// so each native figure also reads as a share of what this core can do right now.
//
// Section 1, matrix products. GFLOP/s = 2·M·N·K / seconds, for the tuned `gemm` and for a
// naive triple loop defined below (i, j, k order, one multiply-add per element, no blocking),
// both timed in this run on the same operands, with the ratio tuned ÷ naive. Each figure is the
// median of --reps timed samples after warm-up; a sample repeats the call until it lasts ≥ 20 ms.
// Shapes: the three "64×160·160×512 style" products of BENCHMARKS.md (the step product of an
// LSTM on [x, h] and its two backward transposes), then the products our LSTM really runs for
// lstm-std (B=64, T=50, I=32, H=128, G=4H=512; T·B=3200 rows):
//   A·Bᵀ  input projection X·W_ihᵀ (3200×32)·(512×32)ᵀ, and per step h·W_hhᵀ (64×128)·(512×128)ᵀ
//   A·B   per step dGates·W_hh (64×512)·(512×128), and dX = dGates·W_ih (3200×512)·(512×32)
//   Aᵀ·B  dW_hh = dGatesᵀ·H (3200×512)ᵀ·(3200×128), and dW_ih = dGatesᵀ·X (3200×512)ᵀ·(3200×32)
//
// Section 2, lstm-std training: samples/s for one whole training step (LSTM forward, Dense(1)
// head on the last hidden state, MSE, backward, Adam 1e-3 over all parameters) on one thread,
// and the median milliseconds of each phase (forward, head, backward, update).
// A sample is one whole sequence: samples/s = 64 × steps ÷ seconds, here 64 ÷ the median step
// time after 2 warm-up steps. A step is about 1.57 GFLOP of matrix work (3 × 2·B·T·(I+H)·G).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as kernels from '@recur/kernels';
import { GEMM_PRODUCTS, lineAligned } from './gemm-products.mjs';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    threads: { type: 'boolean', default: false },
    clock: { type: 'string', default: 'wall' },
  },
});
const reps = Number(values.reps);
if (values.clock !== 'wall' && values.clock !== 'cpu') {
  console.error(`--clock must be wall or cpu, got ${values.clock}`);
  process.exit(2);
}
/** Milliseconds on the chosen clock. */
const now =
  values.clock === 'cpu'
    ? () => {
        const used = process.cpuUsage();
        return (used.user + used.system) / 1000;
      }
    : () => performance.now();
if (!Number.isInteger(reps) || reps < 5) {
  console.error(`--reps must be an integer >= 5, got ${values.reps}`);
  process.exit(2);
}

/** The naive baseline: C (M, N) = op(A) · op(B), strides chosen once, no blocking or tiling. */
function naiveGemm(c, a, b, M, N, K, transA, transB) {
  const aRow = transA ? 1 : K; // op(A)[i, k] = a[i·aRow + k·aDepth]
  const aDepth = transA ? M : 1;
  const bDepth = transB ? 1 : N; // op(B)[k, j] = b[k·bDepth + j·bCol]
  const bCol = transB ? K : 1;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += a[i * aRow + k * aDepth] * b[k * bDepth + j * bCol];
      c[i * N + j] = sum;
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median seconds per call of fn over `reps` samples, after warm-up; calls batched to ≥ 20 ms. */
function timeCall(fn) {
  let t0 = now();
  fn(); // warm-up, and a first estimate of the call's length
  fn();
  const estimate = (now() - t0) / 2;
  const calls = Math.max(1, Math.ceil(20 / Math.max(estimate, 1e-3)));
  for (let i = 0; i < calls; i++) fn();
  const samples = [];
  for (let r = 0; r < reps; r++) {
    t0 = now();
    for (let i = 0; i < calls; i++) fn();
    samples.push((now() - t0) / 1000 / calls);
  }
  return median(samples);
}

/** Bump allocation in one kernel memory (the wasm backend's operands must lie in it). */
const WASM_ARENA_BYTES = 256 * 1024 * 1024;
const wasm = kernels.wasmSimdSupported() ? kernels.createKernelMemory(WASM_ARENA_BYTES, 1) : null;
let wasmNext = wasm?.arenaOffset ?? 0;
function wasmAllocate(length) {
  const start = Math.ceil(wasmNext / 64) * 64;
  if (start + length * 4 > wasm.arenaOffset + WASM_ARENA_BYTES) throw new Error('bench: kernel memory full');
  wasmNext = start + length * 4;
  return new Float32Array(wasm.memory.buffer, start, length);
}
const plainAllocate = lineAligned; // line-aligned, as nn's arena places them

/** The native backend where its addon loads (else null, with the reason printed). */
const nativeFound = kernels.nativeKernels();
const native = nativeFound.kernels;

/** The backends measured: [name, kernels, allocate]. */
const BACKENDS = [
  ['ts', kernels.referenceKernels, plainAllocate],
  ...(wasm === null ? [] : [['wasm', wasm.kernels, wasmAllocate]]),
  ...(native === null ? [] : [['native', native, plainAllocate]]),
];

/** GFLOP/s of the addon's register-only FMA loop at its ISA: the core's peak, measured now. */
function fmaPeak() {
  if (native === null) return null;
  const { addon } = kernels.nativeAddon();
  const flops = addon.fmaPeak(1e6);
  return flops / timeCall(() => addon.fmaPeak(1e6)) / 1e9;
}

function randomOperand(length, index, allocate = plainAllocate) {
  const out = allocate(length);
  kernels.fillUniform(out, 1, kernels.RandomPurpose.init, 0, index, -1, 1);
  return out;
}

const PRODUCTS = GEMM_PRODUCTS;

/**
 * PyTorch's GFLOP/s on the same products (one thread, OpenBLAS when Debian's openblas-openmp is
 * installed), from scripts/bench-gemm-torch.py; null with a reason when PyTorch is not here.
 */
function torchProducts() {
  const script = fileURLToPath(new URL('./bench-gemm-torch.py', import.meta.url));
  const openblas = [
    '/usr/lib/x86_64-linux-gnu/openblas-openmp',
    '/usr/lib/aarch64-linux-gnu/openblas-openmp',
  ].filter((d) => existsSync(d));
  const env = { ...process.env, OMP_NUM_THREADS: '1', RECUR_BENCH_CLOCK: values.clock };
  if (openblas.length > 0)
    env.LD_LIBRARY_PATH = [...openblas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const run = spawnSync('/usr/bin/python3', [script], {
    input: JSON.stringify(PRODUCTS),
    env,
    encoding: 'utf8',
  });
  if (run.error !== undefined || run.status !== 0) {
    return {
      gflops: null,
      note: `PyTorch skipped: ${(run.error?.message ?? run.stderr).trim().split('\n').pop()}`,
    };
  }
  const blas =
    openblas.length > 0 ? 'OpenBLAS (openmp)' : "Debian's reference BLAS (install libopenblas0-openmp)";
  return { gflops: JSON.parse(run.stdout), note: `PyTorch on one thread with ${blas}` };
}

function benchProducts() {
  return PRODUCTS.map(([label, M, N, K, transA, transB], index) => {
    const a = randomOperand(M * K, 2 * index);
    const b = randomOperand(K * N, 2 * index + 1);
    const c = plainAllocate(M * N);
    const flop = 2 * M * N * K;
    const tuned = flop / timeCall(() => kernels.gemm(c, a, b, M, N, K, transA, transB)) / 1e9;
    const naive = flop / timeCall(() => naiveGemm(c, a, b, M, N, K, transA, transB)) / 1e9;
    // the peak right before the native timing: on a shared machine the load changes within a run
    const peakGflops = fmaPeak();
    const nativeGflops =
      native === null ? null : flop / timeCall(() => native.gemm(c, a, b, M, N, K, transA, transB)) / 1e9;
    let wasmGflops = null;
    if (wasm !== null) {
      const [wa, wb, wc] = [wasmAllocate(M * K), wasmAllocate(K * N), wasmAllocate(M * N)];
      wa.set(a);
      wb.set(b);
      wasmGflops = flop / timeCall(() => wasm.kernels.gemm(wc, wa, wb, M, N, K, transA, transB)) / 1e9;
    }
    return {
      label,
      M,
      N,
      K,
      transA,
      transB,
      tunedGflops: tuned,
      wasmGflops,
      nativeGflops,
      peakGflops,
      naiveGflops: naive,
      ratio: tuned / naive,
    };
  });
}

const TRAINING_EXPORTS = [
  'lstmForward',
  'lstmBackward',
  'allocateLstmCache',
  'allocateLstmWorkspace',
  'denseForward',
  'denseBackward',
  'mseLoss',
  'adamUpdate',
  'fillNormal',
];

/** lstm-std on one backend: one flat parameter buffer (layout table), as the trainer holds it. */
function benchLstmStd([backend, k, allocate]) {
  const exported = new Map(Object.entries(kernels));
  const missing = TRAINING_EXPORTS.filter((name) => typeof exported.get(name) !== 'function');
  if (missing.length > 0) return { available: false, missing };
  const [B, T, I, H] = [64, 50, 32, 128];
  const G = 4 * H;
  const layout = [
    ['lstm.weight_ih', G * I],
    ['lstm.weight_hh', G * H],
    ['lstm.bias_ih', G],
    ['lstm.bias_hh', G],
    ['head.weight', H],
    ['head.bias', 1],
  ];
  const P = layout.reduce((sum, [, size]) => sum + size, 0);
  const [params, grads, moment1, moment2] = [0, 1, 2, 3].map(() => allocate(P));
  const views = (buffer) => {
    let offset = 0;
    return layout.map(([, size]) => {
      offset += size;
      return buffer.subarray(offset - size, offset);
    });
  };
  const [wIh, wHh, bIh, bHh, headW, headB] = views(params);
  const [dWIh, dWHh, dBIh, dBHh, dHeadW, dHeadB] = views(grads);
  const bound = 1 / Math.sqrt(H); // Porting note: PyTorch's U(±1/sqrt(H)) for LSTM and this head
  views(params).forEach((view, i) => {
    kernels.fillUniform(view, 1, kernels.RandomPurpose.init, 0, i, -bound, bound);
  });
  const weights = { wIh, wHh, bIh, bHh };
  const lstmGrads = { dWIh, dWHh, dBIh, dBHh };
  const dims = { T, B, I, H, reverse: false, lengths: null };
  const cache = kernels.allocateLstmCache(dims, allocate);
  const work = kernels.allocateLstmWorkspace(dims, allocate);
  const x = allocate(T * B * I); // (T, B, I) time-major
  const target = allocate(B); // (B, 1)
  kernels.fillNormal(x, 1, kernels.RandomPurpose.sample, 0, 0, 0, 1);
  kernels.fillNormal(target, 1, kernels.RandomPurpose.sample, 0, 1, 0, 1);
  const y = allocate(T * B * H); // (T, B, H)
  const hT = allocate(B * H); // (B, H)
  const cT = allocate(B * H); // (B, H)
  const prediction = allocate(B); // (B, 1)
  const dPrediction = allocate(B); // (B, 1)
  const dhT = allocate(B * H); // (B, H)
  const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  let step = 0;
  let loss = 0;
  // the step in phases, each timed on the clock: where a step's time goes on this backend
  const phase = { forward: 0, head: 0, backward: 0, update: 0 };
  const timed = (name, fn) => {
    const t0 = now();
    fn();
    phase[name] = now() - t0;
  };
  const trainStep = () => {
    step += 1;
    timed('forward', () => k.lstmForward(y, hT, cT, cache, x, null, null, weights, dims));
    timed('head', () => {
      k.denseForward(prediction, hT, headW, headB, B, H, 1);
      loss = kernels.mseLoss(dPrediction, prediction, target, null, B, 1, 'mean');
      grads.fill(0);
      dhT.fill(0);
      k.denseBackward(dhT, dHeadW, dHeadB, hT, headW, dPrediction, B, H, 1);
    });
    timed('backward', () =>
      k.lstmBackward(null, null, null, lstmGrads, work, cache, x, weights, null, 'all', dhT, null, dims),
    );
    timed('update', () => k.adamUpdate(params, moment1, moment2, grads, 0, P, step, adam));
  };
  for (let i = 0; i < 3; i++) trainStep();
  const times = [];
  const phases = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    trainStep();
    times.push((now() - t0) / 1000);
    phases.push({ ...phase });
  }
  const stepSeconds = median(times);
  const flopPerStep = 3 * 2 * B * T * (I + H) * G;
  return {
    backend,
    available: true,
    batch: B,
    steps: reps,
    medianStepMs: stepSeconds * 1000,
    samplesPerSecond: B / stepSeconds,
    gflops: flopPerStep / stepSeconds / 1e9,
    /** median milliseconds of each phase: LSTM forward, Dense head + MSE + its backward, LSTM backward, Adam */
    phaseMs: Object.fromEntries(Object.keys(phase).map((name) => [name, median(phases.map((p) => p[name]))])),
    lastLoss: loss,
  };
}

/** lstm-std through @recur/nn's fit on threads(1) and threads(2), per backend, in child processes. */
function benchThreads() {
  const script = fileURLToPath(new URL('./bench-threads.mjs', import.meta.url));
  return BACKENDS.map(([backend]) => {
    const run = spawnSync(
      process.execPath,
      [script, '--workloads', 'lstm-std', '--threads', '1,2', '--steps', '6', '--json'],
      { env: { ...process.env, RECUR_KERNELS: backend }, encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    if (run.status !== 0)
      return { backend, error: (run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ') };
    return { backend, result: JSON.parse(run.stdout) };
  });
}

const products = benchProducts();
const torch = torchProducts();
products.forEach((p, i) => {
  p.torchGflops = torch.gflops?.[i] ?? null;
});
const lstmStd = BACKENDS.map((backend) => benchLstmStd(backend));
const threadRuns = values.threads ? benchThreads() : [];

if (values.json) {
  console.log(
    JSON.stringify(
      {
        node: process.version,
        reps,
        clock: values.clock,
        native: native === null ? { unavailable: nativeFound.reason } : { isa: native.isa },
        products,
        torch: torch.note,
        lstmStd,
        threads: threadRuns,
      },
      null,
      2,
    ),
  );
} else {
  const width = Math.max(...products.map((p) => p.label.length));
  const cell = (v) => (v === null ? '    -' : v.toFixed(1).padStart(5));
  const times = (v) => (Number.isFinite(v) ? `${v.toFixed(2).padStart(5)}×` : '     -');
  console.log(
    `gemm, one thread, GFLOP/s (median of ${reps}, ${values.clock} clock), node ${process.version}`,
  );
  console.log(
    native === null
      ? `native: unavailable (${nativeFound.reason})`
      : `native ISA ${native.isa}; %peak: of this core's FMA peak measured just before (peak column)`,
  );
  console.log(
    `${'product'.padEnd(width)}     ts   wasm native  naive   peak  %peak  nat÷wasm  torch  nat÷torch  wasm÷torch`,
  );
  for (const p of products) {
    const nat = p.nativeGflops ?? Number.NaN;
    const wsm = p.wasmGflops ?? Number.NaN;
    const share = native === null ? '    -' : `${((100 * nat) / p.peakGflops).toFixed(0).padStart(4)}%`;
    const torchCells =
      p.torchGflops === null
        ? '    -          -           -'
        : `${cell(p.torchGflops)}  ${times(nat / p.torchGflops).padStart(9)}  ${times(wsm / p.torchGflops).padStart(10)}`;
    console.log(
      `${p.label.padEnd(width)}  ${[p.tunedGflops, p.wasmGflops, p.nativeGflops, p.naiveGflops, p.peakGflops].map(cell).join('  ')}  ${share}  ${times(nat / wsm).padStart(8)}  ${torchCells}`,
    );
  }
  console.log(torch.note);
  console.log('');
  for (const r of lstmStd) {
    if (!r.available) {
      console.log(`lstm-std: not available yet (missing export ${r.missing.join(', ')})`);
      continue;
    }
    console.log(
      `lstm-std, one thread, ${r.backend.padEnd(6)}: ${r.samplesPerSecond.toFixed(1)} samples/s ` +
        `(median step ${r.medianStepMs.toFixed(1)} ms over ${r.steps} steps, ` +
        `${r.gflops.toFixed(2)} GFLOP/s of matrix work); ms per phase: ` +
        Object.entries(r.phaseMs)
          .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
          .join(', '),
    );
  }
  for (const run of threadRuns) {
    if (run.error !== undefined) {
      console.log(`lstm-std via fit, ${run.backend}: failed (${run.error})`);
      continue;
    }
    console.log(`lstm-std via fit, ${run.backend}: ${JSON.stringify(run.result)}`);
  }
}
