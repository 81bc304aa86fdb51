// The tabular and Parquet data sets load through @recur/data with the sizes their sources state.
import t from 'tap';
import {
  loadCo2Concentration,
  loadFlightSequences,
  loadSeattleWeather,
  loadSensorNetwork,
  loadSp500,
  loadWeather,
} from './index.js';

t.test('Seattle weather: 1,461 days with typed columns', async (t) => {
  const table = await loadSeattleWeather();
  t.equal(table.rows, 1461);
  t.same(table.columns, ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather']);
  t.same(table.types, ['date', 'number', 'number', 'number', 'number', 'string']);
  t.equal((table.values[0] as Float64Array)[0], Date.UTC(2012, 0, 1), 'dates are epoch milliseconds, UTC');
});

t.test('two-city weather, the S&P 500 and the sensor network', async (t) => {
  t.equal((await loadWeather()).rows, 2922);
  const sp500 = await loadSp500();
  t.equal(sp500.rows, 5105, 'DATASETS.md says 5,104; the file holds 5,105 distinct days');
  t.equal((sp500.values[0] as Float64Array)[5104], Date.UTC(2020, 3, 17), 'the last trading day');
  t.equal((await loadSensorNetwork()).rows, 18914);
});

t.test('CO2 concentration: 741 months with the date column named date', async (t) => {
  const table = await loadCo2Concentration();
  t.equal(table.rows, 741);
  t.same(table.columns, ['date', 'CO2', 'adjusted CO2']);
  t.same(table.types, ['date', 'number', 'number']);
  t.equal((table.values[0] as Float64Array)[0], Date.UTC(1958, 2, 1), 'March 1958');
  t.equal((table.values[1] as Float64Array)[740], 416.18, 'April 2020');
});

t.test('three million flights become per-airport delay sequences', async (t) => {
  const sequences = await loadFlightSequences({ by: 'airport', features: ['delay'] });
  const steps = sequences.reduce((n, s) => n + s.length, 0);
  t.equal(steps, 3_000_000, 'every flight lands in exactly one sequence');
  t.ok(sequences.length > 100, `${sequences.length} airports`);
  t.ok(
    sequences.every((s) => s.values.length === s.length),
    'one feature per step',
  );
});
