// A run folder: what `recur train` writes, and what eval, predict, generate and summary read.
//   config.json    the config used (defaults and flags applied)
//   metrics.jsonl  one JSON line per epoch: epoch, loss, val_*, lr, seconds, samples_per_second, and
//                  kernels { backend, isa, threads } (run/kernels.ts)
//   best.ckpt      the checkpoint of the epoch with the best validation loss
//   last.ckpt      the latest checkpoint (every epoch, and when stopped by Ctrl-C)
//   results.json   the test metric beside the baseline, and the kernels
//   report.html    the report: loss curves, task charts, sample generations
//   train.lock     while `recur train` runs: who trains into the folder (run/lock.ts)
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CliErrorCode, fail } from '../errors.js';
import type { KernelsUsed } from './kernels.js';
import { makeFolder, pathProblem } from './user-files.js';

export interface RunPaths {
  folder: string;
  config: string;
  metrics: string;
  best: string;
  last: string;
  results: string;
  report: string;
}

export function runPaths(folder: string): RunPaths {
  const f = resolve(folder);
  return {
    folder: f,
    config: join(f, 'config.json'),
    metrics: join(f, 'metrics.jsonl'),
    best: join(f, 'best.ckpt'),
    last: join(f, 'last.ckpt'),
    results: join(f, 'results.json'),
    report: join(f, 'report.html'),
  };
}

/** The run folder: `output`, else runs/<name>, which must be a folder directly inside runs/. */
export function runFolderOf(config: Config): string {
  if (config.output !== undefined) return config.output;
  const runs = resolve('runs');
  if (dirname(resolve(runs, config.name)) !== runs) {
    fail(CliErrorCode.BAD_CONFIG, `name '${config.name}' does not name a folder inside runs/`);
  }
  return join('runs', config.name);
}

export function createRunFolder(config: Config, keepMetrics: boolean): RunPaths {
  const paths = runPaths(runFolderOf(config));
  makeFolder('--output', paths.folder);
  try {
    writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    if (!keepMetrics) writeFileSync(paths.metrics, '');
  } catch (error) {
    pathProblem('--output', paths.folder, error);
  }
  return paths;
}

/** One epoch's line: its numbers and the kernels that computed it. */
export function appendMetrics(paths: RunPaths, line: Record<string, number>, kernels: KernelsUsed): void {
  appendFileSync(paths.metrics, `${JSON.stringify({ ...line, kernels })}\n`);
}

function readLines(paths: RunPaths): Record<string, unknown>[] {
  if (!existsSync(paths.metrics)) return [];
  return readFileSync(paths.metrics, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Each epoch's numbers (epoch, loss, val_*, seconds, samples_per_second). */
export function readMetrics(paths: RunPaths): Record<string, number>[] {
  return readLines(paths).map(
    (line) =>
      Object.fromEntries(Object.entries(line).filter(([, v]) => typeof v === 'number')) as Record<
        string,
        number
      >,
  );
}

/** The kernels the epochs ran on, each once, in order (a resumed run may have moved). */
export function readKernels(paths: RunPaths): KernelsUsed[] {
  const seen = new Map<string, KernelsUsed>();
  for (const line of readLines(paths)) {
    const k = line.kernels as KernelsUsed | undefined;
    if (k !== undefined) seen.set(`${k.backend} ${k.isa} ${k.threads}`, k);
  }
  return [...seen.values()];
}

/** A run folder's config and paths; a missing folder or config is ERR_CLI_NOT_FOUND. */
export function openRun(folder: string): { paths: RunPaths; config: Config } {
  const paths = runPaths(folder);
  if (!existsSync(paths.config)) {
    fail(CliErrorCode.NOT_FOUND, `${folder} is not a run folder (no config.json in it)`);
  }
  const config = parseConfig(JSON.parse(readFileSync(paths.config, 'utf8')), paths.config);
  return { paths, config };
}

/**
 * The checkpoint of a run: 'best' (default) or 'last'. A run without best.ckpt but with
 * last.ckpt (a cluster run keeps last.ckpt only) gives last.ckpt for 'best'.
 */
export function checkpointOf(paths: RunPaths, which: string): string {
  if (which !== 'best' && which !== 'last') {
    fail(CliErrorCode.BAD_FLAG, `--checkpoint must be best or last, got ${which}`);
  }
  if (which === 'best' && existsSync(paths.best)) return paths.best;
  if (existsSync(paths.last)) return paths.last;
  return fail(
    CliErrorCode.BAD_RUN,
    `${paths.folder} holds no checkpoint (${which === 'best' ? 'best.ckpt or ' : ''}last.ckpt): its run has not finished an epoch`,
  );
}
