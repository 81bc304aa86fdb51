// Forecasts on a trending level with the default config (issue 15): a concentration (CO2, the
// co2-concentration config) and a price (the S&P 500's close) each score within a few percent of
// persistence or better, where a level model scored 16× and 20× worse; the baselines are always
// on the level's own scale, also when the target is a `derive` difference; the seasonal naive
// forecasts are there with data.season, whose limit is checked; `recur predict` adds the change
// back. Smoke-sized runs: the full runs are measured in the README's examples table.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chronologicalSplit } from '@recur/data';
import { loadCo2Concentration } from '@recur/examples';
import t from 'tap';
import { config, recur, tempFolder } from './testing/recur.js';

/** "A few percent": the most a default forecast on a trend may lose to persistence. */
const FEW_PERCENT = 0.05;
const folder = tempFolder('trend');
const results = (run: string) => JSON.parse(readFileSync(join(run, 'results.json'), 'utf8'));

const sp500Close = {
  name: 'sp500-close',
  task: 'forecast',
  data: { source: { kind: 'dataset', name: 'sp500' }, inputs: ['close'], target: 'close', window: 20 },
  model: { cell: 'gru', units: 32 },
  training: { learningRate: 0.003 },
};
const co2 = JSON.parse(readFileSync(config('co2-concentration'), 'utf8'));

/** Writes `body` as <folder>/<name>.json and returns its path. */
function write(name: string, body: unknown): string {
  const path = join(folder, `${name}.json`);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

t.test(
  'a trending level with the default config: no worse than persistence by more than a few percent',
  async (t) => {
    for (const [name, path] of [
      ['co2-concentration', config('co2-concentration')],
      ['sp500-close', write('sp500-close', sp500Close)],
    ]) {
      const run = join(folder, name);
      const ran = await recur(['train', path, '--smoke', '--output', run]);
      t.equal(ran.code, 0, ran.stderr);
      t.match(
        ran.stdout,
        /target mode change \(auto: \d+% of the validation targets lie outside the training range/,
      );
      const { value, baseline } = results(run);
      t.equal(baseline.name, 'persistence');
      t.ok(
        value <= baseline.value * (1 + FEW_PERCENT),
        `${name}: MAE ${value} against persistence ${baseline.value}`,
      );
    }
  },
);

t.test('CO2: the seasonal naive forecasts are reported with data.season', async (t) => {
  const run = join(folder, 'co2-concentration');
  const { others } = results(run);
  t.same(
    others.map((o: { name: string }) => o.name),
    ['seasonal naive (12 rows back)', 'seasonal change (12 rows back)', 'training mean'],
  );
});

t.test('a derive difference target is scored against the persistence of the level', async (t) => {
  const differenced = {
    ...co2,
    name: 'co2-difference',
    data: {
      ...co2.data,
      derive: [{ name: 'step', from: 'CO2', op: 'difference' }],
      inputs: ['step'],
      target: 'step',
    },
  };
  const run = join(folder, 'co2-difference');
  const ran = await recur(['train', write('co2-difference', differenced), '--smoke', '--output', run]);
  t.equal(ran.code, 0, ran.stderr);
  t.match(ran.stdout, /scored on the level of CO2 \(the difference step turned back\)/);
  const level = (await loadCo2Concentration()).values[1] as Float64Array;
  const x = level.subarray(1); // a difference drops row 0
  const first = chronologicalSplit(x.length, co2.data.split).test.start + co2.data.window - 1;
  let sum = 0;
  for (let i = 0; i < 64; i++) sum += Math.abs(x[first + i + 1] - x[first + i]); // --smoke: 64 windows
  const { baseline } = results(run);
  t.ok(Math.abs(baseline.value - sum / 64) < 1e-9, `persistence of the level ${sum / 64}, not of the change`);
});

t.test('data.season must be shorter than the training split', async (t) => {
  const trainRows = chronologicalSplit(741, co2.data.split).train.end;
  const bad = write('season', { ...co2, data: { ...co2.data, season: trainRows } });
  const ran = await recur(['train', bad, '--smoke', '--output', join(folder, 'season')]);
  t.equal(ran.code, 2);
  t.match(
    ran.stderr,
    new RegExp(
      `ERR_CLI_BAD_CONFIG: data.season: ${trainRows} rows is not shorter than the training split \\(${trainRows} rows\\)`,
    ),
  );
});

t.test('recur predict adds the predicted change back to the last value', async (t) => {
  const table = await loadCo2Concentration();
  const level = table.values[1] as Float64Array;
  const csv = join(folder, 'co2-recent.csv');
  const rows = Array.from(
    { length: 40 },
    (_, r) =>
      `${new Date((table.values[0] as Float64Array)[700 + r]).toISOString().slice(0, 10)},${level[700 + r]}`,
  );
  writeFileSync(csv, `date,CO2\n${rows.join('\n')}\n`);
  const ran = await recur(['predict', join(folder, 'co2-concentration'), '--input', csv]);
  t.equal(ran.code, 0, ran.stderr);
  const lines = ran.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(lines.length, 40 - co2.data.window + 1, 'one forecast after every window');
  for (const line of lines) {
    const last = level[700 + line.window_end_row];
    t.ok(Math.abs(line.CO2 - last) < 4, `row ${line.window_end_row}: ${line.CO2} ppm after ${last} ppm`);
  }
});
