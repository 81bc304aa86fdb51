// The shapes that travel between runBenchmarks and its child processes, and the report.

import type { SystemKind } from './options.js';
import type { Workload } from './workloads.js';

/** What a child process gets as its one argument (JSON). */
export interface ChildSpec {
  system: SystemKind;
  threads: number;
  workload: Workload;
  warmup: number;
  steps: number;
  seed: number;
  /** float32 little-endian: x [B, T, I] batch-major, then y [B, 1] */
  dataFile: string;
  /** where the npm peers are installed (tfjs) */
  peersDir: string;
  /** the cluster's gradient precision (fp32 when absent) */
  precision?: 'fp32' | 'fp16';
  /** the cluster nodes' runNode bucketBytes (0 or absent: one whole gradient per step) */
  bucketBytes?: number;
  /**
   * recur only, the interleaved scaling measurement: fit on threads(W) for each W here in turn,
   * `rounds` times, all in this one process (`threads` is then ignored)
   */
  alternate?: number[];
  rounds?: number;
  /** recur: threads(W) for W ≥ 2 balances micro-batches of about this many samples (0 or absent: plain) */
  balance?: number;
}

export interface AllReduce {
  /** P: parameters, the floats in one gradient slot */
  params: number;
  /** (W + 1)·P·4: W slots read, one written; balanced: (W·A + 2W + 1)·P·4 */
  bytes: number;
  GBs: number;
  /** a plain TypedArray.set of the same byte count, in the same process */
  memcpyGBs: number;
}

/** What a child prints on its line `RECUR_BENCH_RESULT {json}`. */
export interface ChildResult {
  stepMs: number[];
  warmupMs: number[];
  loss: number;
  /** peak resident set of the whole process (all its threads), kB */
  maxRssKb: number;
  detail?: Record<string, unknown>;
  allReduce?: AllReduce;
  /**
   * the interleaved scaling measurement (spec.alternate): per round, the median timed step (ms)
   * of each thread count in spec.alternate's order; stepMs is then empty
   */
  rounds?: number[][];
  /** with rounds: per round, the median CPU ms (the whole process) of a timed step of each */
  cpuRounds?: number[][];
}

/** One system as measured: recur or PyTorch at one thread count, or a tfjs backend. */
export interface SystemId {
  /** 'recur-2', 'tfjs-wasm', 'torch-1', … */
  id: string;
  kind: SystemKind;
  /** threads(W) for recur, torch.set_num_threads for PyTorch, 1 for tfjs (one thread in Node), nodes for the cluster */
  threads: number;
  label: string;
  /** the cluster's gradient precision */
  precision?: 'fp32' | 'fp16';
  /** the cluster nodes' bucketBytes, when they send their gradients in pieces (absent: whole) */
  bucketBytes?: number;
}

export interface Measurement extends SystemId {
  workload: string;
  repeat: number;
  ok: boolean;
  error?: { code: string; message: string };
  steps: number;
  warmup: number;
  stepMs: number[];
  /** batch × timed steps ÷ timed seconds */
  samplesPerSecond: number;
  /** flopPerStep × timed steps ÷ timed seconds ÷ 1e9 */
  gflops: number;
  peakRssMB: number;
  loss: number;
  /** milliseconds from spawn to exit, install not included */
  wallMs: number;
  detail?: Record<string, unknown>;
  allReduce?: AllReduce;
}

/** Medians over a system's successful repeats on one workload. */
export interface Summary extends SystemId {
  workload: string;
  runs: number;
  failed: number;
  samplesPerSecond: number;
  gflops: number;
  medianStepMs: number;
  peakRssMB: number;
  /** samples/s ÷ the same kind at 1 thread, when both were measured */
  scaling: number | null;
  allReduce?: AllReduce;
}

export interface Ratio {
  workload: string;
  /** a recur system id */
  recur: string;
  /** a peer system id */
  peer: string;
  /** recur samples/s ÷ peer samples/s (medians) */
  ratio: number;
}

export interface PeerStatus {
  name: 'tfjs' | 'torch';
  available: boolean;
  version: string | null;
  note: string;
}

export interface BenchReport {
  format: 'recur-bench/1';
  startedAt: string;
  finishedAt: string;
  /** the command line, when run from the CLI */
  command: string | null;
  environment: { node: string; cores: number; cpu: string; platform: string };
  settings: {
    workloads: string[];
    systems: SystemKind[];
    threads: number[];
    clusterNodes: number[];
    clusterPrecisions: ('fp32' | 'fp16')[];
    clusterBucketBytes: number[];
    seed: number;
    counts: Record<string, { repeats: number; warmup: number; steps: number }>;
    scalingRounds: number;
    /** samples of recur's balanced micro-batches for W ≥ 2 (0: plain threads(W)) */
    balance: number;
  };
  workloads: Record<string, Workload & { flopPerStep: number }>;
  peers: PeerStatus[];
  measurements: Measurement[];
  summaries: Summary[];
  ratios: Ratio[];
  /** recur's thread scaling with the fits interleaved in one process (run.ts), per workload */
  scaling: Scaling[];
  notes: string[];
}

/**
 * threads(W) against threads(threads[0]) with the fits alternated in one process, round after
 * round, so that a machine whose speed drifts from second to second slows both alike.
 */
export interface Scaling {
  workload: string;
  threads: number[];
  /** timed steps of each fit (the workload's, at least run.ts's SCALING_MIN_STEPS) */
  steps: number;
  ok: boolean;
  error?: { code: string; message: string };
  /** per round, the median timed step (ms) of each thread count */
  roundsStepMs: number[][];
  /** per thread count: the median over rounds of the round's step(threads[0]) ÷ step(W) */
  speedup: number[];
  /** per round, the median CPU ms of a timed step (the whole process) of each thread count */
  roundsCpuMs: number[][];
  /**
   * per thread count: the median over rounds of (W ÷ threads[0]) · cpu(threads[0]) ÷ cpu(W), the
   * speedup W threads would reach if they never waited: what the CPU time the same work took
   * at W allows (the cores' own slowdown when all work, and the threads' overheads, lower it)
   */
  cpuBound: number[];
}
