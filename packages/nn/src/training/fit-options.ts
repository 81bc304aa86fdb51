// fit's options and inputs, checked at the public boundary: every option by name with the
// accepted values, the callbacks, the signal, the strategy (and what its step resolves to) and
// a batch source's shape. Each failure is a coded RecurError (ERR_NN_BAD_OPTION, ERR_NN_BAD_DATA).
import type { Model } from '../base-model.js';
import { fail, NnErrorCode } from '../errors.js';
import {
  boolean,
  describe,
  knownKeys,
  nonNegativeInteger,
  numberInRange,
  positiveInteger,
} from '../validate.js';
import type { BatchSource } from './data.js';
import type { FitOptions, TrainingStrategy } from './fit.js';

const FIT_KEYS = [
  'batchSize',
  'epochs',
  'shuffle',
  'seed',
  'validationData',
  'validationSplit',
  'callbacks',
  'signal',
  'strategy',
  'initialEpoch',
  'resume',
  'checkpoint',
];

/** fit's options, checked (coded errors naming the option), with their defaults. */
export function resolveFit(model: Model, options: FitOptions) {
  knownKeys('fit', options, FIT_KEYS);
  const batchSize =
    options.batchSize === undefined ? 32 : positiveInteger('fit', 'batchSize', options.batchSize);
  const epochs = options.epochs === undefined ? 1 : positiveInteger('fit', 'epochs', options.epochs);
  const seed = options.seed === undefined ? model.seed : nonNegativeInteger('fit', 'seed', options.seed);
  const split =
    options.validationSplit === undefined
      ? 0
      : numberInRange('fit', 'validationSplit', options.validationSplit, 0, 1, { maxInclusive: false });
  const c = options.checkpoint;
  if (c !== undefined) {
    if (typeof c !== 'object' || c === null || typeof c.path !== 'string' || c.path === '') {
      fail(
        NnErrorCode.BAD_OPTION,
        `fit: checkpoint must be { path: string, preprocessing? }, got ${describe(c)}`,
      );
    }
    knownKeys('fit: checkpoint', c, ['path', 'preprocessing'], '{ path, preprocessing? }');
  }
  const initialEpoch =
    options.initialEpoch === undefined ? 0 : nonNegativeInteger('fit', 'initialEpoch', options.initialEpoch);
  const shuffle = options.shuffle === undefined ? true : boolean('fit', 'shuffle', options.shuffle);
  if (options.resume !== undefined) boolean('fit', 'resume', options.resume);
  checkSignal(options.signal);
  checkCallbacks(options.callbacks);
  checkStrategy(options.strategy);
  if (options.validationData !== undefined && split > 0) {
    fail(NnErrorCode.BAD_OPTION, 'fit: give validationData or validationSplit, not both');
  }
  return { batchSize, epochs, seed, split, initialEpoch, shuffle, validationData: options.validationData };
}

const CALLBACK_KEYS = ['onBatchEnd', 'onEpochEnd'];

function checkSignal(signal: unknown): void {
  if (signal === undefined) return;
  const s = signal as { aborted?: unknown; addEventListener?: unknown };
  if (
    typeof signal !== 'object' ||
    signal === null ||
    typeof s.aborted !== 'boolean' ||
    typeof s.addEventListener !== 'function'
  ) {
    fail(
      NnErrorCode.BAD_OPTION,
      `fit: signal must be an AbortSignal (new AbortController().signal), got ${describe(signal)}`,
    );
  }
}

function checkCallbacks(callbacks: unknown): void {
  if (callbacks === undefined) return;
  if (typeof callbacks !== 'object' || callbacks === null || Array.isArray(callbacks)) {
    fail(
      NnErrorCode.BAD_OPTION,
      `fit: callbacks must be an object { onBatchEnd?, onEpochEnd? }, got ${describe(callbacks)}`,
    );
  }
  for (const [key, value] of Object.entries(callbacks)) {
    if (!CALLBACK_KEYS.includes(key)) {
      fail(NnErrorCode.BAD_OPTION, `fit: unknown callback '${key}' (known: ${CALLBACK_KEYS.join(', ')})`);
    }
    if (value !== undefined && typeof value !== 'function') {
      const args = key === 'onBatchEnd' ? '(batch, logs)' : '(epoch, logs)';
      fail(
        NnErrorCode.BAD_OPTION,
        `fit: callbacks.${key} must be a function ${args} => void | Promise<void>, got ${describe(value)}`,
      );
    }
  }
}

function checkStrategy(strategy: unknown): void {
  if (strategy === undefined) return;
  const s = strategy as { step?: unknown; close?: unknown };
  if (typeof strategy !== 'object' || strategy === null || typeof s.step !== 'function') {
    fail(
      NnErrorCode.BAD_OPTION,
      'fit: strategy must be a TrainingStrategy: an object with step(model, source, epoch, batchIndex, batchSize) ' +
        `(e.g. threads(4) from @recur/parallel), got ${describe(strategy)}`,
    );
  }
  if (s.close !== undefined && typeof s.close !== 'function') {
    fail(
      NnErrorCode.BAD_OPTION,
      `fit: strategy.close must be a function () => Promise<void>, got ${describe(s.close)}`,
    );
  }
}

/** What a strategy's step resolved to, checked. */
export function checkStepResult(strategy: TrainingStrategy, result: unknown): { sum: number; count: number } {
  const r = result as { sum?: unknown; count?: unknown } | null;
  if (typeof r !== 'object' || r === null || typeof r.sum !== 'number' || typeof r.count !== 'number') {
    fail(
      NnErrorCode.BAD_OPTION,
      `fit: strategy '${strategy.name}' step resolved to ${describe(result)}; it must resolve to { sum, count }`,
    );
  }
  return r as { sum: number; count: number };
}

/** Checks that `source` is a BatchSource: { size, hasLengths, fill(), batchesPerEpoch?() }. */
export function checkSource(source: unknown): void {
  const s = source as Partial<Record<keyof BatchSource, unknown>> | null;
  const ok =
    typeof s === 'object' &&
    s !== null &&
    typeof s.fill === 'function' &&
    typeof s.size === 'number' &&
    Number.isInteger(s.size) &&
    s.size >= 1 &&
    typeof s.hasLengths === 'boolean' &&
    (s.batchesPerEpoch === undefined || typeof s.batchesPerEpoch === 'function');
  if (!ok) {
    fail(
      NnErrorCode.BAD_DATA,
      'fit: give arrays (x, y), each { data, shape }, or a batch source { size (≥ 1), hasLengths, ' +
        `fill(buffers, epoch, batchIndex, batchSize, rank, world), batchesPerEpoch?() }; got ${describe(source)}`,
    );
  }
}
