// What every task gives the trainer: three splits as data sets read on the fly, the preprocessing
// JSON that travels in checkpoints, the model, how to compile it, and how to score a trained
// model on the test split beside the task's naive baseline (with the data the report plots).
import {
  allocateBatchBuffers,
  type BatchBuffers,
  batchSource,
  type DatasetBatchSource,
  datasetShape,
  type SequenceDataset,
} from '@recur/data';
import type { CompileOptions, Model } from '@recur/nn';
import type { Config } from '../config/schema.js';
import type { ChartSpec } from '../report/charts.js';

/**
 * One split of a task: a data set whose samples (windows, encoded texts) are made on the fly by
 * its `read`, never copied whole. Training, evaluation and prediction read it through @recur/data
 * batch sources or a chunk of batch buffers at a time (Note [no materialised split]).
 */
export interface Split {
  dataset: SequenceDataset;
  size: number;
}

export interface Score {
  /** e.g. 'MAE', 'accuracy', 'perplexity' */
  metric: string;
  /** the unit after a value, e.g. ' °C' or '%' */
  unit: string;
  value: number;
  baseline: { name: string; value: number };
  /** other naive predictions, reported beside the baseline (forecasts: the training mean) */
  others?: { name: string; value: number }[];
  lowerIsBetter: boolean;
}

export interface Evaluation {
  score: Score;
  /** task-specific charts for the report */
  charts: ChartSpec[];
  /** text for the report (sample generations) */
  samples?: string[];
}

export interface PreparedTask {
  config: Config;
  train: Split;
  validation: Split;
  test: Split;
  /** saved in every checkpoint; evaluation and prediction rebuild the preprocessing from it */
  preprocessing: unknown;
  /** one line on the data, e.g. "1,023 / 212 / 212 windows of 30 days" */
  describe: string;
  /** the units of the loss and validation metric when they are not the score's (forecasts: a scaled target) */
  trainingUnits?: string;
  buildModel(): Model;
  compile: CompileOptions;
  /** the validation metric that picks the best checkpoint (a key of fit's logs) */
  monitor: string;
  evaluate(model: Model, split?: Split): Promise<Evaluation>;
}

/** The first `limit` samples of a data set (all without a limit). */
export function limited(size: number, limit: number | undefined): number {
  return limit === undefined ? size : Math.min(size, limit);
}

// Note [no materialised split]: a split is read a batch (or a chunk of EVAL_CHUNK samples) at a
// time, into buffers reused for the next one; nothing holds all of its samples at once. The
// observer below lets a test check that bound on every sample read by train, eval, predict and
// the cluster commands.

/** Samples read at a time when a task scans a split outside fit (evaluation, targets). */
export const EVAL_CHUNK = 256;

/** Called on every sample read from a split: (sample index, row of the buffers it lands in). */
export type SampleReadObserver = (sample: number, row: number) => void;
let observer: SampleReadObserver | null = null;

/** Installs (or, with null, removes) the observer of every split's sample reads (for tests). */
export function observeSampleReads(next: SampleReadObserver | null): void {
  observer = next;
}

/** The first `limit` samples of `dataset` (all without a limit) as a split; nothing is read yet. */
export function splitOf(dataset: SequenceDataset, limit?: number): Split {
  const size = limited(dataset.size, limit);
  const view: SequenceDataset = {
    ...datasetShape(dataset),
    size,
    read: (i, into, b) => {
      observer?.(i, b);
      return dataset.read(i, into, b);
    },
  };
  return { dataset: view, size };
}

/** A @recur/data batch source over a split: shuffled by data's sampler for training, in order otherwise. */
export function sourceOf(split: Split, options: { shuffle: boolean; seed: number }): DatasetBatchSource {
  return batchSource(split.dataset, { seed: options.seed, shuffle: options.shuffle });
}

/** Calls `visit` with consecutive chunks of a split's samples, read into one reused set of buffers. */
export function forEachChunk(
  split: Split,
  visit: (buffers: BatchBuffers, first: number, count: number) => void,
  chunk = EVAL_CHUNK,
): void {
  const buffers = allocateBatchBuffers(split.dataset, Math.max(1, Math.min(chunk, split.size)));
  for (let first = 0; first < split.size; first += chunk) {
    const count = Math.min(chunk, split.size - first);
    for (let k = 0; k < count; k++) buffers.lengths[k] = split.dataset.read(first + k, buffers, k);
    visit(buffers, first, count);
  }
}

/** Cuts `n` records into consecutive train / validation / test index ranges by fractions. */
export function recordRanges(n: number, split: { train: number; validation: number }) {
  const a = Math.round(n * split.train);
  const b = Math.max(a, Math.min(n, Math.round(n * (split.train + split.validation))));
  return { train: [0, a], validation: [a, b], test: [b, n] } as const;
}

/** The optimizer and learning rate of a config's training section, as compile() takes them. */
export function optimizerOf(config: Config): CompileOptions['optimizer'] {
  return { kind: config.training.optimizer, lr: config.training.learningRate } as CompileOptions['optimizer'];
}

/** Gradient clipping by global norm when the config asks for it (training.clipNorm > 0). */
export function clipOf(config: Config): { clipNorm?: number } {
  return config.training.clipNorm > 0 ? { clipNorm: config.training.clipNorm } : {};
}

/** Compile options for logits against integer labels (classes, tags, next tokens). */
export function labelsCompile(config: Config, metric: 'accuracy' | 'perplexity'): CompileOptions {
  return {
    loss: 'sparseCategoricalCrossentropy',
    optimizer: optimizerOf(config),
    metrics: [metric],
    ...clipOf(config),
  };
}
