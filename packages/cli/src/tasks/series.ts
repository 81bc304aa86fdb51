// Time series tasks: 'forecast' (a window of rows → the target `horizon` rows later; LSTM/GRU
// stack → dense) and 'seq2seq' (a window → the next `horizon` values; encoder–decoder). Columns
// are z-scored (or min-max scaled) on the training rows only; windows never straddle a split.
// Baseline: persistence — the target's last value in the window, for every step ahead.
import {
  chronologicalSplit,
  columnRecord,
  fitScaler,
  numericColumns,
  readCsv,
  type Scaler,
  scalerFromJSON,
  type Table,
  windowDataset,
} from '@recur/data';
import { loadSeattleWeather, loadSensorNetwork, loadSp500, loadWeather } from '@recur/examples';
import { encoderDecoder, type Model, sequential } from '@recur/nn';
import type { SeriesConfig } from '../config/schema.js';
import { CliErrorCode, type CliErrorCodeValue, fail } from '../errors.js';
import { barChart, lineChart } from '../report/charts.js';
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
import { checkNumericColumns, timeColumnIndex, whereRows, withTimeAxis } from './series-table.js';

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
  for (const name of used) picked[name] = columns[name];
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
}

export async function prepareSeries(config: SeriesConfig): Promise<PreparedTask> {
  const d = config.data;
  const columns = seriesColumns(await loadTable(config), config);
  const rows = columns[d.target].length;
  const ranges = chronologicalSplit(rows, d.split);
  const used = [...new Set([...d.inputs, d.target])];
  const raw: Record<string, Float64Array> = Object.fromEntries(used.map((n) => [n, columns[n]]));
  const scaler = fitScaler(d.scaler, raw, ranges.train);
  const scaled = scaler.transform(raw);
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
    const dataset = windowDataset(
      { columns: scaled },
      {
        inputs: d.inputs,
        targets: [d.target],
        window: d.window,
        horizon,
        mode: seq ? 'seq2seq' : 'many-to-one',
        range,
      },
    );
    return splitOf(dataset, d.limit);
  };
  const preprocessing: SeriesPreprocessing = {
    task: config.task,
    scaler: scaler.toJSON(),
    inputs: d.inputs,
    target: d.target,
    window: d.window,
    horizon,
  };
  const train = split('train');
  const validation = split('validation');
  const test = split('test');
  const F = d.inputs.length;
  return {
    config,
    train,
    validation,
    test,
    preprocessing,
    describe: `${train.size} / ${validation.size} / ${test.size} windows of ${d.window} rows × ${F} columns → ${d.target} ${seq ? `for the next ${horizon} rows` : `${horizon} row${horizon > 1 ? 's' : ''} ahead`}`,
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
        config,
        columns,
        s === test ? ranges.test.start : ranges.validation.start,
        scaler,
        mean(columns[d.target], ranges.train),
      ),
  };
}

/** MAE in the target's own units, beside persistence; the forecast-against-actual chart. */
async function evaluateSeries(
  model: Model,
  split: Split,
  config: SeriesConfig,
  columns: Record<string, Float64Array>,
  start: number,
  scaler: Scaler,
  trainMean: number,
): Promise<Evaluation> {
  const d = config.data;
  const H = config.task === 'seq2seq' ? d.horizon : 1;
  const raw = columns[d.target];
  const predicted = scaler.inverseColumn(
    d.target,
    await model.predict(sourceOf(split, { shuffle: false, seed: 0 }), { batchSize: 256 }),
  ); // (N, H)
  const N = split.size;
  const errors = { model: new Float64Array(H), persistence: new Float64Array(H) };
  let meanError = 0;
  const rows: Record<string, string | number>[] = [];
  const dates = columns.date;
  for (let i = 0; i < N; i++) {
    const last = raw[start + i + d.window - 1];
    for (let k = 0; k < H; k++) {
      const row = config.task === 'seq2seq' ? start + i + d.window + k : start + i + d.window - 1 + d.horizon;
      const actual = raw[row];
      errors.model[k] += Math.abs(predicted[i * H + k] - actual);
      errors.persistence[k] += Math.abs(last - actual);
      meanError += Math.abs(trainMean - actual);
      if (k === 0 && i < 366) {
        const x = dates === undefined ? i : dates[row];
        rows.push({ x, series: 'actual', value: actual });
        rows.push({ x, series: 'model', value: predicted[i * H] });
        rows.push({ x, series: 'persistence', value: last });
      }
    }
  }
  const meanOf = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / (N * a.length);
  const charts = [
    lineChart(
      'forecast',
      `Forecast against actual: ${d.target}${H > 1 ? ', one step ahead' : ''} (test split)`,
      rows,
      {
        x: 'x',
        y: 'value',
        series: 'series',
        temporal: dates !== undefined,
        xTitle: dates === undefined ? 'window' : 'date',
        yTitle: d.target,
      },
    ),
  ];
  if (H > 1) {
    const bars = [];
    for (let k = 0; k < H; k++) {
      bars.push({ step: `+${k + 1}`, who: 'model', mae: errors.model[k] / N });
      bars.push({ step: `+${k + 1}`, who: 'persistence', mae: errors.persistence[k] / N });
    }
    charts.push(
      barChart('horizon', 'MAE by step ahead (test split)', bars, {
        category: 'step',
        value: 'mae',
        color: 'who',
      }),
    );
  }
  return {
    score: {
      metric: 'MAE',
      unit: '',
      value: meanOf(errors.model),
      baseline: { name: 'persistence', value: meanOf(errors.persistence) },
      others: [{ name: 'training mean', value: meanError / (N * H) }],
      lowerIsBetter: true,
    },
    charts,
  };
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
