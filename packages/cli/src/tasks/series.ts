// Time series tasks: 'forecast' (a window of rows → the target `horizon` rows later; LSTM/GRU
// stack → dense) and 'seq2seq' (a window → the next `horizon` values; encoder–decoder). Columns
// are z-scored (or min-max scaled) on the training rows only; windows never straddle a split.
// The model predicts the target's level or its change from the window's last value
// (series-target.ts, Note [target modes]); the score is in the target's original units beside
// persistence and the other naive forecasts (series-score.ts).
import {
  chronologicalSplit,
  columnRecord,
  fitScaler,
  numericColumns,
  readCsv,
  type Scaler,
  scalerFromJSON,
  type Table,
} from '@recur/data';
import {
  loadCo2Concentration,
  loadSeattleWeather,
  loadSensorNetwork,
  loadSp500,
  loadWeather,
} from '@recur/examples';
import { encoderDecoder, type Model, sequential } from '@recur/nn';
import type { SeriesConfig } from '../config/schema.js';
import { CliErrorCode, type CliErrorCodeValue, fail } from '../errors.js';
import {
  clipOf,
  type Evaluation,
  optimizerOf,
  type PreparedTask,
  type Split,
  sourceOf,
  splitOf,
} from './common.js';
import { recurrentStack } from './models.js';
import { inOriginalUnits, type Original, originalOf, scoreForecast } from './series-score.js';
import { checkNumericColumns, timeColumnIndex, whereRows, withTimeAxis } from './series-table.js';
import {
  chooseTargetMode,
  fitTargetTransform,
  modelInputs,
  seriesWindows,
  stepsAhead,
  type TargetTransform,
  toTargetUnits,
  trainingUnits,
} from './series-target.js';

/** The table with its time column (data.time, else one named date, Date, timestamp, …) as dates. */
export const withDates = withTimeAxis;

/** Fails with `code` when `table` has no rows: `what` names the file, e.g. 'data.source.path x.csv'. */
export function requireRows(table: Table, what: string, code: CliErrorCodeValue): Table {
  if (table.rows === 0) {
    fail(code, `${what} has a header row but no data rows (after data.source.missing)`);
  }
  return table;
}

async function loadTable(config: SeriesConfig): Promise<Table> {
  const source = config.data.source;
  if (source.kind === 'csv') {
    const table = await readCsv(source.path, { missing: source.missing, delimiter: source.delimiter });
    return withDates(
      requireRows(table, `data.source.path ${source.path}`, CliErrorCode.BAD_CONFIG),
      config.data.time,
    );
  }
  const loaders = {
    'seattle-weather': loadSeattleWeather,
    weather: loadWeather,
    sp500: loadSp500,
    'co2-concentration': loadCo2Concentration,
    'sensor-network': loadSensorNetwork,
  };
  return withDates(await loaders[source.name](), config.data.time);
}

/** Numeric columns after `where` filters and derived columns (a derive that differences drops row 0 everywhere). */
export function seriesColumns(table: Table, config: SeriesConfig): Record<string, Float64Array> {
  checkNumericColumns(table, config);
  const keep = whereRows(table, config.data.where);
  const all = numericColumns(table).columns;
  const columns = columnRecord<Float64Array>();
  for (const [name, values] of Object.entries(all)) {
    columns[name] = keep === null ? values : Float64Array.from(keep, (r) => values[r]);
  }
  let drop = 0;
  config.data.derive.forEach((d, i) => {
    const from = columns[d.from];
    if (from === undefined) {
      fail(
        CliErrorCode.BAD_CONFIG,
        `data.derive[${i}].from: no numeric column '${d.from}' (columns: ${Object.keys(columns).join(', ')})`,
      );
    }
    const over = d.over === undefined ? from : columns[d.over];
    if (over === undefined) {
      fail(
        CliErrorCode.BAD_CONFIG,
        `data.derive[${i}].over: no numeric column '${d.over}' (columns: ${Object.keys(columns).join(', ')})`,
      );
    }
    const out = new Float64Array(from.length);
    for (let r = 0; r < from.length; r++) {
      if (d.op === 'log') out[r] = Math.log(from[r]);
      else if (d.op === 'logRatio') out[r] = Math.log(from[r] / over[r]);
      else if (r === 0) out[r] = Number.NaN;
      else out[r] = d.op === 'difference' ? from[r] - from[r - 1] : Math.log(from[r] / from[r - 1]);
    }
    if (d.op === 'logReturn' || d.op === 'difference') drop = 1;
    columns[d.name] = out;
  });
  if (drop > 0) for (const name of Object.keys(columns)) columns[name] = columns[name].subarray(drop);
  const used = [...new Set([...config.data.inputs, config.data.target])];
  used.forEach((name) => {
    if (columns[name] === undefined) {
      const where = config.data.inputs.includes(name)
        ? `data.inputs[${config.data.inputs.indexOf(name)}]`
        : 'data.target';
      fail(
        CliErrorCode.BAD_CONFIG,
        `${where}: no numeric column '${name}' (columns: ${Object.keys(columns).join(', ')})`,
      );
    }
  });
  const picked = columnRecord<Float64Array>();
  const from = config.data.derive.find((x) => x.name === config.data.target)?.from;
  for (const name of [...used, ...(from === undefined ? [] : [from])]) picked[name] = columns[name];
  const time = table.columns[timeColumnIndex(table, config.data.time)];
  const dates = time === undefined ? undefined : columns[time];
  if (dates !== undefined) picked.date = dates; // the report's time axis
  return picked;
}

export interface SeriesPreprocessing {
  task: 'forecast' | 'seq2seq';
  scaler: unknown;
  inputs: string[];
  target: string;
  window: number;
  horizon: number;
  /** what the model predicts (series-target.ts); absent in runs before target modes: level */
  targetMode?: TargetTransform;
}

/** The target transform of a checkpoint's preprocessing (level for runs before target modes). */
export function targetTransformOf(pre: SeriesPreprocessing): TargetTransform {
  return pre.targetMode ?? { mode: 'level' };
}

/** data.season must leave the validation and test windows a season to look back on. */
function checkSeason(season: number | undefined, trainRows: number): void {
  if (season !== undefined && season >= trainRows) {
    fail(
      CliErrorCode.BAD_CONFIG,
      `data.season: ${season} rows is not shorter than the training split (${trainRows} rows); the seasonal baselines look one season back`,
    );
  }
}

export async function prepareSeries(config: SeriesConfig): Promise<PreparedTask> {
  const d = config.data;
  const columns = seriesColumns(await loadTable(config), config);
  const rows = columns[d.target].length;
  const ranges = chronologicalSplit(rows, d.split);
  checkSeason(d.season, ranges.train.end - ranges.train.start);
  const used = [...new Set([...d.inputs, d.target])];
  const raw: Record<string, Float64Array> = Object.fromEntries(used.map((n) => [n, columns[n]]));
  const scaler = fitScaler(d.scaler, raw, ranges.train);
  const choice = chooseTargetMode(d.targetMode, columns[d.target], ranges);
  const transform = fitTargetTransform(
    choice.mode,
    columns[d.target],
    ranges.train,
    stepsAhead(config.task, d.horizon),
  );
  const inputs = modelInputs(raw, scaler, d.inputs, d.target, transform);
  const seq = config.task === 'seq2seq';
  const horizon = d.horizon;
  const split = (name: 'train' | 'validation' | 'test'): Split => {
    const range = ranges[name];
    if (range.end - range.start < d.window + horizon) {
      fail(
        CliErrorCode.BAD_CONFIG,
        `data.split.${name}: ${range.end - range.start} rows make no window of ${d.window} + ${horizon} rows; lower data.window or change data.split`,
      );
    }
    const dataset = seriesWindows(inputs, columns[d.target], {
      names: d.inputs,
      target: d.target,
      task: config.task,
      window: d.window,
      horizon,
      range,
      transform,
      levelScale: (v) => scaler.transformColumn(d.target, v),
    });
    return splitOf(dataset, d.limit);
  };
  const preprocessing: SeriesPreprocessing = {
    task: config.task,
    scaler: scaler.toJSON(),
    inputs: d.inputs,
    target: d.target,
    window: d.window,
    horizon,
    targetMode: transform,
  };
  const train = split('train');
  const validation = split('validation');
  const test = split('test');
  const F = d.inputs.length;
  const { original, note } = originalOf(config, columns);
  const scoring: Scoring = {
    config,
    columns,
    scaler,
    transform,
    original,
    trainMean: mean(original.values, ranges.train),
  };
  return {
    config,
    train,
    validation,
    test,
    preprocessing,
    describe: `${train.size} / ${validation.size} / ${test.size} windows of ${d.window} rows × ${F} columns → ${d.target} ${seq ? `for the next ${horizon} rows` : `${horizon} row${horizon > 1 ? 's' : ''} ahead`}; target mode ${choice.mode} (${choice.reason})${note === '' ? '' : `; ${note}`}`,
    trainingUnits: trainingUnits(transform, d.target, scaler),
    buildModel: (): Model =>
      config.task === 'seq2seq'
        ? encoderDecoder({
            cell: config.model.cell,
            units: config.model.units,
            inputShape: [d.window, F],
            outputSteps: horizon,
            outputFeatures: 1,
            seed: config.training.seed,
          })
        : sequential(recurrentStack(config.model, { returnSequences: false, outputs: 1 }), {
            inputShape: [d.window, F],
            seed: config.training.seed,
          }),
    compile: { loss: 'mse', optimizer: optimizerOf(config), metrics: ['mae'], ...clipOf(config) },
    monitor: 'val_loss',
    evaluate: (model, s = test) =>
      evaluateSeries(
        model,
        s,
        scoring,
        s === test ? ranges.test.start : ranges.validation.start,
        s === test ? 'test' : 'validation',
      ),
  };
}

/** What scoring a split needs besides the model. */
interface Scoring {
  config: SeriesConfig;
  columns: Record<string, Float64Array>;
  scaler: Scaler;
  transform: TargetTransform;
  original: Original;
  trainMean: number;
}

/** MAE in the original units of the target, beside persistence and the other naive forecasts; the charts. */
async function evaluateSeries(
  model: Model,
  split: Split,
  scoring: Scoring,
  start: number,
  name: string,
): Promise<Evaluation> {
  const { config, columns, scaler, transform, original } = scoring;
  const d = config.data;
  const ahead = stepsAhead(config.task, d.horizon);
  const first = start + d.window - 1; // the last row of window 0
  const out = await model.predict(sourceOf(split, { shuffle: false, seed: 0 }), { batchSize: 256 }); // (N, H)
  const predicted = toTargetUnits(out, transform, {
    target: columns[d.target],
    firstLast: first,
    H: ahead.length,
    levelInverse: (v) => scaler.inverseColumn(d.target, v),
  });
  return scoreForecast(
    {
      predicted: inOriginalUnits(predicted, original, first, ahead.length),
      first,
      N: split.size,
      ahead,
      original,
      trainMean: scoring.trainMean,
      dates: columns.date,
    },
    config,
    name,
  );
}

/** The mean of rows `range` of a column. */
function mean(values: Float64Array, range: { start: number; end: number }): number {
  let sum = 0;
  for (let r = range.start; r < range.end; r++) sum += values[r];
  return sum / (range.end - range.start);
}

export function seriesScaler(preprocessing: unknown): Scaler {
  return scalerFromJSON((preprocessing as SeriesPreprocessing).scaler);
}
