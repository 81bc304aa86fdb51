// What every task gives the trainer: three splits as arrays for @recur/nn, the preprocessing
// JSON that travels in checkpoints, the model, how to compile it, and how to score a trained
// model on the test split beside the task's naive baseline (with the data the report plots).
import { allocateBatchBuffers, type SequenceDataset } from '@recur/data';
import type { ArrayData, CompileOptions, Model } from '@recur/nn';
import type { Config } from '../config/schema.js';
import type { ChartSpec } from '../report/charts.js';

export interface Split {
  x: ArrayData;
  y: ArrayData;
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

/** Every sample of a data set (up to `limit`) in arrays, batch-major, with lengths when it has them. */
export function materialize(dataset: SequenceDataset, limit?: number): Split {
  const n = limited(dataset.size, limit);
  const buffers = allocateBatchBuffers(dataset, Math.max(1, n));
  for (let i = 0; i < n; i++) buffers.lengths[i] = dataset.read(i, buffers, i);
  const T = dataset.steps;
  const xShape = dataset.ids ? [n, T] : [n, T, dataset.features];
  const xData = (dataset.ids ? buffers.ids : buffers.x) as Float32Array | Int32Array;
  const perSample = dataset.targetPerSample;
  const target = buffers.target as Float32Array | Int32Array;
  const x: ArrayData = dataset.hasLengths
    ? {
        data: xData.subarray(
          0,
          xShape.reduce((a, b) => a * b, 1),
        ),
        shape: xShape,
        lengths: buffers.lengths.subarray(0, n),
      }
    : {
        data: xData.subarray(
          0,
          xShape.reduce((a, b) => a * b, 1),
        ),
        shape: xShape,
      };
  return { x, y: { data: target.subarray(0, n * perSample), shape: [n, perSample] }, size: n };
}

/** A seeded Fisher–Yates shuffle (mulberry32), in place. */
export function shuffleInPlace<T>(items: T[], seed: number): T[] {
  let state = (seed ^ 0x9e3779b9) >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Cuts `n` records into consecutive train / validation / test index ranges by fractions. */
export function recordRanges(n: number, split: { train: number; validation: number }) {
  const a = Math.round(n * split.train);
  const b = Math.max(a, Math.min(n, Math.round(n * (split.train + split.validation))));
  return { train: [0, a], validation: [a, b], test: [b, n] } as const;
}

/** The recurrent stack of a config's model section, as @recur/nn layers are named. */
export function optimizerOf(config: Config): CompileOptions['optimizer'] {
  return { kind: config.training.optimizer, lr: config.training.learningRate } as CompileOptions['optimizer'];
}

export function clipOf(config: Config): { clipNorm?: number } {
  return config.training.clipNorm > 0 ? { clipNorm: config.training.clipNorm } : {};
}
