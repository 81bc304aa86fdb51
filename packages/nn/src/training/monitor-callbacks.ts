// Callbacks that watch one number of the epoch logs: earlyStopping (stop when it stops
// improving, optionally restoring the best epoch's parameters) and reduceLROnPlateau (lower the
// learning rate when it stops improving). Both check their options when made and their monitor
// against the run's log keys when training begins (ERR_NN_BAD_OPTION).
//
// Porting note: Keras 3's EarlyStopping and ReduceLROnPlateau, option for option (camelCase):
// - improvement: min mode `current < best − minDelta`, max mode `current > best + minDelta`
//   (minDelta is taken as |minDelta|); the first monitored epoch always improves.
// - mode 'auto' is max for accuracy (val_accuracy) and min for everything else (loss, mse, mae,
//   perplexity); Keras 3 asks the metric for its direction, ReduceLROnPlateau looks for 'acc'.
// - earlyStopping: `wait` counts epochs since the last improvement; an improvement resets it only
//   if it also beats `baseline`; training stops once wait ≥ patience (never after epoch 0).
//   Epochs before `startFromEpoch` are not monitored. With restoreBestWeights the parameters of
//   the best epoch are copied (P floats) when it ends and copied back when training ends, also
//   when it was not stopped early (Keras 3; Keras 2 restored only on an early stop).
// - reduceLROnPlateau: after `patience` epochs without improvement (none counted during the
//   `cooldown` epochs after a reduction) lr becomes max(lr · factor, minLr) if lr > minLr.
// Both monitor absolute epoch numbers (0-based, as fit's), so a resumed fit keeps counting.
import { fail, NnErrorCode } from '../errors.js';
import { boolean, describe, knownKeys, nonNegativeInteger, numberInRange, oneOf } from '../validate.js';
import type { Callback, FitRun, Logs } from './callbacks.js';

export type MonitorMode = 'auto' | 'min' | 'max';
const MODES: readonly MonitorMode[] = ['auto', 'min', 'max'];

export interface EarlyStoppingOptions {
  /** a key of the epoch logs: 'val_loss' (default), 'loss', 'val_mae', … */
  monitor?: string;
  /** default 'auto' (max for accuracy, min otherwise) */
  mode?: MonitorMode;
  /** epochs without improvement before stopping; default 0 */
  patience?: number;
  /** the least change that counts as an improvement; default 0 */
  minDelta?: number;
  /** copy the best epoch's parameters back when training ends; default false */
  restoreBestWeights?: boolean;
  /** a value the monitor must beat for an improvement to reset the patience */
  baseline?: number;
  /** the first epoch (0-based) that is monitored; default 0 */
  startFromEpoch?: number;
}

export interface EarlyStopping extends Callback {
  readonly name: 'earlyStopping';
  /** the best monitored value and its epoch (0-based); null before any */
  readonly best: number | null;
  readonly bestEpoch: number | null;
  /** the epoch after which it stopped training; null when it did not */
  readonly stoppedEpoch: number | null;
}

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  mode?: MonitorMode;
  /** the new lr is lr · factor, factor in (0, 1); default 0.1 */
  factor?: number;
  /** epochs without improvement before reducing; default 10 */
  patience?: number;
  /** default 1e-4 */
  minDelta?: number;
  /** epochs after a reduction during which no epoch counts as without improvement; default 0 */
  cooldown?: number;
  /** the lowest lr; default 0 */
  minLr?: number;
}

export interface ReduceLROnPlateau extends Callback {
  readonly name: 'reduceLROnPlateau';
  /** the epochs (0-based) after which it lowered the learning rate, and to what */
  readonly reductions: readonly { epoch: number; lr: number }[];
}

/** Whether a monitored value improves on a reference. */
interface Monitor {
  key: string;
  improves(current: number, reference: number | null): boolean;
}

function monitorOf(
  where: string,
  options: { monitor?: unknown; mode?: unknown; minDelta?: unknown },
  minDelta: number,
): Monitor {
  const key = options.monitor === undefined ? 'val_loss' : options.monitor;
  if (typeof key !== 'string' || key === '') {
    fail(
      NnErrorCode.BAD_OPTION,
      `${where}: monitor must be a key of the epoch logs such as 'val_loss', got ${describe(key)}`,
    );
  }
  const mode = options.mode === undefined ? 'auto' : oneOf(where, 'mode', options.mode, MODES);
  const max = mode === 'max' || (mode === 'auto' && key.replace(/^val_/, '') === 'accuracy');
  const delta = Math.abs(minDelta);
  return {
    key,
    improves: (current, reference) =>
      reference === null || (max ? current - delta > reference : current + delta < reference),
  };
}

/** At training's start: the monitor must be one of the keys the epoch logs will have. */
function checkMonitored(where: string, monitor: Monitor, run: FitRun): void {
  if (run.logKeys.includes(monitor.key)) return;
  const hint = monitor.key.startsWith('val_')
    ? '; give fit validationData or validationSplit, or monitor a training key'
    : '';
  fail(
    NnErrorCode.BAD_OPTION,
    `${where}: monitor '${monitor.key}' is not in the epoch logs (${run.logKeys.join(', ')})${hint}`,
  );
}

/** The monitored value of an epoch's logs (checked at training's start, so present). */
const monitoredValue = (monitor: Monitor, logs: Logs): number => logs[monitor.key];

const EARLY_KEYS = [
  'monitor',
  'mode',
  'patience',
  'minDelta',
  'restoreBestWeights',
  'baseline',
  'startFromEpoch',
];

/** Stops fit when the monitored value has not improved for `patience` epochs (Keras' EarlyStopping). */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  const where = 'earlyStopping';
  knownKeys(where, options, EARLY_KEYS);
  const minDelta = options.minDelta === undefined ? 0 : finite(where, 'minDelta', options.minDelta);
  const monitor = monitorOf(where, options, minDelta);
  const patience =
    options.patience === undefined ? 0 : nonNegativeInteger(where, 'patience', options.patience);
  const restore =
    options.restoreBestWeights === undefined
      ? false
      : boolean(where, 'restoreBestWeights', options.restoreBestWeights);
  const baseline = options.baseline === undefined ? null : finite(where, 'baseline', options.baseline);
  const startFrom =
    options.startFromEpoch === undefined
      ? 0
      : nonNegativeInteger(where, 'startFromEpoch', options.startFromEpoch);
  let wait = 0;
  let best: number | null = null;
  let bestEpoch: number | null = null;
  let stoppedEpoch: number | null = null;
  let bestWeights: Float32Array | null = null; // (P) the best epoch's parameters
  return {
    name: 'earlyStopping',
    get best() {
      return best;
    },
    get bestEpoch() {
      return bestEpoch;
    },
    get stoppedEpoch() {
      return stoppedEpoch;
    },
    onTrainBegin(run) {
      checkMonitored(where, monitor, run);
      wait = 0;
      best = null;
      bestEpoch = null;
      stoppedEpoch = null;
      bestWeights = null;
    },
    onEpochEnd(epoch, logs, run) {
      if (epoch < startFrom) return;
      const current = monitoredValue(monitor, logs);
      wait += 1;
      if (monitor.improves(current, best)) {
        best = current;
        bestEpoch = epoch;
        if (restore) {
          bestWeights ??= new Float32Array(run.model.params.length);
          bestWeights.set(run.model.params);
        }
        if (baseline === null || monitor.improves(current, baseline)) wait = 0;
        return;
      }
      if (wait >= patience && epoch > 0) {
        stoppedEpoch = epoch;
        const reason =
          `${monitor.key} did not improve on ${format(best)} (epoch ${(bestEpoch ?? 0) + 1}) ` +
          `by more than ${Math.abs(minDelta)} for ${wait} epoch${wait === 1 ? '' : 's'} (patience ${patience})`;
        run.stop('earlyStopping', reason);
        run.note(`Epoch ${epoch + 1}: early stopping: ${reason}`);
      }
    },
    onTrainEnd(run) {
      if (!restore || bestWeights === null) return;
      run.model.params.set(bestWeights);
      run.note(`Restoring model weights from the end of the best epoch: ${(bestEpoch ?? 0) + 1}.`);
    },
  };
}

const PLATEAU_KEYS = ['monitor', 'mode', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr'];

/** Lowers the learning rate when the monitored value has not improved for `patience` epochs (Keras' ReduceLROnPlateau). */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): ReduceLROnPlateau {
  const where = 'reduceLROnPlateau';
  knownKeys(where, options, PLATEAU_KEYS);
  const minDelta = options.minDelta === undefined ? 1e-4 : finite(where, 'minDelta', options.minDelta);
  const monitor = monitorOf(where, options, minDelta);
  const factor =
    options.factor === undefined
      ? 0.1
      : numberInRange(where, 'factor', options.factor, 0, 1, { minInclusive: false, maxInclusive: false });
  const patience =
    options.patience === undefined ? 10 : nonNegativeInteger(where, 'patience', options.patience);
  const cooldown =
    options.cooldown === undefined ? 0 : nonNegativeInteger(where, 'cooldown', options.cooldown);
  const minLr =
    options.minLr === undefined
      ? 0
      : numberInRange(where, 'minLr', options.minLr, 0, Number.POSITIVE_INFINITY);
  let wait = 0;
  let cooling = 0;
  let best: number | null = null;
  const reductions: { epoch: number; lr: number }[] = [];
  return {
    name: 'reduceLROnPlateau',
    reductions,
    onTrainBegin(run) {
      checkMonitored(where, monitor, run);
      wait = 0;
      cooling = 0;
      best = null;
      reductions.length = 0;
    },
    onEpochEnd(epoch, logs, run) {
      const current = monitoredValue(monitor, logs);
      if (cooling > 0) {
        cooling -= 1;
        wait = 0;
      }
      if (monitor.improves(current, best)) {
        best = current;
        wait = 0;
        return;
      }
      if (cooling > 0) return;
      wait += 1;
      if (wait < patience) return;
      const old = run.lr();
      if (!(old > minLr)) return;
      const lr = Math.max(old * factor, minLr);
      run.setLr(lr);
      reductions.push({ epoch, lr });
      run.note(`Epoch ${epoch + 1}: reduceLROnPlateau reducing learning rate to ${lr}.`);
      cooling = cooldown;
      wait = 0;
    },
  };
}

function finite(where: string, name: string, value: unknown): number {
  return numberInRange(where, name, value, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
}

const format = (v: number | null) => (v === null ? '-' : Number(v.toPrecision(6)).toString());
