// runBenchmarks: the standard workloads on recur's threads(W) for every W and on every peer,
// each measurement in its own child process, interleaved (repeat by repeat, workload by
// workload, the order of the systems rotated each repeat), reported as medians. Then, per
// workload, recur's interleaved scaling: one child that alternates fits on threads(W) for every W
// (child-recur.ts with spec.alternate), ratios taken within each round (Note [interleaved scaling]).
//
// Note [interleaved scaling]: on a shared or virtual machine the speed drifts by ±25% within a
// minute, and the measurements above are seconds apart, so their samples/s ratio (the table's
// "×1 thread/node") moves with the drift as much as with the thread count: threads(2) ÷
// threads(1) read 1.43–2.04× on one idle 2-vCPU machine in one day. Fits alternated within one
// process, a fraction of a second each, see the same machine; the speedup is the median over
// rounds of each round's own ratio. Both figures are reported; neither replaces the other.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillNormal, RandomPurpose } from '@recur/kernels';
import { BenchErrorCode } from './errors.js';
import { runChild } from './measure.js';
import {
  type BenchOptions,
  type ClusterPrecision,
  RECUR_KINDS,
  type ResolvedOptions,
  resolveOptions,
  type SystemKind,
} from './options.js';
import { ensureTfjs, ensureTorch, torchEnv } from './peers.js';
import { interleavedCpuBound, interleavedSpeedup, rates, ratios, summarise } from './stats.js';
import type { BenchReport, ChildSpec, Measurement, PeerStatus, Scaling, SystemId } from './types.js';
import { flopPerStep, WORKLOADS, type Workload } from './workloads.js';

export const CLUSTER_NOTE =
  'cluster: recur cluster N nodes = a coordinator and N node processes of threads(1) each on loopback, all on this machine';

// the compiled children: from src/ (tests) and dist/ alike they lie in the package's dist/
const childRecur = fileURLToPath(new URL('../dist/child-recur.js', import.meta.url));
const childCluster = fileURLToPath(new URL('../dist/child-cluster.js', import.meta.url));
const runners = fileURLToPath(new URL('../runners/', import.meta.url));

/**
 * The systems of a run in their base order: recur at each W, tfjs cpu and wasm, PyTorch at each
 * W, recur's cluster at each node count.
 */
export function planSystems(
  systems: readonly SystemKind[],
  threads: readonly number[],
  peers: PeerStatus[],
  clusterNodes: readonly number[] = [1, 2],
  clusterPrecisions: readonly ClusterPrecision[] = ['fp32'],
  clusterBucketBytes: readonly number[] = [0],
): SystemId[] {
  const version = (name: PeerStatus['name']) => peers.find((p) => p.name === name)?.version ?? '';
  const out: SystemId[] = [];
  if (systems.includes('recur')) {
    for (const w of threads)
      out.push({ id: `recur-${w}`, kind: 'recur', threads: w, label: `recur threads(${w})` });
  }
  if (systems.includes('recur-wasm')) {
    for (const w of threads)
      out.push({ id: `recur-wasm-${w}`, kind: 'recur-wasm', threads: w, label: `recur wasm threads(${w})` });
  }
  for (const kind of ['tfjs-cpu', 'tfjs-wasm'] as const) {
    if (systems.includes(kind)) {
      out.push({ id: kind, kind, threads: 1, label: `tfjs ${version('tfjs')} ${kind.slice(5)}` });
    }
  }
  if (systems.includes('torch')) {
    for (const w of threads) {
      const label = `PyTorch ${version('torch').replace(/a0$/, '')} ${w} thread${w === 1 ? '' : 's'}`;
      out.push({ id: `torch-${w}`, kind: 'torch', threads: w, label });
    }
  }
  if (systems.includes('cluster')) {
    for (const bucketBytes of clusterBucketBytes) {
      for (const precision of clusterPrecisions) {
        for (const n of clusterNodes) {
          const fp16 = precision === 'fp16';
          const buckets = bucketBytes > 0 ? `, buckets ≥ ${bucketBytes} B` : '';
          const label = `recur cluster ${n} node${n === 1 ? '' : 's'} × 1 thread${fp16 ? ' fp16' : ''}${buckets}`;
          const id = `cluster-${n}${fp16 ? '-fp16' : ''}${bucketBytes > 0 ? `-b${bucketBytes}` : ''}`;
          const system: SystemId = { id, kind: 'cluster', threads: n, label, precision };
          out.push(bucketBytes > 0 ? { ...system, bucketBytes } : system);
        }
      }
    }
  }
  return out;
}

/** The batch every system trains on: float32 x [B, T, I] then y [B, 1], random normal, seeded. */
export function workloadData(w: Workload, seed: number): Float32Array {
  const n = w.batch * w.timesteps * w.features;
  const out = new Float32Array(n + w.batch);
  fillNormal(out.subarray(0, n), seed, RandomPurpose.sample, 0, 0, 0, 1);
  fillNormal(out.subarray(n), seed, RandomPurpose.sample, 0, 1, 0, 1);
  return out;
}

function command(spec: ChildSpec, o: ResolvedOptions, what: string) {
  const arg = JSON.stringify(spec);
  const base = { cwd: o.cacheDir, timeoutMs: o.childTimeoutMs, what };
  // the interleaved scaling child collects the last fit's memory before the next (--expose-gc)
  const gc = spec.alternate === undefined ? [] : ['--expose-gc'];
  if (spec.system === 'recur') return { ...base, command: process.execPath, args: [...gc, childRecur, arg] };
  if (spec.system === 'recur-wasm') {
    const env = { ...process.env, RECUR_KERNELS: 'wasm' };
    return { ...base, command: process.execPath, args: [childRecur, arg], env };
  }
  if (spec.system === 'cluster') return { ...base, command: process.execPath, args: [childCluster, arg] };
  if (spec.system === 'torch') {
    return {
      ...base,
      command: o.python,
      args: [join(runners, 'torch_bench.py'), arg],
      env: torchEnv(spec.threads),
    };
  }
  return { ...base, command: process.execPath, args: [join(runners, 'tfjs.mjs'), arg] };
}

/** What every child gets: its system and thread count, the workload, the counts and the data. */
function baseSpec(
  system: ChildSpec['system'],
  threads: number,
  w: Workload,
  counts: { warmup: number; steps: number },
  o: ResolvedOptions,
  dataFile: string,
): ChildSpec {
  const { warmup, steps } = counts;
  const balance =
    o.balance > 0 && (system === 'recur' || system === 'recur-wasm') ? { balance: o.balance } : {};
  return {
    system,
    threads,
    workload: w,
    warmup,
    steps,
    seed: o.seed,
    dataFile,
    peersDir: o.cacheDir,
    ...balance,
  };
}

/** A failed child's coded error, for the report. */
function failureOf(error: unknown): { code: string; message: string } {
  const e = error as { code?: string; message?: string };
  return { code: e.code ?? BenchErrorCode.CHILD_FAILED, message: e.message ?? String(error) };
}

async function measure(system: SystemId, w: Workload, repeat: number, o: ResolvedOptions, dataFile: string) {
  const { warmup, steps } = o.counts[w.name] as { warmup: number; steps: number };
  const spec: ChildSpec = {
    ...baseSpec(system.kind, system.threads, w, { warmup, steps }, o, dataFile),
    ...(system.precision === undefined ? {} : { precision: system.precision }),
    ...(system.bucketBytes === undefined ? {} : { bucketBytes: system.bucketBytes }),
  };
  const base = { ...system, workload: w.name, repeat, warmup, steps };
  try {
    const { result, wallMs } = await runChild(command(spec, o, `${w.name} ${system.label}`));
    const m: Measurement = {
      ...base,
      ok: true,
      stepMs: result.stepMs,
      ...rates(result.stepMs, w.batch, flopPerStep(w)),
      peakRssMB: result.maxRssKb / 1024,
      loss: result.loss,
      wallMs,
    };
    if (result.detail !== undefined) m.detail = result.detail;
    if (result.allReduce !== undefined) m.allReduce = result.allReduce;
    return m;
  } catch (error) {
    return {
      ...base,
      ok: false,
      error: failureOf(error),
      stepMs: [],
      samplesPerSecond: Number.NaN,
      gflops: Number.NaN,
      peakRssMB: Number.NaN,
      loss: Number.NaN,
      wallMs: 0,
    } satisfies Measurement;
  }
}

/** Timed steps of each fit of the interleaved scaling at least: a median of one step is noise. */
export const SCALING_MIN_STEPS = 3;

/** recur's interleaved scaling on one workload: one child alternating threads(W) for every W. */
async function measureScaling(w: Workload, o: ResolvedOptions, dataFile: string): Promise<Scaling> {
  const { warmup, steps: counted } = o.counts[w.name] as { warmup: number; steps: number };
  const steps = Math.max(counted, SCALING_MIN_STEPS);
  const worlds = [...o.threads].sort((a, b) => a - b);
  const spec: ChildSpec = {
    ...baseSpec('recur', worlds[0] as number, w, { warmup, steps }, o, dataFile),
    alternate: worlds,
    rounds: o.scalingRounds,
  };
  const base = { workload: w.name, threads: worlds, steps };
  try {
    const { result } = await runChild(command(spec, o, `${w.name} recur scaling`));
    const rounds = result.rounds as number[][];
    const cpu = result.cpuRounds ?? [];
    return {
      ...base,
      ok: true,
      roundsStepMs: rounds,
      speedup: interleavedSpeedup(rounds),
      roundsCpuMs: cpu,
      cpuBound: cpu.length === 0 ? [] : interleavedCpuBound(cpu, worlds),
    };
  } catch (error) {
    const none = { roundsStepMs: [], speedup: [], roundsCpuMs: [], cpuBound: [] };
    return { ...base, ok: false, error: failureOf(error), ...none };
  }
}

/**
 * Runs the benchmark suite and resolves with its report (format 'recur-bench/1'). A peer that
 * cannot be installed is skipped with a note; a measurement whose child fails is kept with its
 * error (ok: false) and a note. Rejects with ERR_BENCH_BAD_OPTION for a bad option.
 */
export async function runBenchmarks(options: BenchOptions = {}): Promise<BenchReport> {
  const o = resolveOptions(options);
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const peers: PeerStatus[] = [];
  let systems = [...o.systems];
  const note = (message: string) => {
    notes.push(message);
    o.onProgress({ kind: 'note', message });
  };
  if (systems.includes('tfjs-cpu') || systems.includes('tfjs-wasm')) {
    const tfjs = ensureTfjs(o.cacheDir, o.install, o.onProgress);
    peers.push(tfjs);
    note(tfjs.note);
    if (!tfjs.available) systems = systems.filter((s) => !s.startsWith('tfjs'));
  }
  if (systems.includes('torch')) {
    const torch = ensureTorch(o.python, o.cacheDir, o.install, o.onProgress);
    peers.push(torch);
    note(torch.note);
    if (!torch.available) systems = systems.filter((s) => s !== 'torch');
  }
  const plan = planSystems(
    systems,
    o.threads,
    peers,
    o.clusterNodes,
    o.clusterPrecisions,
    o.clusterBucketBytes,
  );
  mkdirSync(o.cacheDir, { recursive: true }); // the children's working folder, also without peers
  const dir = mkdtempSync(join(tmpdir(), 'recur-bench-'));
  const measurements: Measurement[] = [];
  const scaling: Scaling[] = [];
  try {
    const files: Record<string, string> = {};
    for (const name of o.workloads) {
      const file = join(dir, `${name}.f32`);
      const data = workloadData(WORKLOADS[name] as Workload, o.seed);
      writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      files[name] = file;
    }
    const repeats = Math.max(...o.workloads.map((name) => o.counts[name]?.repeats ?? 0));
    const total = o.workloads.reduce((sum, name) => sum + (o.counts[name]?.repeats ?? 0) * plan.length, 0);
    for (let r = 0; r < repeats; r++) {
      for (const name of o.workloads) {
        if (r >= (o.counts[name]?.repeats ?? 0)) continue;
        const w = WORKLOADS[name] as Workload;
        for (let k = 0; k < plan.length; k++) {
          const system = plan[(k + r) % plan.length] as SystemId;
          const m = await measure(system, w, r, o, files[name] as string);
          measurements.push(m);
          const how = m.ok
            ? `${m.samplesPerSecond.toFixed(1)} samples/s, peak RSS ${m.peakRssMB.toFixed(0)} MB`
            : `failed: ${m.error?.message}`;
          o.onProgress({
            kind: 'measurement',
            message: `${name} ${system.label} (repeat ${r + 1}): ${how}`,
            done: measurements.length,
            total,
          });
        }
      }
    }
    if (systems.includes('recur') && o.threads.length > 1 && o.scalingRounds > 0) {
      for (const name of o.workloads) {
        const s = await measureScaling(WORKLOADS[name] as Workload, o, files[name] as string);
        scaling.push(s);
        const how = s.ok
          ? s.threads.map((t, i) => `threads(${t}) ${s.speedup[i]?.toFixed(2)}×`).join(', ')
          : `failed: ${s.error?.message}`;
        o.onProgress({ kind: 'measurement', message: `${name} recur scaling, interleaved: ${how}` });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const m of measurements) {
    if (!m.ok) notes.push(`${m.workload} ${m.label} repeat ${m.repeat + 1} failed: ${m.error?.message}`);
  }
  for (const s of scaling) if (!s.ok) notes.push(`${s.workload} recur scaling failed: ${s.error?.message}`);
  if (systems.includes('cluster')) notes.push(CLUSTER_NOTE);
  if (o.balance > 0 && systems.some((s) => RECUR_KINDS.includes(s))) {
    notes.push(
      `recur threads(W) for W ≥ 2 balanced micro-batches of about ${o.balance} samples ` +
        `(threads(W, { accumulate: ⌈batch ÷ W ÷ ${o.balance}⌉, balance: true })); threads(1) ran plain`,
    );
  }
  const summaries = summarise(measurements);
  const cpu = cpus()[0]?.model ?? 'unknown';
  return {
    format: 'recur-bench/1',
    startedAt,
    finishedAt: new Date().toISOString(),
    command: null,
    environment: {
      node: process.version,
      cores: availableParallelism(),
      cpu,
      platform: `${process.platform}-${process.arch}`,
    },
    settings: {
      workloads: o.workloads,
      systems: o.systems,
      threads: o.threads,
      clusterNodes: o.clusterNodes,
      clusterPrecisions: o.clusterPrecisions,
      clusterBucketBytes: o.clusterBucketBytes,
      seed: o.seed,
      counts: o.counts,
      scalingRounds: o.scalingRounds,
      balance: o.balance,
    },
    workloads: Object.fromEntries(
      o.workloads.map((name) => {
        const w = WORKLOADS[name] as Workload;
        return [name, { ...w, flopPerStep: flopPerStep(w) }];
      }),
    ),
    peers,
    measurements,
    summaries,
    ratios: ratios(summaries),
    scaling,
    notes,
  };
}
