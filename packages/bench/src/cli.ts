// The command line of the benchmark, shared by `node scripts/bench.mjs` and `recur bench`:
// flags → BenchOptions, then the run, the table on stdout, JSON and HTML files.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchError, badOption } from './errors.js';
import { formatJson, formatReport } from './format.js';
import { renderHtml } from './html.js';
import type { BenchOptions, StepCounts, SystemKind } from './options.js';
import { resolveOptions } from './options.js';
import { runBenchmarks } from './run.js';

export const USAGE = `usage: bench [options]

Trains the standard workloads (lstm-std, gru-std, lstm-big) on recur's threads(W) for every W
and on the peers (tfjs cpu, tfjs wasm, PyTorch + OpenBLAS), and recur's cluster with 1 and 2
nodes on loopback; each measurement in its own process,
interleaved and repeated; prints the table and writes JSON and an HTML page with charts.

  --workloads a,b        workloads (default lstm-std,gru-std,lstm-big)
  --systems a,b          recur,recur-wasm,tfjs-cpu,tfjs-wasm,torch,cluster (default all)
  --threads 1,2          thread counts for recur and PyTorch (default 1 … cores)
  --cluster-nodes 1,2    node processes (one thread each) for the cluster (default 1,2)
  --cluster-precisions fp32,fp16
                         the cluster's gradient precisions (default fp32)
  --cluster-bucket-bytes 0,262144
                         the cluster nodes' bucketBytes, each measured (default 0: whole gradients)
  --repeats N            measurements per system, reported as medians (default 3; lstm-big 2)
  --warmup N             untimed steps per measurement (default 10; lstm-big 1)
  --steps N              timed steps per measurement (default 5; lstm-big 1)
  --set W.KEY=N          per workload: KEY is repeats, warmup or steps (e.g. --set lstm-big.steps=2)
  --seed N               data and initialisation seed (default 1)
  --cache-dir DIR        where peers are installed (default .cache/bench-peers)
  --no-install           do not install missing peers: skip them
  --out DIR              where bench.json and bench.html go (default .cache/bench-results)
  --json                 print the JSON report on stdout instead of the table
  --child-timeout-s N    the longest one measurement may run (default 1800)
  --scaling-rounds N     rounds of recur's interleaved scaling measurement, threads(W) fits
                         alternated in one process (default 9; 0: none)
  --balance N            recur's threads(W) for W ≥ 2 balance micro-batches of about N samples
                         (threads(W, { accumulate: ⌈batch ÷ W ÷ N⌉, balance: true }); default 0: plain)
  --quiet                no progress lines on stderr
  -h, --help             this text
`;

export interface CliPlan {
  options: BenchOptions;
  outDir: string;
  json: boolean;
  quiet: boolean;
  help: boolean;
}

const int = (flag: string, text: string): number => {
  if (!/^\d+$/.test(text)) badOption(`--${flag} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
};

const csv = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/**
 * The flags of a benchmark command line, by name, as strings (what a parser hands over before
 * any conversion): `recur bench` fills this from commander, parseBenchArgs from node:util.
 */
export interface BenchFlags {
  workloads?: string;
  systems?: string;
  threads?: string;
  clusterNodes?: string;
  clusterPrecisions?: string;
  clusterBucketBytes?: string;
  repeats?: string;
  warmup?: string;
  steps?: string;
  /** W.KEY=N, repeatable */
  set?: string[];
  seed?: string;
  cacheDir?: string;
  /** false for --no-install */
  install?: boolean;
  out?: string;
  json?: boolean;
  childTimeoutS?: string;
  scalingRounds?: string;
  balance?: string;
  quiet?: boolean;
}

/** Converts and checks the flags (the same checks the run makes); throws ERR_BENCH_BAD_OPTION. */
export function planFromFlags(v: BenchFlags): Omit<CliPlan, 'help'> {
  const options: BenchOptions = {};
  if (v.workloads !== undefined) options.workloads = csv(v.workloads);
  if (v.systems !== undefined) options.systems = csv(v.systems) as SystemKind[];
  if (v.threads !== undefined) options.threads = csv(v.threads).map((t) => int('threads', t));
  if (v.clusterNodes !== undefined) {
    options.clusterNodes = csv(v.clusterNodes).map((t) => int('cluster-nodes', t));
  }
  if (v.clusterPrecisions !== undefined)
    options.clusterPrecisions = csv(v.clusterPrecisions) as BenchOptions['clusterPrecisions'];
  if (v.clusterBucketBytes !== undefined) {
    options.clusterBucketBytes = csv(v.clusterBucketBytes).map((b) => int('cluster-bucket-bytes', b));
  }
  if (v.repeats !== undefined) options.repeats = int('repeats', v.repeats);
  if (v.warmup !== undefined) options.warmup = int('warmup', v.warmup);
  if (v.steps !== undefined) options.steps = int('steps', v.steps);
  if (v.seed !== undefined) options.seed = int('seed', v.seed);
  if (v.cacheDir !== undefined) options.cacheDir = resolve(v.cacheDir);
  if (v.install === false) options.install = false;
  if (v.childTimeoutS !== undefined) options.childTimeoutMs = int('child-timeout-s', v.childTimeoutS) * 1000;
  if (v.scalingRounds !== undefined) options.scalingRounds = int('scaling-rounds', v.scalingRounds);
  if (v.balance !== undefined) options.balance = int('balance', v.balance);
  for (const item of v.set ?? []) {
    const m = /^([a-z0-9-]+)\.(repeats|warmup|steps)=(\d+)$/.exec(item);
    if (m === null)
      badOption(
        `--set must look like lstm-big.steps=2 (KEY: repeats, warmup, steps), got ${JSON.stringify(item)}`,
      );
    const [, workload, key, value] = m as unknown as [string, string, keyof StepCounts, string];
    options.perWorkload ??= {};
    options.perWorkload[workload] = { ...options.perWorkload[workload], [key]: Number(value) };
  }
  resolveOptions(options); // the same checks the run makes, before anything is installed
  return {
    options,
    outDir: resolve(v.out ?? join('.cache', 'bench-results')),
    json: v.json === true,
    quiet: v.quiet === true,
  };
}

/** Parses the flags (without node and the script) into options; throws ERR_BENCH_BAD_OPTION. */
export function parseBenchArgs(argv: readonly string[]): CliPlan {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    badOption(`${(error as Error).message}; see --help`);
  }
  const v = parsed.values;
  if (parsed.positionals.length > 0)
    badOption(`unexpected argument ${JSON.stringify(parsed.positionals[0])}; see --help`);
  const flags: BenchFlags = {
    ...v,
    clusterNodes: v['cluster-nodes'],
    clusterPrecisions: v['cluster-precisions'],
    clusterBucketBytes: v['cluster-bucket-bytes'],
    cacheDir: v['cache-dir'],
    childTimeoutS: v['child-timeout-s'],
    scalingRounds: v['scaling-rounds'],
    balance: v.balance,
    install: v['no-install'] !== true,
  };
  return { ...planFromFlags(flags), help: v.help === true };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      workloads: { type: 'string' },
      systems: { type: 'string' },
      threads: { type: 'string' },
      'cluster-nodes': { type: 'string' },
      'cluster-precisions': { type: 'string' },
      'cluster-bucket-bytes': { type: 'string' },
      repeats: { type: 'string' },
      warmup: { type: 'string' },
      steps: { type: 'string' },
      set: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'cache-dir': { type: 'string' },
      'no-install': { type: 'boolean' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      'child-timeout-s': { type: 'string' },
      'scaling-rounds': { type: 'string' },
      balance: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs the benchmark from command-line flags; resolves with the exit code (0 done, 1 a recur
 * measurement failed, 2 bad flags). `name` is how the command is shown in the report.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = defaultIo,
  name = 'node scripts/bench.mjs',
): Promise<number> {
  let plan: CliPlan;
  try {
    plan = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof BenchError)) throw error;
    io.stderr(`${error.code}: ${error.message}\n`);
    return 2;
  }
  if (plan.help) {
    io.stdout(USAGE.replace('usage: bench', `usage: ${name}`));
    return 0;
  }
  return runPlan(plan, io, [name, ...argv].join(' '));
}

/**
 * Runs the benchmark of a checked plan (planFromFlags): progress on stderr, the table (or JSON)
 * on stdout, bench.json and bench.html in plan.outDir. Resolves with 0, or 1 when a recur
 * measurement failed. `command` is how the run is shown in the report.
 */
export async function runPlan(
  plan: Omit<CliPlan, 'help'>,
  io: CliIo = defaultIo,
  command = 'node scripts/bench.mjs',
): Promise<number> {
  const report = await runBenchmarks({
    ...plan.options,
    onProgress: (e) => {
      if (plan.quiet) return;
      const count = e.done === undefined ? '' : `[${e.done}/${e.total}] `;
      io.stderr(`${count}${e.message}\n`);
    },
  });
  report.command = command;
  mkdirSync(plan.outDir, { recursive: true });
  const jsonFile = join(plan.outDir, 'bench.json');
  const htmlFile = join(plan.outDir, 'bench.html');
  writeFileSync(jsonFile, formatJson(report));
  writeFileSync(htmlFile, await renderHtml(report));
  io.stdout(plan.json ? formatJson(report) : formatReport(report));
  io.stderr(`wrote ${jsonFile} and ${htmlFile}\n`);
  return report.measurements.some((m) => m.kind === 'recur' && !m.ok) ? 1 : 0;
}
