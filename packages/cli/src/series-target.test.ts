// Target modes and forecast scores on small hand-made series: 'auto' picks change exactly when
// AUTO_OUTSIDE_SHARE of the validation targets leave the training range; change windows hold the
// z-scored change from the window's last value and add back to the level; a derived target is
// scored on the level it came from; the naive baselines are what their names say.
import { allocateBatchBuffers, fitScaler } from '@recur/data';
import t from 'tap';
import type { SeriesConfig } from './config/schema.js';
import { configSchema } from './config/schema.js';
import {
  FORECAST_CHART_STEPS,
  inOriginalUnits,
  originalOf,
  POINT_CHART_WINDOWS,
  scoreForecast,
} from './tasks/series-score.js';
import {
  AUTO_OUTSIDE_SHARE,
  chooseTargetMode,
  fitTargetTransform,
  modelInputs,
  seriesWindows,
  toTargetUnits,
} from './tasks/series-target.js';

const ranges = { train: { start: 0, end: 20 }, validation: { start: 20, end: 40 } };

t.test(
  'auto: change from AUTO_OUTSIDE_SHARE of the validation targets outside the training range',
  async (t) => {
    t.equal(AUTO_OUTSIDE_SHARE, 0.05);
    const series = (outside: number) =>
      Float64Array.from({ length: 40 }, (_, r) => (r < 20 ? r % 5 : r < 20 + outside ? 9 : 2));
    t.equal(chooseTargetMode('auto', series(1), ranges).mode, 'change', '1 of 20 = 5%: change');
    t.equal(chooseTargetMode('auto', series(0), ranges).mode, 'level', '0 of 20: level');
    const rising = Float64Array.from({ length: 40 }, (_, r) => r);
    const auto = chooseTargetMode('auto', rising, ranges);
    t.same(auto.mode, 'change');
    t.match(
      auto.reason,
      /auto: 100% of the validation targets lie outside the training range \[0\.000, 19\.00\]/,
    );
    t.same(chooseTargetMode('level', rising, ranges), { mode: 'level', reason: 'data.targetMode' });
  },
);

t.test('change windows: z-scored changes in, z-scored change out, added back to the level', async (t) => {
  const y = Float64Array.from({ length: 40 }, (_, r) => 100 + 2 * r + (r % 2)); // a rising level
  const train = { start: 0, end: 30 };
  const transform = fitTargetTransform('change', y, train, [1, 2]);
  // one-row changes alternate 3 (from an even row) and 1; two-row changes are all 4
  t.ok(
    Math.abs((transform.change?.mean ?? 0) - (59 + 4 * 28) / 57) < 1e-12,
    'mean change of the training windows',
  );
  t.equal(transform.step?.mean, (15 * 3 + 14) / 29, 'mean one-row change');
  const scaler = fitScaler('zscore', { y }, train);
  const inputs = modelInputs({ y }, scaler, ['y'], 'y', transform);
  const step = transform.step ?? { mean: 0, std: 1 };
  t.equal(inputs.y[0], 0, 'row 0 has no change: it reads 0');
  t.equal(inputs.y[5], (y[5] - y[4] - step.mean) / step.std, 'the input is the scaled one-row change');
  t.ok(Math.max(...inputs.y) < 2, 'inputs stay in range on a rising level');
  const windows = seriesWindows(inputs, y, {
    names: ['y'],
    target: 'y',
    task: 'seq2seq',
    window: 4,
    horizon: 2,
    range: { start: 30, end: 40 },
    transform,
    levelScale: (v) => scaler.transformColumn('y', v),
  });
  const buffers = allocateBatchBuffers(windows, 1);
  windows.read(2, buffers, 0); // rows 32…35, targets 36, 37
  const change = transform.change ?? { mean: 0, std: 1 };
  const want = [y[36] - y[35], y[37] - y[35]].map((c) => (c - change.mean) / change.std);
  t.ok(
    Math.abs((buffers.target?.[0] ?? 0) - want[0]) < 1e-5 &&
      Math.abs((buffers.target?.[1] ?? 0) - want[1]) < 1e-5,
  );
  const back = toTargetUnits(Float32Array.from(want), transform, {
    target: y,
    firstLast: 35,
    H: 2,
    levelInverse: () => new Float64Array(0),
  });
  t.ok(
    Math.abs(back[0] - y[36]) < 1e-5 && Math.abs(back[1] - y[37]) < 1e-5,
    'the change added back is the level (float32 outputs)',
  );
});

t.test('a bad target value is named by its column, also in change mode', async (t) => {
  const y = Float64Array.from({ length: 30 }, (_, r) => (r === 25 ? Number.NaN : r));
  const x = Float64Array.from({ length: 30 }, (_, r) => r);
  const scaler = fitScaler('zscore', { x, y }, { start: 0, end: 20 });
  const windows = (inputs: Record<string, Float64Array>, names: string[], mode: 'level' | 'change') =>
    seriesWindows(inputs, y, {
      names,
      target: 'y',
      task: 'forecast',
      window: 4,
      horizon: 1,
      range: { start: 20, end: 30 },
      transform: fitTargetTransform(mode, y, { start: 0, end: 20 }, [1]),
      levelScale: (v) => scaler.transformColumn('y', v),
    });
  t.throws(() => windows({ x }, ['x'], 'level'), /column 'y' row 25 is NaN/);
  t.throws(() => windows({ y: x }, ['y'], 'change'), /column 'y \(level\)' row 25 is NaN/);
});

const config = (data: Record<string, unknown>) =>
  configSchema.parse({
    name: 'x',
    task: 'forecast',
    data: { source: { kind: 'csv', path: 'x.csv' }, inputs: ['d'], target: 'd', ...data },
  }) as SeriesConfig;

t.test('a derived target is scored on the level it came from', async (t) => {
  const x = Float64Array.from([10, 11, 13, 16, 20]);
  const d = Float64Array.from(x, (v, r) => (r === 0 ? 0 : v - x[r - 1]));
  const difference = config({ derive: [{ name: 'd', from: 'x', op: 'difference' }] });
  const { original, note } = originalOf(difference, { x, d });
  t.same([original.name, original.op], ['x', 'difference']);
  t.match(note, /scored on the level of x/);
  t.same([...inOriginalUnits(Float64Array.from([2, 3]), original, 1, 2)], [13, 16], 'cumulative from row 1');
  const ahead = config({ derive: [{ name: 'd', from: 'x', op: 'difference' }], horizon: 3 });
  t.equal(originalOf(ahead, { x, d }).original.name, 'd', 'a change 3 rows ahead has no level');
  const logReturn = originalOf(config({ derive: [{ name: 'd', from: 'x', op: 'logReturn' }] }), { x, d });
  t.equal(inOriginalUnits(Float64Array.from([Math.log(1.5)]), logReturn.original, 4, 1)[0], 30);
});

t.test('persistence, seasonal naive, seasonal change and training mean as their names say', async (t) => {
  // a season of 4 rows on a rising line: 0 1 2 3 | 4 5 6 7 | … plus a seasonal bump at phase 2
  const x = Float64Array.from({ length: 24 }, (_, r) => r + (r % 4 === 2 ? 3 : 0));
  const original = { name: 'x', values: x, op: 'none' as const };
  const first = 15; // windows end at rows 15…18, targets 16…19
  const predicted = Float64Array.from({ length: 4 }, (_, i) => x[first + i + 1] + 0.5);
  const { score, charts } = scoreForecast(
    { predicted, first, N: 4, ahead: [1], original, trainMean: 5, dates: undefined },
    config({ season: 4 }),
    'test',
  );
  t.equal(score.value, 0.5);
  const mae = (f: (last: number) => number) =>
    [0, 1, 2, 3].reduce((s, i) => s + Math.abs(f(first + i) - x[first + i + 1]), 0) / 4;
  t.equal(
    score.baseline.value,
    mae((l) => x[l]),
    'persistence: the last value',
  );
  t.same(
    score.others?.map((o) => o.name),
    ['seasonal naive (4 rows back)', 'seasonal change (4 rows back)', 'training mean'],
  );
  t.equal(
    score.others?.[0].value,
    mae((l) => x[l - 3]),
    'seasonal naive: the value a season before the target',
  );
  t.equal(score.others?.[1].value, 0, 'seasonal change: exact on a line plus a fixed seasonal shape');
  t.equal(
    score.others?.[2].value,
    mae(() => 5),
  );
  t.same(
    charts.map((c) => c.id),
    ['forecast', 'residuals', 'scatter'],
  );
});

t.test('the charts show the last FORECAST_CHART_STEPS and POINT_CHART_WINDOWS windows', async (t) => {
  t.same([FORECAST_CHART_STEPS, POINT_CHART_WINDOWS], [120, 2000]);
  const N = POINT_CHART_WINDOWS + 1; // one over both limits
  const x = Float64Array.from({ length: N + 1 }, (_, r) => Math.sin(r));
  const { charts } = scoreForecast(
    {
      predicted: x.subarray(1),
      first: 0,
      N,
      ahead: [1],
      original: { name: 'x', values: x, op: 'none' },
      trainMean: 0,
      dates: undefined,
    },
    config({}),
    'test',
  );
  const values = (id: string, layer?: number) => {
    // biome-ignore lint/suspicious/noExplicitAny: reading a Vega-Lite spec's data back
    const spec = charts.find((c) => c.id === id)?.spec as Record<string, any>;
    return (layer === undefined ? spec.data : spec.layer[layer].data).values as Record<string, number>[];
  };
  t.equal(values('forecast').length, 3 * FORECAST_CHART_STEPS, 'actual, model and persistence');
  t.equal(values('residuals', 0).length, POINT_CHART_WINDOWS);
  t.equal(values('residuals', 0)[0].x, 1, 'the first window is left out');
  t.equal(values('scatter', 0).length, POINT_CHART_WINDOWS);
  t.match(charts[0].title, `the last ${FORECAST_CHART_STEPS} of ${N}`);
  t.match(charts[1].title, `the last ${POINT_CHART_WINDOWS} of ${N}`);
});
