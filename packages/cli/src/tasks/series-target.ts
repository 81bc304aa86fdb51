// What a forecast model predicts, and how its inputs are scaled, so that a series that rises (or
// falls) past the training range still gets sensible forecasts: Note [target modes].
//
// 'level' — the model predicts the scaled value of the target (the columns' scaler, fitted on the
// training rows). 'change' — it predicts the scaled change from the window's last value, which is
// added back for the score and for `recur predict`; the target's own input column is fed as its
// scaled one-row change. 'auto' picks one of the two before training, from the data alone.
import { columnRecord, type RowRange, type Scaler, type SequenceDataset, windowDataset } from '@recur/data';

export type TargetMode = 'level' | 'change';

/** A z-score: v ↦ (v − mean) / std. */
export interface ChangeScale {
  mean: number;
  std: number;
}

/** The target mode a checkpoint keeps (SeriesPreprocessing.targetMode; absent in older runs = level). */
export interface TargetTransform {
  mode: TargetMode;
  /** change mode: the z-score of the target's change from a window's last row to its target rows (training windows) */
  change?: ChangeScale;
  /** change mode: the z-score of the target's one-row change, the input the model sees instead of its level */
  step?: ChangeScale;
}

/** 'auto' takes the change mode when at least this share of the validation targets lies outside the training range. */
export const AUTO_OUTSIDE_SHARE = 0.05;

// Note [target modes]: a level model ends in a dense layer over bounded (tanh) recurrent states,
// and its level inputs are z-scored on the training rows; on a series that leaves the training
// range (CO2, a price) its inputs go where training never went and its outputs stay near the
// training range: CO2's monthly test MAE was 21.9 ppm against persistence's 1.27. A change model
// sees and predicts one-row changes, which stay in their training range on a trend; with a zero
// output it forecasts the last value plus the mean training change (persistence with drift).
// 'auto' decides before training, by a cheap test on the validation split rather than by training
// both modes: the failure it avoids is extrapolation, which shows in the data alone, so the test
// is deterministic (the same choice in `recur train` and `recur eval`), costs no epochs, and does
// not favour the change mode for starting nearer persistence after a short trial. The test:
// change when at least AUTO_OUTSIDE_SHARE of the validation targets lie outside [min, max] of the
// training targets. Measured on the example data: CO2 89%, S&P 500 close 95%, Seattle temp_max 0%.

/** The mode `requested` resolves to, and why (printed and put in the report). */
export function chooseTargetMode(
  requested: 'auto' | TargetMode,
  target: Float64Array,
  ranges: { train: RowRange; validation: RowRange },
): { mode: TargetMode; reason: string } {
  if (requested !== 'auto') return { mode: requested, reason: 'data.targetMode' };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let r = ranges.train.start; r < ranges.train.end; r++) {
    min = Math.min(min, target[r]);
    max = Math.max(max, target[r]);
  }
  let outside = 0;
  for (let r = ranges.validation.start; r < ranges.validation.end; r++)
    if (target[r] < min || target[r] > max) outside++;
  const share = outside / (ranges.validation.end - ranges.validation.start);
  const mode = share >= AUTO_OUTSIDE_SHARE ? 'change' : 'level';
  const range = `[${min.toPrecision(4)}, ${max.toPrecision(4)}]`;
  return {
    mode,
    reason: `auto: ${(100 * share).toFixed(0)}% of the validation targets lie outside the training range ${range}`,
  };
}

/** Steps ahead of a window's last row that its targets lie: [horizon] (many-to-one) or 1…H (seq2seq). */
export function stepsAhead(task: 'forecast' | 'seq2seq', horizon: number): number[] {
  return task === 'seq2seq' ? Array.from({ length: horizon }, (_, k) => k + 1) : [horizon];
}

/** The mean and population std of `values` (std 1 when they are all equal). */
function zscoreOf(values: number[]): ChangeScale {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  const std = Math.sqrt(variance);
  return { mean, std: std > 0 ? std : 1 };
}

/** The transform of `mode`, fitted on the training rows only. */
export function fitTargetTransform(
  mode: TargetMode,
  target: Float64Array,
  train: RowRange,
  ahead: number[],
): TargetTransform {
  if (mode === 'level') return { mode };
  const changes: number[] = [];
  const steps: number[] = [];
  for (let r = train.start; r < train.end; r++) {
    for (const k of ahead) if (r + k < train.end) changes.push(target[r + k] - target[r]);
    if (r > train.start) steps.push(target[r] - target[r - 1]);
  }
  return { mode, change: zscoreOf(changes), step: zscoreOf(steps) };
}

/**
 * The columns the model reads: every input scaled by `scaler`; in change mode the target's own
 * input column is its one-row change (row 0, which has none, reads 0) z-scored by `step`.
 */
export function modelInputs(
  raw: Record<string, Float64Array>,
  scaler: Scaler,
  inputs: string[],
  target: string,
  transform: TargetTransform,
): Record<string, Float64Array> {
  const out = columnRecord<Float64Array>(); // a column may be named __proto__
  for (const name of inputs) {
    const values = raw[name];
    if (transform.mode === 'change' && name === target && transform.step !== undefined) {
      const { mean, std } = transform.step;
      out[name] = Float64Array.from(values, (v, r) => (r === 0 ? 0 : (v - values[r - 1] - mean) / std));
    } else out[name] = scaler.transformColumn(name, values);
  }
  return out;
}

/**
 * The key of the target's values in a window table: its own name (a data error names the column),
 * unless that key holds the target's one-row changes as an input (change mode).
 */
function targetKey(inputs: Record<string, Float64Array>, target: string, transform: TargetTransform): string {
  return transform.mode === 'change' && Object.hasOwn(inputs, target) ? `${target} (level)` : target;
}

/**
 * Windows over rows `range` of the model's inputs with the targets of `transform`: the scaled
 * level (the scaler's), or the z-scored change from the window's last row. `target` holds the
 * target's values in its own units; it is read, never copied.
 */
export function seriesWindows(
  inputs: Record<string, Float64Array>,
  target: Float64Array,
  options: {
    names: string[];
    /** the target's name */
    target: string;
    task: 'forecast' | 'seq2seq';
    window: number;
    horizon: number;
    range: RowRange;
    transform: TargetTransform;
    levelScale: (values: Float64Array) => Float64Array;
  },
): SequenceDataset {
  const { transform, window, task } = options;
  const level = transform.mode === 'level' ? options.levelScale(target) : target;
  const key = targetKey(inputs, options.target, transform);
  const columns = columnRecord<Float64Array>();
  Object.assign(columns, inputs);
  columns[key] = level;
  const windows = windowDataset(
    { columns },
    {
      inputs: options.names,
      targets: [key],
      window,
      horizon: options.horizon,
      mode: task === 'seq2seq' ? 'seq2seq' : 'many-to-one',
      range: options.range,
    },
  );
  if (transform.mode === 'level' || transform.change === undefined) return windows;
  const { mean, std } = transform.change;
  const ahead = stepsAhead(task, options.horizon);
  return {
    size: windows.size,
    steps: windows.steps,
    features: windows.features,
    ids: false,
    targetPerSample: windows.targetPerSample,
    targetKind: 'float',
    hasLengths: false,
    read(i, into, b) {
      const length = windows.read(i, into, b);
      const y = into.target;
      if (y !== null) {
        const last = windows.startRow(i) + window - 1;
        ahead.forEach((k, j) => {
          y[b * ahead.length + j] = (target[last + k] - target[last] - mean) / std;
        });
      }
      return length;
    },
  };
}

/**
 * Model outputs (N, H) in the target's own units: the scaler's inverse (level), or the window's
 * last value plus the unscaled change; window i ends at row firstLast + i of `target`.
 */
export function toTargetUnits(
  out: Float32Array | Float64Array,
  transform: TargetTransform,
  options: {
    target: Float64Array;
    firstLast: number;
    H: number;
    levelInverse: (v: Float32Array | Float64Array) => Float64Array;
  },
): Float64Array {
  if (transform.mode === 'level' || transform.change === undefined) return options.levelInverse(out);
  const { mean, std } = transform.change;
  const { target, firstLast, H } = options;
  return Float64Array.from(out, (v, k) => target[firstLast + Math.floor(k / H)] + v * std + mean);
}

/** One line on the units the loss and val_mae are in (printed before training and in the report). */
export function trainingUnits(transform: TargetTransform, target: string, scaler: Scaler): string {
  if (transform.mode === 'change' && transform.change !== undefined) {
    return `loss (MSE) and val_mae are in training units: the change of ${target} from the window's last value, z-scored (1 unit = ${transform.change.std.toPrecision(4)} of ${target})`;
  }
  const spread = scaler.inverseColumn(target, [0, 1]);
  const kind = scaler.kind === 'zscore' ? 'z-scored' : 'min-max scaled';
  return `loss (MSE) and val_mae are in training units: ${target} ${kind} (1 unit = ${(spread[1] - spread[0]).toPrecision(4)} of ${target})`;
}
