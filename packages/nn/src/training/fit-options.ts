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
import { callbackList } from './callbacks.js';
import type { BatchSource } from './data.js';
import type { FitOptions, TrainingStrategy } from './fit.js';
import type { LogStream } from './verbose.js';

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
  'verbose',
  'log',
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
  const callbacks = callbackList(options.callbacks);
  checkStrategy(options.strategy);
  const verbose = options.verbose === undefined ? 0 : verboseLevel(options.verbose);
  const log = logStream(options.log);
  if (options.validationData !== undefined && split > 0) {
    fail(NnErrorCode.BAD_OPTION, 'fit: give validationData or validationSplit, not both');
  }
  return {
    batchSize,
    epochs,
    seed,
    split,
    initialEpoch,
    shuffle,
    validationData: options.validationData,
    callbacks,
    verbose,
    log,
  };
}

function verboseLevel(value: unknown): 0 | 1 | 2 {
  if (value !== 0 && value !== 1 && value !== 2) {
    fail(NnErrorCode.BAD_OPTION, `fit: verbose must be 0, 1 or 2, got ${describe(value)}`);
  }
  return value;
}

/** fit's `log`: an object with write(text); default process.stdout. */
function logStream(log: unknown): LogStream {
  if (log === undefined) return process.stdout;
  if (typeof log !== 'object' || log === null || typeof (log as LogStream).write !== 'function') {
    fail(
      NnErrorCode.BAD_OPTION,
      `fit: log must be a stream with write(text) (process.stdout, a file stream), got ${describe(log)}`,
    );
  }
  return log as LogStream;
}

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
