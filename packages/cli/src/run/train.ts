// `recur train` as a function: prepare the task, build (or resume) the model, fit with progress,
// keep best.ckpt (lowest validation loss) and last.ckpt (every epoch, and on Ctrl-C), then score
// the best checkpoint on the test split beside the baseline and write results.json and
// report.html. Threads > 1 train through @recur/parallel's threads(W).
import { existsSync, writeFileSync } from 'node:fs';
import { type FitRun, type Logs, loadModel, type Model } from '@recur/nn';
import { type ThreadsStrategy, threads } from '@recur/parallel';
import type { Config } from '../config/schema.js';
import { CliError, CliErrorCode, fail } from '../errors.js';
import { formatScore, writeReport } from '../report/html.js';
import { sourceOf } from '../tasks/common.js';
import { type Evaluation, type PreparedTask, prepareTask, type Score } from '../tasks/index.js';
import { type EarlyStop, earlyStopOf, formatEarlyStop, withConfigCallbacks } from './callbacks.js';
import {
  appendMetrics,
  createRunFolder,
  type RunPaths,
  readKernels,
  readMetrics,
  runFolderOf,
  runPaths,
} from './folder.js';
import { describeKernels, kernelsUsed } from './kernels.js';
import { type LocalRun, startLive } from './live.js';
import { lockRunFolder } from './lock.js';
import { type Progress, progressFor } from './progress.js';
import { makeFolder } from './user-files.js';

export interface TrainOptions {
  /** continue from the run folder's last.ckpt */
  resume?: boolean;
  /** stops training after the current step (the CLI wires SIGINT to it) */
  signal?: AbortSignal;
  /** human output (default: stdout) */
  write?: (line: string) => void;
  /** where the progress bar goes when it is a terminal (default: stderr) */
  progressStream?: NodeJS.WriteStream;
  /** serve the live page on this loopback host:port while training (live.ts) */
  serve?: string;
}

export interface TrainResult {
  paths: RunPaths;
  score: Score;
  epochs: number;
  seconds: number;
}

async function startModel(task: PreparedTask, paths: RunPaths, resume: boolean, write: (l: string) => void) {
  if (resume) {
    const { model } = await loadModel(paths.last);
    checkResumeBatchSize(model, paths, task.config.training.batchSize);
    write(
      `resuming from ${paths.last} at epoch ${model.trainingPosition.epoch + 1}, step ${model.trainingPosition.position}`,
    );
    if (model.compiled === null) model.compile(task.compile);
    return model;
  }
  const model = task.buildModel();
  model.compile(task.compile);
  return model;
}

/**
 * --resume continues a run stopped mid-epoch only with the batch size its position counts in:
 * another one would skip or repeat samples of that epoch (from an epoch's start any is fine).
 */
function checkResumeBatchSize(model: Model, paths: RunPaths, batchSize: number): void {
  const saved = model.epochProgress;
  const { epoch, position } = model.trainingPosition;
  if (position === 0 || saved === null || saved.batchSize === batchSize) return;
  fail(
    CliErrorCode.BAD_FLAG,
    `--resume: ${paths.last} stopped after step ${position} of epoch ${epoch + 1} with batch size ${saved.batchSize}; ` +
      `this run asks for batch size ${batchSize}, which would skip or repeat samples of that epoch`,
    {
      hint: `resume with --batch-size ${saved.batchSize} (or leave training.batchSize at ${saved.batchSize})`,
    },
  );
}

/** --resume needs the run's last.ckpt: without it nothing is trained and nothing is written. */
function checkResumable(paths: RunPaths): void {
  if (existsSync(paths.last)) return;
  fail(CliErrorCode.BAD_RUN, `--resume: there is no checkpoint to resume from at ${paths.last}`, {
    hint: 'train without --resume to start the run afresh (or give --output the folder of the stopped run)',
  });
}

export async function trainRun(config: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const planned = runPaths(runFolderOf(config));
  if (options.resume === true) checkResumable(planned);
  makeFolder('--output', planned.folder);
  const release = lockRunFolder(planned.folder, write);
  try {
    return await trainLocked(config, options, write);
  } finally {
    release();
  }
}

/** trainRun while it holds the run folder's lock. */
async function trainLocked(
  config: Config,
  options: TrainOptions,
  write: (line: string) => void,
): Promise<TrainResult> {
  const started = performance.now();
  const resume = options.resume === true;
  const task = await prepareTask(config);
  write(`${config.name}: ${task.describe}`);
  const model = await startModel(task, runPaths(runFolderOf(config)), resume, write);
  const paths = createRunFolder(config, resume);
  const t = config.training;
  const strategy = strategyFor(t);
  write(
    `${model.layout.size.toLocaleString('en')} parameters; training ${t.epochs} epochs of ${Math.ceil(task.train.size / t.batchSize)} steps on ${t.threads} thread${t.threads > 1 ? 's' : ''}`,
  );
  write(`kernels: ${describeKernels(kernelsUsed(t.threads))}`);
  if (task.trainingUnits !== undefined) write(task.trainingUnits);
  if (config.cluster !== undefined) {
    write(
      'this config has a cluster section: `recur train` trains on this machine; the coordinator and worker commands run it on several',
    );
  }
  const progress = progressFor(options.progressStream ?? process.stderr, write);
  const live = await startLive(options.serve, task, model, strategy, resume, write);
  const fitted = await fitWithProgress(
    model,
    task,
    paths,
    progress,
    strategy,
    options.signal,
    resume,
    live?.run,
  ).finally(() => live?.close());
  const seconds = (performance.now() - started) / 1000;
  if (fitted.aborted) {
    throw new CliError(
      CliErrorCode.INTERRUPTED,
      `stopped after step ${model.trainingPosition.position} of epoch ${model.trainingPosition.epoch + 1}; checkpoint written to ${paths.last}`,
      {
        hint: `resume with \`recur train ${paths.config} --resume\` (the config used, flags applied)`,
      },
    );
  }
  if (fitted.stopped !== null) write(formatEarlyStop(fitted.stopped, config.training.epochs));
  const { model: best } = await loadModel(existsSync(paths.best) ? paths.best : paths.last);
  const evaluation = await task.evaluate(best);
  const scored = scoredCheckpoint(readMetrics(paths), task.monitor, existsSync(paths.best));
  await finish(config, task, paths, best, evaluation, seconds, scored, fitted.stopped);
  write(`scored ${scored}`);
  write(formatScore(evaluation.score));
  for (const sample of evaluation.samples ?? []) write(`sample: ${JSON.stringify(sample)}`);
  write(`run folder: ${paths.folder} (report.html, metrics.jsonl, best.ckpt, last.ckpt)`);
  return { paths, score: evaluation.score, epochs: fitted.epochs, seconds };
}

async function fitWithProgress(
  model: Model,
  task: PreparedTask,
  paths: RunPaths,
  progress: Progress,
  strategy: ThreadsStrategy | undefined,
  signal: AbortSignal | undefined,
  resume: boolean,
  live?: LocalRun,
): Promise<{ aborted: boolean; epochs: number; stopped: EarlyStop | null }> {
  const t = task.config.training;
  const steps = Math.ceil(task.train.size / t.batchSize);
  let best = readMetrics(paths).reduce(
    (b, m) => Math.min(b, m[task.monitor] ?? Number.POSITIVE_INFINITY),
    Number.POSITIVE_INFINITY,
  );
  let epochStart = performance.now();
  let epoch = model.trainingPosition.epoch;
  let samplesAtStart = 0;
  const samplesSoFar = (step: number) =>
    strategy === undefined
      ? Math.min(task.train.size, step * t.batchSize)
      : strategy.progress().samples - samplesAtStart;
  const begin = (e: number, first: number) => {
    epoch = e;
    epochStart = performance.now();
    samplesAtStart = strategy?.progress().samples ?? 0;
    progress.startEpoch(e, t.epochs, steps);
    if (first > 0) progress.step(first, Number.NaN, 0, 0);
  };
  begin(epoch, resume ? model.trainingPosition.position : 0);
  let epochsRun = 0;
  const kernels = kernelsUsed(t.threads);
  try {
    const history = await model.fit(sourceOf(task.train, { shuffle: true, seed: t.seed }), {
      epochs: t.epochs,
      batchSize: t.batchSize,
      seed: t.seed,
      validationData: sourceOf(task.validation, { shuffle: false, seed: t.seed }),
      resume,
      ...(signal === undefined ? {} : { signal }),
      ...(strategy === undefined ? {} : { strategy }),
      checkpoint: { path: paths.last, preprocessing: task.preprocessing },
      callbacks: withConfigCallbacks(task.config, {
        onBatchEnd: (b: number, logs: Logs) => {
          progress.step(b + 1, logs.loss, samplesSoFar(b + 1), (performance.now() - epochStart) / 1000);
          live?.batch(b, logs.loss, samplesSoFar(b + 1));
        },
        onEpochEnd: async (e: number, logs: Logs, run: FitRun) => {
          const seconds = (performance.now() - epochStart) / 1000;
          const samples = strategy === undefined ? task.train.size : samplesSoFar(steps);
          const validation = Object.entries(logs).filter(([k]) => k.startsWith('val_'));
          progress.endEpoch({
            epoch: e,
            epochs: t.epochs,
            loss: logs.loss,
            validation,
            lr: logs.lr,
            samplesPerSecond: samples / seconds,
            seconds,
          });
          const numbers = { epoch: e, ...logs, seconds, samples_per_second: samples / seconds };
          appendMetrics(paths, numbers, kernels);
          const value = logs[task.monitor];
          const improved = value !== undefined && value < best;
          if (improved) {
            best = value;
            await model.save(paths.best, { preprocessing: task.preprocessing });
          }
          live?.epoch(e, logs, improved ? ['last.ckpt', 'best.ckpt'] : ['last.ckpt']);
          epochsRun++;
          if (e + 1 < t.epochs && run.stopped === null) begin(e + 1, 0);
        },
      }),
    });
    return { aborted: history.aborted, epochs: epochsRun, stopped: earlyStopOf(history.stopped) };
  } finally {
    progress.stop();
  }
}

/** Which checkpoint was scored: "best.ckpt, epoch 17 of 30 (lowest val_loss 0.01234)". */
export function scoredCheckpoint(
  metrics: Record<string, number>[],
  monitor: string,
  hasBest: boolean,
): string {
  const epochs = metrics.length;
  if (!hasBest) return `last.ckpt, epoch ${epochs} of ${epochs} (no epoch improved ${monitor})`;
  let best = 0;
  metrics.forEach((m, i) => {
    if ((m[monitor] ?? Number.POSITIVE_INFINITY) < (metrics[best][monitor] ?? Number.POSITIVE_INFINITY))
      best = i;
  });
  return `best.ckpt, epoch ${metrics[best].epoch + 1} of ${epochs} (lowest ${monitor} ${metrics[best][monitor]?.toPrecision(4)})`;
}

async function finish(
  config: Config,
  task: PreparedTask,
  paths: RunPaths,
  model: Model,
  evaluation: Evaluation,
  seconds: number,
  scored: string,
  stopped: EarlyStop | null,
): Promise<void> {
  const metrics = readMetrics(paths);
  const results = {
    name: config.name,
    task: config.task,
    ...evaluation.score,
    epochs: metrics.length,
    scored,
    seconds,
    threads: config.training.threads,
    kernels: kernelsUsed(config.training.threads),
    ...(stopped === null ? {} : { stoppedEarly: stopped }),
    ...(evaluation.samples === undefined ? {} : { samples: evaluation.samples }),
  };
  writeFileSync(paths.results, `${JSON.stringify(results, null, 2)}\n`);
  await writeReport(paths.report, {
    config,
    score: evaluation.score,
    describe: task.describe,
    summary: model.summary(),
    metrics,
    kernels: readKernels(paths),
    charts: evaluation.charts,
    scored,
    ...(task.trainingUnits === undefined ? {} : { trainingUnits: task.trainingUnits }),
    ...(evaluation.samples === undefined ? {} : { samples: evaluation.samples }),
    seconds,
    stopped,
  });
}

/**
 * The training strategy of a config: threads(N) for N > 1, or when the batch is split into
 * micro-batches (accumulate > 1, or balance) even on one thread; else fit on the calling thread.
 */
function strategyFor(t: Config['training']): ThreadsStrategy | undefined {
  if (t.threads === 1 && t.accumulate === 1 && !t.balance) return undefined;
  return threads(t.threads, { accumulate: t.accumulate, balance: t.balance });
}
