// runBenchmarks() options: defaults, limits and validation. Every bad value is a BenchError with
// code ERR_BENCH_BAD_OPTION that names the option, the accepted values and what it got.

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { badOption } from './errors.js';
import { WORKLOAD_NAMES } from './workloads.js';

/**
 * The systems a run can measure: recur (its default kernels: native where the addon loads),
 * recur-wasm (RECUR_KERNELS=wasm: the WebAssembly SIMD kernels) and torch run at every thread
 * count of `threads`; 'cluster' is recur's coordinator with 1, 2, … node processes of one thread
 * each on loopback.
 */
export const SYSTEM_KINDS = ['recur', 'recur-wasm', 'tfjs-cpu', 'tfjs-wasm', 'torch', 'cluster'] as const;
/** recur's threads(W) kinds: their ratios are taken against the peers, their steps split by phase */
export const RECUR_KINDS: readonly SystemKind[] = ['recur', 'recur-wasm'];

/** How the cluster's nodes send their gradients (@recur/cluster's `precision`). */
export const CLUSTER_PRECISIONS = ['fp32', 'fp16'] as const;
export type ClusterPrecision = (typeof CLUSTER_PRECISIONS)[number];
/** the peers: recur's ratios are taken against these */
export const PEER_KINDS: readonly SystemKind[] = ['tfjs-cpu', 'tfjs-wasm', 'torch'];
export type SystemKind = (typeof SYSTEM_KINDS)[number];

export const BENCH_LIMITS = Object.freeze({
  maxRepeats: 100,
  maxWarmup: 100,
  maxSteps: 10_000,
  maxThreads: 256,
  /** a cluster node's bucketBytes (runNode's limit is ≥ 0; this bounds the flag: 1 GiB) */
  maxBucketBytes: 2 ** 30,
  /** rounds of the interleaved scaling measurement (0: none) */
  maxScalingRounds: 100,
  /** samples of recur's balanced micro-batches */
  maxBalance: 65_536,
  /** the longest one measurement's child process may run before it is killed (ms) */
  maxChildTimeoutMs: 24 * 3_600_000,
});

export interface StepCounts {
  /** measurements of each system, interleaved with the others; reported as medians */
  repeats?: number;
  /** untimed training steps at the start of each measurement */
  warmup?: number;
  /** timed training steps of each measurement */
  steps?: number;
}

/**
 * The counts of each workload when no option sets them. lstm-big is lighter so that the whole
 * suite stays near twenty minutes on 2 cores: one of its steps takes tfjs' cpu backend over a
 * minute.
 *
 * Ten warm-up steps on the small workloads, because a fresh process (or a fresh thread pool)
 * is not at its steady speed after two: V8 still compiles the hot code of each thread on
 * background threads, and on 2 cores those take a core from threads(2) while it computes. On
 * 2026-12-07 (AMD EPYC, 2 vCPUs; five alternated fits of 20 lstm-std steps at threads(1) and
 * threads(2)) the per-step ratio was 1.58× at step 2, 1.86× over steps 3–7 and 1.94× from step
 * 11 on; with V8's background recompilation turned off (--no-concurrent-recompilation) steps
 * 3–7 already gave 1.91×. Eight more small steps cost recur and PyTorch milliseconds, tfjs' cpu
 * backend 20–25 s a measurement (2.4 and 3.0 s a step).
 */
export const DEFAULT_COUNTS: Readonly<Record<string, Readonly<Required<StepCounts>>>> = Object.freeze({
  'lstm-std': { repeats: 3, warmup: 10, steps: 5 },
  'gru-std': { repeats: 3, warmup: 10, steps: 5 },
  'lstm-big': { repeats: 2, warmup: 1, steps: 1 },
});

/**
 * Rounds of the interleaved scaling measurement (run.ts, Note [interleaved scaling]). Nine, not
 * five: a shared host takes a core from the process for a fraction of a second now and then
 * (the hypervisor reports no steal time here), which falls on one fit of a round; in one run on
 * 2026-12-07 two of five lstm-std rounds gave 1.67× and 1.62× against 1.92–1.97× for the other
 * three, with the same CPU time per step. The median of more rounds is steadier.
 */
export const DEFAULT_SCALING_ROUNDS = 9;

export interface ProgressEvent {
  kind: 'note' | 'install' | 'measurement';
  message: string;
  /** measurements done and planned, for kind 'measurement' */
  done?: number;
  total?: number;
}

/** repeats, warmup and steps set here apply to every workload, over DEFAULT_COUNTS */
export interface BenchOptions extends StepCounts {
  /** workload names (default all: lstm-std, gru-std, lstm-big) */
  workloads?: string[];
  /** systems to measure (default all: recur, recur-wasm, tfjs-cpu, tfjs-wasm, torch, cluster) */
  systems?: SystemKind[];
  /** thread counts for recur's threads(W) and PyTorch (default 1 … available cores) */
  threads?: number[];
  /** node counts of the cluster comparison, one thread each (default 1, 2) */
  clusterNodes?: number[];
  /** gradient precisions of the cluster comparison (default fp32) */
  clusterPrecisions?: ClusterPrecision[];
  /**
   * the cluster nodes' bucketBytes (@recur/cluster's runNode: pieces of at least this many bytes
   * sent while the backward goes on, DDP's buckets); every cluster system is measured at each
   * (default [0]: one whole gradient per step)
   */
  clusterBucketBytes?: number[];
  /** repeats, warmup and steps for one workload, over the run-wide values */
  perWorkload?: Record<string, StepCounts>;
  /** seed of the random normal inputs and targets, and of the models' initialisation (default 1) */
  seed?: number;
  /** where peers are installed on demand (default `.cache/bench-peers` under the working directory) */
  cacheDir?: string;
  /** install missing peers (npm into cacheDir; apt-get for PyTorch, as root) (default true) */
  install?: boolean;
  /** the Python that imports Debian's python3-torch (default /usr/bin/python3) */
  python?: string;
  /** the longest one measurement's child process may run, ms (default 1 800 000) */
  childTimeoutMs?: number;
  /**
   * rounds of recur's interleaved scaling measurement: per workload, one process fits on
   * threads(W) for every W of `threads` in turn, this many times (default 9; 0: not measured;
   * needs 'recur' in systems and two thread counts or more)
   */
  scalingRounds?: number;
  /**
   * recur's threads(W) for W ≥ 2 balance micro-batches of about this many samples: @recur/
   * parallel's threads(W, { accumulate: A, balance: true }) with A = ⌈batch ÷ W ÷ balance⌉;
   * default 0: plain threads(W)
   */
  balance?: number;
  /** called with progress lines (installs, each finished measurement) */
  onProgress?: (event: ProgressEvent) => void;
}

export interface ResolvedOptions {
  workloads: string[];
  systems: SystemKind[];
  threads: number[];
  clusterNodes: number[];
  clusterPrecisions: ClusterPrecision[];
  clusterBucketBytes: number[];
  counts: Record<string, Required<StepCounts>>;
  seed: number;
  cacheDir: string;
  install: boolean;
  python: string;
  childTimeoutMs: number;
  scalingRounds: number;
  balance: number;
  onProgress: (event: ProgressEvent) => void;
}

const KNOWN = [
  'workloads',
  'systems',
  'threads',
  'clusterNodes',
  'clusterPrecisions',
  'clusterBucketBytes',
  'repeats',
  'warmup',
  'steps',
  'perWorkload',
  'seed',
  'cacheDir',
  'install',
  'python',
  'childTimeoutMs',
  'scalingRounds',
  'balance',
  'onProgress',
];

const describe = (v: unknown): string =>
  typeof v === 'string'
    ? JSON.stringify(v)
    : Array.isArray(v)
      ? `[${v.map(describe).join(', ')}]`
      : String(v);

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    badOption(`${name} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

function list<T extends string>(name: string, value: unknown, allowed: readonly T[]): T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    badOption(`${name} must be a non-empty array of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  for (const item of value) {
    if (!allowed.includes(item as T)) {
      badOption(`${name}: unknown ${describe(item)}; choose from ${allowed.join(', ')}`);
    }
  }
  if (new Set(value).size !== value.length) badOption(`${name} lists an entry twice: ${describe(value)}`);
  return value as T[];
}

function counts1(name: string, value: unknown, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0) {
    badOption(`${name} must be a non-empty array of counts, got ${describe(value)}`);
  }
  const out = value.map((w, i) => integer(`${name}[${i}]`, w, 1, BENCH_LIMITS.maxThreads, 1));
  if (new Set(out).size !== out.length) badOption(`${name} lists a count twice: ${describe(out)}`);
  return out;
}

/** A list of byte counts in [0, maxBucketBytes], each once (default [0]). */
function byteCounts(name: string, value: unknown): number[] {
  if (value === undefined) return [0];
  if (!Array.isArray(value) || value.length === 0) {
    badOption(`${name} must be a non-empty array of byte counts, got ${describe(value)}`);
  }
  const out = value.map((b, i) => integer(`${name}[${i}]`, b, 0, BENCH_LIMITS.maxBucketBytes, 0));
  if (new Set(out).size !== out.length) badOption(`${name} lists a count twice: ${describe(out)}`);
  return out;
}

function counts(name: string, value: StepCounts, base: Required<StepCounts>): Required<StepCounts> {
  return {
    repeats: integer(`${name}repeats`, value.repeats, 1, BENCH_LIMITS.maxRepeats, base.repeats),
    warmup: integer(`${name}warmup`, value.warmup, 1, BENCH_LIMITS.maxWarmup, base.warmup),
    steps: integer(`${name}steps`, value.steps, 1, BENCH_LIMITS.maxSteps, base.steps),
  };
}

/** Checks `options` and fills in the defaults; throws ERR_BENCH_BAD_OPTION naming the option. */
export function resolveOptions(options: BenchOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    badOption(`options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) badOption(`unknown option ${describe(key)}; known: ${KNOWN.join(', ')}`);
  }
  const workloads = list('workloads', options.workloads, WORKLOAD_NAMES) ?? [...WORKLOAD_NAMES];
  const systems = list('systems', options.systems, SYSTEM_KINDS) ?? [...SYSTEM_KINDS];
  const cores = availableParallelism();
  const threads = counts1(
    'threads',
    options.threads,
    Array.from({ length: cores }, (_, i) => i + 1),
  );
  const clusterNodes = counts1('clusterNodes', options.clusterNodes, [1, 2]);
  const clusterPrecisions = list('clusterPrecisions', options.clusterPrecisions, CLUSTER_PRECISIONS) ?? [
    'fp32',
  ];
  const clusterBucketBytes = byteCounts('clusterBucketBytes', options.clusterBucketBytes);
  counts('', options, { repeats: 1, warmup: 1, steps: 1 }); // checked once, named without a workload
  const per = options.perWorkload ?? {};
  if (typeof per !== 'object' || per === null || Array.isArray(per)) {
    badOption(
      `perWorkload must be an object { [workload]: { repeats?, warmup?, steps? } }, got ${describe(per)}`,
    );
  }
  const resolvedCounts: Record<string, Required<StepCounts>> = {};
  for (const name of Object.keys(per)) {
    if (!WORKLOAD_NAMES.includes(name)) {
      badOption(`perWorkload: unknown workload ${describe(name)}; choose from ${WORKLOAD_NAMES.join(', ')}`);
    }
    const entry = per[name] as StepCounts;
    if (typeof entry !== 'object' || entry === null) {
      badOption(
        `perWorkload.${name} must be an object { repeats?, warmup?, steps? }, got ${describe(entry)}`,
      );
    }
    for (const key of Object.keys(entry)) {
      if (!['repeats', 'warmup', 'steps'].includes(key)) {
        badOption(`perWorkload.${name}: unknown key ${describe(key)}; known: repeats, warmup, steps`);
      }
    }
  }
  for (const name of workloads) {
    const base = counts('', options, DEFAULT_COUNTS[name] as Required<StepCounts>);
    resolvedCounts[name] = counts(`perWorkload.${name}.`, per[name] ?? {}, base);
  }
  const seed = integer('seed', options.seed, 0, 2 ** 31 - 1, 1);
  const strings: Record<string, string> = {};
  for (const key of ['cacheDir', 'python'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      badOption(`${key} must be a non-empty string (a path), got ${describe(value)}`);
    }
    if (value !== undefined) strings[key] = value;
  }
  if (options.install !== undefined && typeof options.install !== 'boolean') {
    badOption(`install must be true or false, got ${describe(options.install)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    badOption(`onProgress must be a function (event) => void, got ${describe(options.onProgress)}`);
  }
  return {
    workloads,
    systems,
    threads,
    clusterNodes,
    clusterPrecisions,
    clusterBucketBytes,
    counts: resolvedCounts,
    seed,
    cacheDir: strings.cacheDir ?? join(process.cwd(), '.cache', 'bench-peers'),
    install: options.install ?? true,
    python: strings.python ?? '/usr/bin/python3',
    childTimeoutMs: integer(
      'childTimeoutMs',
      options.childTimeoutMs,
      1,
      BENCH_LIMITS.maxChildTimeoutMs,
      1_800_000,
    ),
    scalingRounds: integer(
      'scalingRounds',
      options.scalingRounds,
      0,
      BENCH_LIMITS.maxScalingRounds,
      DEFAULT_SCALING_ROUNDS,
    ),
    balance: integer('balance', options.balance, 0, BENCH_LIMITS.maxBalance, 0),
    onProgress: options.onProgress ?? (() => {}),
  };
}
