// A run folder: what `recur train` writes, and what eval, predict, generate and summary read.
//   config.json    the config used (defaults and flags applied)
//   metrics.jsonl  one JSON line per epoch: epoch, loss, val_*, seconds, samples_per_second, and
//                  kernels { backend, isa, threads } (run/kernels.ts)
//   best.ckpt      the checkpoint of the epoch with the best validation loss
//   last.ckpt      the latest checkpoint (every epoch, and when stopped by Ctrl-C)
//   results.json   the test metric beside the baseline, and the kernels
//   report.html    the report: loss curves, task charts, sample generations
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CliErrorCode, fail } from '../errors.js';
import type { KernelsUsed } from './kernels.js';

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

export function runFolderOf(config: Config): string {
  return config.output ?? join('runs', config.name);
}

export function createRunFolder(config: Config, keepMetrics: boolean): RunPaths {
  const paths = runPaths(runFolderOf(config));
  mkdirSync(paths.folder, { recursive: true });
  writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
  if (!keepMetrics) writeFileSync(paths.metrics, '');
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

/** The checkpoint of a run: 'best' (default) or 'last'. */
export function checkpointOf(paths: RunPaths, which: string): string {
  if (which !== 'best' && which !== 'last') {
    fail(CliErrorCode.BAD_FLAG, `--checkpoint must be best or last, got ${which}`);
  }
  const path = which === 'best' ? paths.best : paths.last;
  if (!existsSync(path))
    fail(CliErrorCode.BAD_RUN, `${path} does not exist: the run has not finished an epoch`);
  return path;
}
