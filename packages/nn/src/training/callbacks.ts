// fit's callbacks, as Keras has them: objects with hooks at the start and end of training, of
// each epoch and of each batch, given a FitRun through which they read and change the learning
// rate, stop training after the current epoch, and leave notes for the verbose output.
//
// Is: the Callback and FitRun types, the check of fit's `callbacks` option (one object or a
// list, run in list order), and the FitRun that fit drives. Is not: the callbacks themselves
// (monitor-callbacks.ts: earlyStopping, reduceLROnPlateau; verbose.ts: the progress output).
//
// Porting note: Keras' `model.stop_training = True` is `run.stop(by, reason)`; Keras' writes to
// `optimizer.learning_rate` are `run.setLr(lr)`, which scales the schedule (Compiled.lrScale) so
// that the next step uses `lr` and later steps keep the schedule's shape.
import type { Model } from '../base-model.js';
import { fail, NnErrorCode } from '../errors.js';
import { describe, numberInRange } from '../validate.js';
import type { Compiled } from './compile.js';
import { learningRate } from './update.js';

/** Numbers reported after a batch or an epoch: loss, metrics, their val_ forms and lr. */
export type Logs = Record<string, number>;

export interface Callback {
  onTrainBegin?(run: FitRun): void | Promise<void>;
  onEpochBegin?(epoch: number, run: FitRun): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs, run: FitRun): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, run: FitRun): void | Promise<void>;
  /** after the last epoch, after a stop by a callback and after a stop by fit's signal */
  onTrainEnd?(run: FitRun): void | Promise<void>;
}

/** The earlier name of Callback (one object with onBatchEnd / onEpochEnd). */
export type Callbacks = Callback;

/** Why training ended before its last epoch: the callback, the epoch and the reason. */
export interface StopReason {
  /** what stopped it, e.g. 'earlyStopping' */
  by: string;
  /** the epoch after which it stopped (0-based, as fit's epochs) */
  epoch: number;
  reason: string;
}

/** What a callback sees of the training run. */
export interface FitRun {
  readonly model: Model;
  /** the epoch fit trains up to (exclusive), its `epochs` option */
  readonly epochs: number;
  /** the epoch running or just ended (0-based) */
  readonly epoch: number;
  /** the keys every epoch's logs have: 'loss', 'lr', and with validation 'val_loss', 'val_<metric>' */
  readonly logKeys: readonly string[];
  /** the learning rate the next optimizer step will use */
  lr(): number;
  /** the next step uses `lr` (> 0); the schedule is scaled by the same factor from then on */
  setLr(lr: number): void;
  /** ends fit after this epoch's callbacks (Keras' model.stop_training = True) */
  stop(by: string, reason: string): void;
  readonly stopped: StopReason | null;
  /** a line for fit's verbose output (printed after the epoch's line when verbose > 0) */
  note(message: string): void;
}

const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];

/**
 * fit's `callbacks` option as a list, checked: a callback is an object whose hooks (keys of the
 * form on<Name>) are known and are functions; other keys (a callback's own state) are its own.
 */
export function callbackList(value: unknown): Callback[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((callback, i) => {
    checkCallback(Array.isArray(value) ? `callbacks[${i}]` : 'callbacks', callback);
  });
  return list as Callback[];
}

function checkCallback(where: string, callback: unknown): void {
  if (typeof callback !== 'object' || callback === null || Array.isArray(callback)) {
    fail(
      NnErrorCode.BAD_OPTION,
      `fit: ${where} must be a callback object { onEpochEnd?, onBatchEnd?, … } (or a list of them), got ${describe(callback)}`,
    );
  }
  for (const [key, value] of Object.entries(callback)) {
    if (!/^on[A-Z]/.test(key)) continue;
    if (!HOOKS.includes(key)) {
      fail(NnErrorCode.BAD_OPTION, `fit: unknown callback '${key}' in ${where} (known: ${HOOKS.join(', ')})`);
    }
    if (value !== undefined && typeof value !== 'function') {
      fail(
        NnErrorCode.BAD_OPTION,
        `fit: ${where}.${key} must be a function ${hookArguments(key)} => void | Promise<void>, got ${describe(value)}`,
      );
    }
  }
}

function hookArguments(hook: string): string {
  if (hook === 'onBatchEnd') return '(batch, logs, run)';
  if (hook === 'onEpochEnd') return '(epoch, logs, run)';
  if (hook === 'onEpochBegin') return '(epoch, run)';
  return '(run)';
}

/** The FitRun fit drives, and the calls of every callback's hooks in list order. */
export class FitRunState implements FitRun {
  epoch: number;
  stopped: StopReason | null = null;
  /** notes not yet printed (verbose.ts drains them) */
  readonly notes: string[] = [];

  constructor(
    readonly model: Model,
    readonly epochs: number,
    readonly logKeys: readonly string[],
    private readonly callbacks: readonly Callback[],
    firstEpoch: number,
  ) {
    this.epoch = firstEpoch;
  }

  private get compiled(): Compiled {
    return this.model.compiled as Compiled;
  }

  lr(): number {
    return learningRate(this.compiled, this.compiled.step + 1);
  }

  setLr(lr: number): void {
    numberInRange('setLr', 'lr', lr, 0, Number.POSITIVE_INFINITY, { minInclusive: false });
    const c = this.compiled;
    const scheduled = c.schedule(c.step + 1);
    if (!(scheduled > 0)) {
      fail(
        NnErrorCode.BAD_OPTION,
        `setLr: the schedule gives step ${c.step + 1} a learning rate of ${scheduled}, which no factor scales to ${lr}`,
      );
    }
    c.lrScale = lr / scheduled;
  }

  stop(by: string, reason: string): void {
    this.stopped ??= { by, epoch: this.epoch, reason };
  }

  note(message: string): void {
    this.notes.push(message);
  }

  async trainBegin(): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(this);
  }

  async epochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, this);
  }

  async batchEnd(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd?.(batch, logs, this);
  }

  async epochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs, this);
  }

  async trainEnd(): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(this);
  }
}
