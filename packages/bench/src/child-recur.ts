// One measurement of recur on one workload, in its own process so that its peak RSS is its own
// (worker threads share the process, so threads(W) counts all of them). Started by measure.ts as
//   node dist/child-recur.js '<spec as JSON>'
// It fits last hidden → Dense(1), MSE, Adam 1e-3 with @recur/nn's fit on threads(W) from
// @recur/parallel, on the batch in spec.dataFile (float32: x [B, T, I] batch-major, then y [B, 1])
// repeated for warm-up + timed steps (one epoch, no shuffle). A step's time is the wall time
// between fit's onBatchEnd callbacks on the main thread (so it includes filling the batch buffers
// and waking the threads). It prints one line `RECUR_BENCH_RESULT {json}`.
//
// Phases (detail.phasesMs, ms per timed step): compute (forward + backward: gemm, gate math, head
// and loss), wait (barriers), reduce (the all-reduce), update (clipping + the optimizer), each the
// mean over ranks of the ranks' shared timings; rest = the mean step − the busiest rank's phases
// (filling the batch buffers, waking the ranks, fit's bookkeeping). detail.kernels names the
// kernel backend and its ISA (RECUR_KERNELS picks it: recur-wasm runs with RECUR_KERNELS=wasm).
//
// All-reduce: (W + 1)·P·4 bytes (W gradient slots read, one written; balanced with A micro-batches
// a rank, (W·A + 2W + 1)·P·4: its two levels) ÷ the slowest rank's reduce
// time of each timed step (from the ranks' shared timings), median over the timed steps; beside
// it a plain memory copy (TypedArray.set) of the same byte count in this process, median of 21.
//
// With spec.alternate (the interleaved scaling measurement, run.ts) it fits on threads(W) for
// each W of the list in turn, spec.rounds times, each fit with a new model from the same seed,
// and prints only each fit's median timed step (result.rounds): the machine's drift from second
// to second then falls on every thread count alike.

import { readFileSync } from 'node:fs';
import { kernelBackend } from '@recur/kernels';
import { dense, gru, lstm, sequential } from '@recur/nn';
import { type ThreadsOptions, threads } from '@recur/parallel';
import { median } from './stats.js';
import type { ChildResult, ChildSpec } from './types.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSpec;
const { batch: B, timesteps: T, features: I, hidden: H, cell } = spec.workload;
const raw = readFileSync(spec.dataFile);
const floats = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const total = spec.warmup + spec.steps;
const x = new Float32Array(total * B * T * I);
const y = new Float32Array(total * B);
for (let s = 0; s < total; s++) {
  x.set(floats.subarray(0, B * T * I), s * B * T * I);
  y.set(floats.subarray(B * T * I, B * T * I + B), s * B);
}

/** What one fit recorded: the step times, the slowest rank's reduce per step, the ranks' timings. */
interface Fit {
  stamps: number[];
  reduceMs: number[];
  loss: number;
  strategy: ReturnType<typeof threads>;
  afterWarmup: ReturnType<ReturnType<typeof threads>['timings']> | null;
  params: number;
  /** per step, the CPU ms of the whole process (every thread) between onBatchEnd callbacks */
  cpuMs: number[];
}

/** This process's CPU time so far (user + system, all its threads), ms. */
function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** threads(W)'s options: balanced micro-batches of about spec.balance samples when W ≥ 2 and it is set. */
function balanced(world: number): ThreadsOptions {
  const samples = spec.balance ?? 0;
  if (world < 2 || samples <= 0) return {};
  return { accumulate: Math.ceil(B / world / samples), balance: true };
}

/** One fit of warm-up + timed steps on threads(world), with a new model from spec.seed. */
async function fitOnce(world: number): Promise<Fit> {
  const layer = cell === 'lstm' ? lstm({ units: H }) : gru({ units: H });
  const model = sequential([layer, dense({ units: 1 })], { inputShape: [T, I], seed: spec.seed });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 1e-3 } });
  const fit: Fit = {
    stamps: [],
    reduceMs: [],
    loss: 0,
    strategy: threads(world, balanced(world)),
    afterWarmup: null,
    params: model.layout.size,
    cpuMs: [],
  };
  let lastReduce = 0;
  let start = performance.now();
  let cpuStart = processCpuMs();
  await model.fit(
    { data: x, shape: [total * B, T, I] },
    { data: y, shape: [total * B, 1] },
    {
      epochs: 1,
      batchSize: B,
      shuffle: false,
      strategy: fit.strategy,
      callbacks: {
        onBatchEnd: (_batch, logs) => {
          const now = performance.now();
          fit.stamps.push(now - start);
          start = now;
          const cpu = processCpuMs();
          fit.cpuMs.push(cpu - cpuStart);
          cpuStart = cpu;
          fit.loss = logs.loss ?? fit.loss;
          const slowest = Math.max(...fit.strategy.timings().map((r) => r.reduceMs));
          fit.reduceMs.push(slowest - lastReduce);
          lastReduce = slowest;
          if (fit.stamps.length === spec.warmup) fit.afterWarmup = fit.strategy.timings();
        },
      },
    },
  );
  return fit;
}

function memcpyGBs(bytes: number): number {
  const a = new Float32Array(bytes / 4);
  const b = new Float32Array(bytes / 4);
  a.fill(1);
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    b.set(a);
    times.push(performance.now() - t0);
  }
  return bytes / (median(times.slice(1)) / 1000) / 1e9;
}

/** ms per timed step of each phase, the mean over ranks; rest: what no rank's phases cover. */
function phases({ stamps, strategy, afterWarmup }: Fit): Record<string, number> {
  const timed = stamps.slice(spec.warmup);
  const zero = { computeMs: 0, waitMs: 0, reduceMs: 0, updateMs: 0 };
  const t = strategy.timings().map((r, i) => {
    const w = afterWarmup?.[i] ?? zero;
    return [r.computeMs - w.computeMs, r.waitMs - w.waitMs, r.reduceMs - w.reduceMs, r.updateMs - w.updateMs];
  });
  const mean = (k: number) => t.reduce((a, r) => a + (r[k] as number), 0) / t.length / timed.length;
  const busiest = Math.max(...t.map((r) => r.reduce((a, x) => a + x, 0))) / timed.length;
  const step = timed.reduce((a, x) => a + x, 0) / timed.length;
  return { compute: mean(0), wait: mean(1), reduce: mean(2), update: mean(3), rest: step - busiest };
}

/** Balanced runs: micro-batches the ranks took from other ranks' parts, per timed step. */
function stolenPerStep({ stamps, strategy, afterWarmup }: Fit): number {
  const stolen = strategy.timings().reduce((a, r, i) => a + r.stolen - (afterWarmup?.[i]?.stolen ?? 0), 0);
  return stolen / stamps.slice(spec.warmup).length;
}

/** The interleaved scaling measurement: each fit's median timed step, round by round. */
async function alternate(worlds: number[], rounds: number): Promise<ChildResult> {
  const out: number[][] = [];
  const cpu: number[][] = [];
  let loss = 0;
  for (let r = 0; r < rounds; r++) {
    const row: number[] = [];
    const cpuRow: number[] = [];
    for (const world of worlds) {
      // the previous fit's arena (lstm-big's: 440 MB) is garbage: collect it first, or the fits
      // pile up in memory (one run without this: lstm-big's one-thread step grew from 407 to
      // 600 ms over five rounds); run.ts starts this child with --expose-gc
      (globalThis as { gc?: () => void }).gc?.();
      const fit = await fitOnce(world);
      row.push(median(fit.stamps.slice(spec.warmup)));
      cpuRow.push(median(fit.cpuMs.slice(spec.warmup)));
      loss = fit.loss;
    }
    out.push(row);
    cpu.push(cpuRow);
  }
  return {
    stepMs: [],
    warmupMs: [],
    loss,
    maxRssKb: process.resourceUsage().maxRSS,
    rounds: out,
    cpuRounds: cpu,
  };
}

/** One measurement at threads(spec.threads): its steps, phases and all-reduce bandwidth. */
async function measureOnce(): Promise<ChildResult> {
  const fit = await fitOnce(spec.threads);
  const P = fit.params;
  const W = spec.threads;
  // balanced (A > 1): W·A micro-batch slots read and W part sums written, then those W read and
  // slot 0 written (Note [balanced micro-batches] in @recur/parallel)
  const A = balanced(W).accumulate ?? 1;
  const bytes = (A > 1 ? W * A + 2 * W + 1 : W + 1) * P * 4;
  return {
    warmupMs: fit.stamps.slice(0, spec.warmup),
    stepMs: fit.stamps.slice(spec.warmup),
    loss: fit.loss,
    maxRssKb: process.resourceUsage().maxRSS,
    detail: {
      params: P,
      kernels: `${kernelBackend().name} ${kernelBackend().isa}`,
      phasesMs: phases(fit),
      threadsOptions: balanced(spec.threads),
      stolenPerStep: stolenPerStep(fit),
    },
    allReduce: {
      params: P,
      bytes,
      GBs: bytes / (Math.max(median(fit.reduceMs.slice(spec.warmup)), 1e-6) / 1000) / 1e9,
      memcpyGBs: memcpyGBs(bytes),
    },
  };
}

const result =
  spec.alternate === undefined ? await measureOnce() : await alternate(spec.alternate, spec.rounds ?? 1);
process.stdout.write(`RECUR_BENCH_RESULT ${JSON.stringify(result)}\n`);
