// The score of a forecast, always in the original units of the target: a target derived by
// `derive` (difference, logReturn, log) is turned back into the level of the column it came
// from, so the model and every baseline are compared on the same values. Baselines: persistence
// (no change from the last observed value, always), the training mean, and with `data.season`
// the seasonal naive forecast (the value one season ago) and the seasonal change (the last value
// plus the change over the same steps one season ago). Charts: the last steps of the forecast,
// the residuals over time, predicted against actual, and with several steps the MAE by step.
import type { SeriesConfig } from '../config/schema.js';
import { barChart, type ChartSpec, lineChart, residualChart, scatterChart } from '../report/charts.js';
import type { Score } from './common.js';

/** Forecast steps the forecast chart shows (the last ones of the split). */
export const FORECAST_CHART_STEPS = 120;
/** Windows the residual and scatter charts show at most (the last ones of the split). */
export const POINT_CHART_WINDOWS = 2000;

/** How the target maps back to the column it was derived from ('none': it is its own level). */
export interface Original {
  /** the column scored: the target, or the column its derive came from */
  name: string;
  values: Float64Array;
  op: 'none' | 'difference' | 'logReturn' | 'log';
}

/** The column a config's target is scored on, and how its forecasts map there; `note` says why not, when not. */
export function originalOf(
  config: SeriesConfig,
  columns: Record<string, Float64Array>,
): { original: Original; note: string } {
  const d = config.data;
  const own = { original: { name: d.target, values: columns[d.target], op: 'none' as const }, note: '' };
  const derived = d.derive.find((x) => x.name === d.target);
  if (derived === undefined || derived.op === 'logRatio') return own;
  const values = columns[derived.from];
  const cumulative = derived.op === 'difference' || derived.op === 'logReturn';
  if (cumulative && config.task === 'forecast' && d.horizon > 1) {
    return {
      ...own,
      note: `scored as ${d.target} itself: one ${derived.op} ${d.horizon} rows ahead does not add up to a level of ${derived.from}`,
    };
  }
  return {
    original: { name: derived.from, values, op: derived.op },
    note: `scored on the level of ${derived.from} (the ${derived.op} ${d.target} turned back)`,
  };
}

/** Forecasts (N, H) of the target turned into `original`'s units; window i ends at row first + i. */
export function inOriginalUnits(
  predicted: Float64Array,
  original: Original,
  first: number,
  H: number,
): Float64Array {
  if (original.op === 'none') return predicted;
  if (original.op === 'log') return predicted.map(Math.exp);
  const out = new Float64Array(predicted.length);
  for (let i = 0; i < predicted.length / H; i++) {
    const last = original.values[first + i];
    let sum = 0;
    for (let k = 0; k < H; k++) {
      sum += predicted[i * H + k];
      out[i * H + k] = original.op === 'difference' ? last + sum : last * Math.exp(sum);
    }
  }
  return out;
}

interface Forecast {
  /** (N, H) in the original units */
  predicted: Float64Array;
  /** row of each window's last value (window i: first + i) */
  first: number;
  N: number;
  /** steps ahead of each output: [horizon] or 1…H */
  ahead: number[];
  original: Original;
  trainMean: number;
  dates: Float64Array | undefined;
}

type Naive = (last: number, k: number) => number;

/** The naive forecasts scored beside the model: name → forecast of row last + k. */
function naiveForecasts(x: Float64Array, season: number | undefined): Record<string, Naive> {
  const naive: Record<string, Naive> = { persistence: (last) => x[last] };
  if (season !== undefined) {
    const back = (k: number) => season * Math.ceil(k / season);
    naive[`seasonal naive (${season} rows back)`] = (last, k) => x[last + k - back(k)];
    naive[`seasonal change (${season} rows back)`] = (last, k) =>
      x[last] + x[last + k - back(k)] - x[last - back(k)];
  }
  return naive;
}

/** MAE of the model and of each naive forecast per step ahead: name → (H). */
function errorsByStep(f: Forecast, naive: Record<string, Naive>): Record<string, Float64Array> {
  const H = f.ahead.length;
  const x = f.original.values;
  const errors: Record<string, Float64Array> = { model: new Float64Array(H) };
  for (const name of [...Object.keys(naive), 'training mean']) errors[name] = new Float64Array(H);
  for (let i = 0; i < f.N; i++) {
    const last = f.first + i;
    f.ahead.forEach((k, j) => {
      const actual = x[last + k];
      errors.model[j] += Math.abs(f.predicted[i * H + j] - actual);
      errors['training mean'][j] += Math.abs(f.trainMean - actual);
      for (const [name, forecast] of Object.entries(naive))
        errors[name][j] += Math.abs(forecast(last, k) - actual);
    });
  }
  for (const e of Object.values(errors)) for (let j = 0; j < H; j++) e[j] /= f.N;
  return errors;
}

const meanOf = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

/** The score (model MAE beside persistence and the others) and the forecast charts. */
export function scoreForecast(
  f: Forecast,
  config: SeriesConfig,
  split: string,
): { score: Score; charts: ChartSpec[] } {
  const naive = naiveForecasts(f.original.values, config.data.season);
  const errors = errorsByStep(f, naive);
  const others = Object.keys(errors)
    .filter((n) => n !== 'model' && n !== 'persistence')
    .map((name) => ({ name, value: meanOf(errors[name]) }));
  const score: Score = {
    metric: 'MAE',
    unit: '',
    value: meanOf(errors.model),
    baseline: { name: 'persistence', value: meanOf(errors.persistence) },
    others,
    lowerIsBetter: true,
  };
  const charts = forecastCharts(f, naive, split);
  if (f.ahead.length > 1) charts.push(horizonChart(errors, f.ahead, split));
  return { score, charts };
}

/** The last FORECAST_CHART_STEPS forecasts of the first step ahead, the residuals and the scatter. */
function forecastCharts(f: Forecast, naive: Record<string, Naive>, split: string): ChartSpec[] {
  const H = f.ahead.length;
  const k = f.ahead[0];
  const x = f.original.values;
  const name = f.original.name;
  const lines: Record<string, string | number>[] = [];
  const residuals: Record<string, string | number>[] = [];
  const points: Record<string, string | number>[] = [];
  const from = Math.max(0, f.N - FORECAST_CHART_STEPS);
  for (let i = 0; i < f.N; i++) {
    const last = f.first + i;
    const at = f.dates === undefined ? i : f.dates[last + k];
    const actual = x[last + k];
    const predicted = f.predicted[i * H];
    if (i >= f.N - POINT_CHART_WINDOWS) {
      residuals.push({ x: at, residual: actual - predicted });
      points.push({ predicted, actual });
    }
    if (i < from) continue;
    lines.push({ x: at, series: 'actual', value: actual });
    lines.push({ x: at, series: 'model', value: predicted });
    for (const [who, forecast] of Object.entries(naive))
      if (!who.startsWith('seasonal change')) lines.push({ x: at, series: who, value: forecast(last, k) });
  }
  const temporal = f.dates !== undefined;
  const xTitle = temporal ? 'date' : 'window';
  const ahead = `${k} step${k > 1 ? 's' : ''} ahead`;
  const shown = f.N - from;
  const lastPoints = residuals.length < f.N ? `, the last ${residuals.length} of ${f.N}` : '';
  return [
    lineChart(
      'forecast',
      `Forecast against actual: ${name}, ${ahead}, the last ${shown} of ${f.N} (${split} split)`,
      lines,
      {
        x: 'x',
        y: 'value',
        series: 'series',
        temporal,
        xTitle,
        yTitle: name,
        colors: FORECAST_COLORS,
      },
    ),
    residualChart(
      'residuals',
      `Residuals: actual − model, ${name}, ${ahead}${lastPoints} (${split} split)`,
      residuals,
      {
        temporal,
        xTitle,
        yTitle: `actual − model (${name})`,
      },
    ),
    scatterChart(
      'scatter',
      `Predicted against actual: ${name}, ${ahead}${lastPoints} (${split} split; the line is predicted = actual)`,
      points,
      {
        x: 'actual',
        y: 'predicted',
        unit: name,
      },
    ),
  ];
}

/** Distinct colours: the actual values dark, the model blue, the naive forecasts orange and green. */
const FORECAST_COLORS: Record<string, string> = {
  actual: '#222222',
  model: '#1f77b4',
  persistence: '#ff7f0e',
  'seasonal naive': '#2ca02c',
};

function horizonChart(errors: Record<string, Float64Array>, ahead: number[], split: string): ChartSpec {
  const bars: Record<string, string | number>[] = [];
  ahead.forEach((k, j) => {
    for (const who of ['model', 'persistence']) bars.push({ step: `+${k}`, who, mae: errors[who][j] });
  });
  return barChart('horizon', `MAE by step ahead (${split} split)`, bars, {
    category: 'step',
    value: 'mae',
    color: 'who',
  });
}
