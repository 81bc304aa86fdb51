// fit: the loop around a model's step, Keras-style (evaluate and predict: inference.ts). A
// TrainingStrategy runs each optimizer step; the default runs it on the calling thread, and
// @recur/parallel and @recur/cluster provide others, so nn imports neither (DESIGN.md, "Training").

import type { FloatAllocator } from '../arena.js';
import type { Model } from '../base-model.js';
import type { Batch } from '../batch.js';
import { fail, NnErrorCode, type NnErrorCodeValue, RecurError } from '../errors.js';
import type { StepContext } from '../layer.js';
import { checkStateRows, hasPerSampleState } from '../states.js';
import { describe } from '../validate.js';
import { type Callback, FitRunState, type Logs, type StopReason } from './callbacks.js';
import type { Compiled } from './compile.js';
import {
  type ArrayData,
  ArraySource,
  allocateBatchBuffers,
  type BatchBuffers,
  type BatchSource,
  batchOf,
  checkArrayData,
} from './data.js';
import { checkSource, checkStepResult, resolveFit } from './fit-options.js';
import { evaluateSource } from './inference.js';
import { takesLabels } from './loss.js';
import { type EpochProgress, resumedLoss } from './progress.js';
import { applyUpdate, learningRate } from './update.js';
import { type LogStream, verboseLogger } from './verbose.js';

/** Runs optimizer steps for fit. */
export interface TrainingStrategy {
  readonly name: string;
  /** One optimizer step over global batch `batchIndex`; returns its loss sum and term count. */
  step(
    model: Model,
    source: BatchSource,
    epoch: number,
    batchIndex: number,
    batchSize: number,
  ): Promise<{ sum: number; count: number }>;
  close?(): Promise<void>;
}

export interface FitOptions {
  batchSize?: number;
  epochs?: number;
  shuffle?: boolean;
  /** seeds shuffling and dropout; default the model's seed */
  seed?: number;
  /** [x, y] arrays, or a BatchSource read in order (epoch 0, unshuffled by the caller) */
  validationData?: [ArrayData, ArrayData] | BatchSource;
  /** the last fraction of the samples is held out for validation (before shuffling, as Keras) */
  validationSplit?: number;
  /** one callback or a list, run in list order (earlyStopping(), reduceLROnPlateau(), your own) */
  callbacks?: Callback | Callback[];
  /** 0 silent (default), 1 a progress line on a terminal (one line per epoch elsewhere), 2 one line per epoch */
  verbose?: 0 | 1 | 2;
  /** where verbose output goes; default process.stdout */
  log?: LogStream;
  /** stop after the current step */
  signal?: AbortSignal;
  strategy?: TrainingStrategy;
  /** epoch to start from; default 0 */
  initialEpoch?: number;
  /** continue from the model's saved training position (a model from loadModel) */
  resume?: boolean;
  /** save a checkpoint here after every epoch, and when stopped by the signal */
  checkpoint?: { path: string; preprocessing?: unknown };
}

export interface History {
  epochs: number[];
  history: Record<string, number[]>;
  /** true when fit stopped early through its AbortSignal */
  aborted: boolean;
  /** why a callback (earlyStopping) ended training before `epochs`; null when none did */
  stopped: StopReason | null;
}

/** Per-sample shapes of x and y for a model (without the batch axis). */
export function sampleShapes(model: Model, compiled: Compiled | null) {
  const input = model.inputSpec;
  const output = model.outputSpec;
  const xShape = input.ids
    ? [input.steps as number]
    : input.steps === null
      ? [input.features]
      : [input.steps, input.features];
  const labels = compiled !== null && takesLabels(compiled.loss);
  const steps = output.steps === null ? [] : [output.steps];
  const yShape = labels ? steps : [...steps, output.features];
  return { xShape, yShape, labels };
}

/** The in-memory source for (x, y) arrays, checked against the model. */
export function arraySource(
  model: Model,
  compiled: Compiled | null,
  x: ArrayData,
  y: ArrayData | null,
  shuffle: boolean,
  seed: number,
  indices?: Int32Array,
): ArraySource {
  const { xShape, yShape, labels } = sampleShapes(model, compiled);
  const vocab = model.inputSpec.ids ? (model.layers[0] as unknown as { inputDim: number }).inputDim : 0;
  const cx = checkArrayData('x', x, xShape, model.inputSpec.ids ? 'ids' : 'float', vocab);
  const cy =
    y === null
      ? null
      : checkArrayData('y', y, yShape, labels ? 'labels' : 'float', model.outputSpec.features);
  if (cy !== null && cy.shape[0] !== cx.shape[0]) {
    fail(NnErrorCode.BAD_DATA, `x has ${cx.shape[0]} samples but y has ${cy.shape[0]}`);
  }
  return new ArraySource(cx, cy, indices === undefined ? { shuffle, seed } : { shuffle, seed, indices });
}

/** Batch buffers that fit this model, for batches of up to `maxBatch`. */
export function buffersFor(
  model: Model,
  compiled: Compiled | null,
  maxBatch: number,
  allocator?: FloatAllocator,
): BatchBuffers {
  const { xShape, yShape, labels } = sampleShapes(model, compiled);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  return allocateBatchBuffers(
    maxBatch,
    size(xShape),
    model.inputSpec.ids,
    compiled === null ? 0 : size(yShape),
    labels,
    allocator,
  );
}

/** The default strategy: the whole step on the calling thread. */
export function localStrategy(): TrainingStrategy {
  let buffers: BatchBuffers | null = null;
  let capacity = 0;
  // One batch and one context object, refilled every step: a step allocates nothing.
  let batch: Batch | null = null;
  const ctx: StepContext = { training: true, seed: 0, epoch: 0, sampleIndex: new Int32Array(0) };
  return {
    name: 'local',
    async step(model, source, epoch, batchIndex, batchSize) {
      const compiled = model.compiled as Compiled;
      if (buffers === null || batch === null || capacity < batchSize) {
        buffers = buffersFor(model, compiled, batchSize);
        batch = batchOf(buffers, 0, model.inputSpec.steps ?? 1, source.hasLengths);
        capacity = batchSize;
      }
      const memory = model.ensureMemory(batchSize, compiled.optimizer.stateCount());
      batch.B = source.fill(buffers, epoch, batchIndex, batchSize, 0, 1);
      ctx.seed = model.trainingSeed;
      ctx.epoch = epoch;
      ctx.sampleIndex = buffers.sampleIndex;
      const result = model.computeGradients(batch, compiled.loss, ctx);
      if (!Number.isFinite(result.sum)) {
        fail(
          NnErrorCode.NON_FINITE,
          `loss became ${result.sum} at epoch ${epoch}, batch ${batchIndex}: lower the learning rate or set clipNorm`,
        );
      }
      applyUpdate(memory, compiled, result.count);
      return result;
    },
  };
}

/**
 * Note [a turn of the event loop]: a step of the local strategy is synchronous, so without a
 * turn of the event loop a whole epoch would run before a timer or a signal handler (Ctrl-C)
 * could abort it. fit gives the event loop a turn (setImmediate) when FIT_TURN_MS have passed
 * since the last one: an abort then stops fit after the current step, at a cost of one turn
 * (microseconds) per FIT_TURN_MS of training.
 */
export const FIT_TURN_MS = 10;

const eventLoopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Trains `model` on arrays (x, y) or on a BatchSource. */
export async function fit(
  model: Model,
  data: BatchSource | [ArrayData, ArrayData],
  options: FitOptions = {},
): Promise<History> {
  const compiled = model.compiled;
  if (compiled === null)
    return fail(NnErrorCode.NOT_READY, 'fit: call model.compile({ loss, optimizer }) first');
  const o = resolveFit(model, options);
  model.trainingSeed = o.seed;
  const { train, validation } = splitData(model, compiled, data, o);
  const strategy = options.strategy ?? localStrategy();
  const history: History = { epochs: [], history: {}, aborted: false, stopped: null };
  const start =
    options.resume === true ? { ...model.trainingPosition } : { epoch: o.initialEpoch, position: 0 };
  const save = async () => {
    if (options.checkpoint !== undefined) {
      await model.save(options.checkpoint.path, { preprocessing: options.checkpoint.preprocessing });
    }
  };
  const record = (logs: Logs) => {
    for (const [k, v] of Object.entries(logs)) {
      history.history[k] ??= [];
      history.history[k].push(v);
    }
  };
  const batches = train.batchesPerEpoch?.(o.batchSize) ?? Math.ceil(train.size / o.batchSize);
  const carried = resumedLoss(model, start, o.batchSize);
  const progress: EpochProgress = { batchSize: o.batchSize, lossSum: carried.sum, lossCount: carried.count };
  model.epochProgress = progress;
  const run = fitRun(model, compiled, o, validation !== null, batches, start.epoch);
  let lastTurn = performance.now();
  const releaseMemory = model.holdMemory(); // Note [inference in a held memory]
  try {
    await run.trainBegin();
    for (let epoch = start.epoch; epoch < o.epochs && !history.aborted; epoch++) {
      await run.epochBegin(epoch);
      let sum = epoch === start.epoch ? carried.sum : 0;
      let count = epoch === start.epoch ? carried.count : 0;
      for (let b = epoch === start.epoch ? start.position : 0; b < batches; b++) {
        if (performance.now() - lastTurn >= FIT_TURN_MS) {
          await eventLoopTurn(); // Note [a turn of the event loop]
          lastTurn = performance.now();
        }
        if (options.signal?.aborted) {
          history.aborted = true;
          break;
        }
        const result = checkStepResult(strategy, await strategy.step(model, train, epoch, b, o.batchSize));
        model.trainingPosition =
          b + 1 < batches ? { epoch, position: b + 1 } : { epoch: epoch + 1, position: 0 };
        sum += result.sum;
        count += result.count;
        progress.lossSum = b + 1 < batches ? sum : 0;
        progress.lossCount = b + 1 < batches ? count : 0;
        await run.batchEnd(b, { loss: result.count > 0 ? result.sum / result.count : 0 });
      }
      if (history.aborted) {
        await save();
        break;
      }
      const logs = epochLogs(model, compiled, validation, o.batchSize, count > 0 ? sum / count : 0);
      history.epochs.push(epoch);
      await run.epochEnd(epoch, logs);
      record(logs);
      await save();
      if (run.stopped !== null) break;
    }
    await run.trainEnd();
    history.stopped = run.stopped;
  } finally {
    releaseMemory();
    await strategy.close?.();
  }
  return history;
}

/**
 * An epoch's logs: its mean training loss, the validation loss and metrics (val_), and `lr`, the
 * learning rate of its last step. Porting note: Keras 3 logs the rate as 'learning_rate' (Keras
 * 2's callbacks as 'lr'); we keep the short name, which the CLI's metrics.jsonl also uses.
 */
function epochLogs(
  model: Model,
  compiled: Compiled,
  validation: BatchSource | null,
  batchSize: number,
  loss: number,
): Logs {
  const logs: Logs = { loss };
  if (validation !== null) {
    for (const [k, v] of Object.entries(evaluateSource(model, validation, batchSize))) logs[`val_${k}`] = v;
  }
  logs.lr = learningRate(compiled, Math.max(1, compiled.step));
  return logs;
}

/** The run the callbacks see: the user's callbacks in order, then the verbose output. */
function fitRun(
  model: Model,
  compiled: Compiled,
  o: ReturnType<typeof resolveFit>,
  validated: boolean,
  batches: number,
  firstEpoch: number,
): FitRunState {
  const valKeys = validated ? ['val_loss', ...compiled.metrics.map((m) => `val_${m}`)] : [];
  const callbacks = [...o.callbacks];
  const run = new FitRunState(model, o.epochs, ['loss', ...valKeys, 'lr'], callbacks, firstEpoch);
  if (o.verbose > 0) callbacks.push(verboseLogger(o.verbose as 1 | 2, o.log, batches, run));
  return run;
}

function splitData(
  model: Model,
  compiled: Compiled,
  data: BatchSource | [ArrayData, ArrayData],
  o: ReturnType<typeof resolveFit>,
): { train: BatchSource; validation: BatchSource | null } {
  if (!Array.isArray(data)) {
    if (o.split > 0)
      fail(
        NnErrorCode.BAD_OPTION,
        'fit: validationSplit needs arrays; give validationData for a BatchSource',
      );
    checkSource(data);
    checkStateRows(model, data.size, 'fit');
    return { train: data, validation: validationSource(model, compiled, o) };
  }
  const [x, y] = data;
  const n = x.shape?.[0] ?? 0;
  checkStateRows(model, n, 'fit');
  const held = Math.floor(n * o.split);
  if (o.split > 0 && (held === 0 || held === n)) {
    fail(NnErrorCode.BAD_OPTION, `fit: validationSplit ${o.split} of ${n} samples leaves an empty part`);
  }
  const trainIndices = Int32Array.from({ length: n - held }, (_, i) => i);
  const valIndices = Int32Array.from({ length: held }, (_, i) => n - held + i);
  const train = arraySource(model, compiled, x, y, o.shuffle, o.seed, held > 0 ? trainIndices : undefined);
  const validation =
    held > 0
      ? arraySource(model, compiled, x, y, false, o.seed, valIndices)
      : validationSource(model, compiled, o);
  return { train, validation };
}

/** The source over `validationData`, checked; null when there is none. */
function validationSource(
  model: Model,
  compiled: Compiled,
  o: ReturnType<typeof resolveFit>,
): BatchSource | null {
  const given = o.validationData;
  if (given === undefined) return null;
  if (!Array.isArray(given) && typeof (given as BatchSource)?.fill === 'function') {
    checkSource(given as BatchSource);
    return given as BatchSource;
  }
  if (!Array.isArray(given) || given.length !== 2) {
    fail(
      NnErrorCode.BAD_OPTION,
      `fit: validationData must be [x, y], two arrays { data, shape } like fit's own, got ${describe(given)}`,
    );
  }
  if (hasPerSampleState(model)) {
    fail(
      NnErrorCode.BAD_OPTION,
      'fit: a per-sample initial state (one row per training sample) cannot start the samples of validationData; ' +
        'use validationSplit, or a single-row state (H) for every sample',
    );
  }
  try {
    return arraySource(model, compiled, given[0], given[1], false, o.seed);
  } catch (error) {
    if (error instanceof RecurError)
      fail(error.code as NnErrorCodeValue, `fit: validationData ${error.message}`, error);
    throw error;
  }
}

/** Whether `x` is a BatchSource (it has `fill`) rather than arrays. */
export function isSource(x: unknown): x is BatchSource {
  return typeof x === 'object' && x !== null && typeof (x as BatchSource).fill === 'function';
}
