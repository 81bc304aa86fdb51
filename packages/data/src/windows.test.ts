// Time-series windows (Note [window modes]): counts and contents worked out by hand on a table
// whose values name their row, the chronological split, and windows kept inside their range.
import t from 'tap';
import { batchSource } from './batching.js';
import { allocateBatchBuffers } from './dataset.js';
import { fitScaler, scalerFromJSON } from './scaler.js';
import { chronologicalSplit, numericColumns, type WindowDataset, windowDataset } from './windows.js';

const ROWS = 10;
/** a = row, b = 100 + row, y = 1000 + row */
const table = () => ({
  columns: {
    a: Float64Array.from({ length: ROWS }, (_, r) => r),
    b: Float64Array.from({ length: ROWS }, (_, r) => 100 + r),
    y: Float64Array.from({ length: ROWS }, (_, r) => 1000 + r),
  },
});

/** Window i as [x (T·F values), target] plain arrays. */
function windowOf(data: WindowDataset, i: number): [number[], number[]] {
  const into = allocateBatchBuffers(data, 1);
  data.read(i, into, 0);
  return [Array.from(into.x as Float32Array), Array.from(into.target as Float32Array)];
}

t.test('many-to-one: window 3, horizon 1, stride 2 over 10 rows', async (t) => {
  const data = windowDataset(table(), {
    inputs: ['a', 'b'],
    targets: ['y'],
    window: 3,
    stride: 2,
    mode: 'many-to-one',
  });
  t.match(data, { size: 4, steps: 3, features: 2, targetPerSample: 1, hasLengths: false, ids: false });
  t.same(windowOf(data, 1), [[2, 102, 3, 103, 4, 104], [1005]], 'rows 2..4 → row 5');
  t.same(windowOf(data, 3), [[6, 106, 7, 107, 8, 108], [1009]], 'the last window ends at the last row');
});

t.test('many-to-one with horizon 3 predicts three rows ahead', async (t) => {
  const data = windowDataset(table(), {
    inputs: ['a'],
    targets: ['y'],
    window: 2,
    horizon: 3,
    mode: 'many-to-one',
  });
  t.equal(data.size, 6, '10 − (2 + 3) + 1');
  t.same(windowOf(data, 0), [[0, 1], [1004]]);
});

t.test('many-to-many: each step targets the row `horizon` later', async (t) => {
  const next = windowDataset(table(), { inputs: ['a'], targets: ['y'], window: 3, mode: 'many-to-many' });
  t.equal(next.size, 7);
  t.equal(next.targetPerSample, 3, '(T, O)');
  t.same(windowOf(next, 0), [
    [0, 1, 2],
    [1001, 1002, 1003],
  ]);
  const same = windowDataset(table(), {
    inputs: ['a'],
    targets: ['y'],
    window: 3,
    horizon: 0,
    mode: 'many-to-many',
  });
  t.equal(same.size, 8, 'horizon 0 aligns the targets with the inputs');
  t.same(windowOf(same, 7), [
    [7, 8, 9],
    [1007, 1008, 1009],
  ]);
});

t.test('seq2seq: horizon steps of targets after the window, (Hz, O) interleaved', async (t) => {
  const data = windowDataset(table(), {
    inputs: ['a'],
    targets: ['y', 'b'],
    window: 3,
    horizon: 2,
    mode: 'seq2seq',
  });
  t.equal(data.size, 6, '10 − (3 + 2) + 1');
  t.equal(data.targetPerSample, 4);
  t.same(windowOf(data, 5), [
    [5, 6, 7],
    [1008, 108, 1009, 109],
  ]);
});

t.test('chronologicalSplit cuts consecutive ranges that cover the rows', async (t) => {
  t.same(chronologicalSplit(10, { train: 0.6, validation: 0.2, test: 0.2 }), {
    train: { start: 0, end: 6 },
    validation: { start: 6, end: 8 },
    test: { start: 8, end: 10 },
  });
  t.same(
    chronologicalSplit(7, { train: 0.5 }).test,
    { start: 4, end: 7 },
    'test defaults to the rest (round 3.5 = 4)',
  );
  t.same(chronologicalSplit(0, { train: 1 }).train, { start: 0, end: 0 });
  t.throws(() => chronologicalSplit(10, { train: 0.6, validation: 0.2, test: 0.3 }), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /must be 1/,
  });
  t.throws(() => chronologicalSplit(10, { train: 1.2 }), { code: 'ERR_DATA_BAD_OPTION', message: /train/ });
});

t.test('windows never read a row outside their range (rows outside it are NaN here)', async (t) => {
  const split = chronologicalSplit(ROWS, { train: 0.6, validation: 0.2, test: 0.2 });
  for (const part of ['train', 'validation', 'test'] as const) {
    const poisoned = table();
    const { start, end } = split[part];
    for (const column of Object.values(poisoned.columns)) {
      column.fill(Number.NaN, 0, start);
      column.fill(Number.NaN, end);
    }
    const data = windowDataset(poisoned, {
      inputs: ['a'],
      targets: ['y'],
      window: 1,
      range: split[part],
      mode: 'many-to-one',
    });
    const values = Array.from({ length: data.size }, (_, i) => windowOf(data, i).flat()).flat();
    t.ok(
      values.every((v) => Number.isFinite(v)),
      `${part}: ${data.size} windows, all inside [${start}, ${end})`,
    );
  }
});

t.test('a window data set feeds batchSource', async (t) => {
  const data = windowDataset(table(), { inputs: ['a', 'b'], targets: ['y'], window: 3, mode: 'many-to-one' });
  const source = batchSource(data, { seed: 1, shuffle: false });
  const into = allocateBatchBuffers(data, 4);
  t.equal(source.fill(into, 0, 1, 4, 0, 1), 3, 'the last of 7 windows');
  t.same(Array.from(into.target as Float32Array).slice(0, 3), [1007, 1008, 1009]);
});

t.test('bad tables and options are coded errors naming the column or field', async (t) => {
  const code = 'ERR_DATA_BAD_OPTION';
  const base = { inputs: ['a'], targets: ['y'], window: 3, mode: 'many-to-one' as const };
  t.throws(() => windowDataset(table(), { ...base, inputs: ['zz'] }), {
    code,
    message: /inputs: no numeric column 'zz'/,
  });
  t.throws(() => windowDataset(table(), { ...base, window: 10 }), {
    code,
    message: /has 10 rows; a window needs/,
  });
  t.throws(() => windowDataset(table(), { ...base, mode: 'seq2seq', horizon: 0 }), {
    code,
    message: /horizon/,
  });
  t.throws(() => windowDataset(table(), { ...base, stride: 0 }), { code, message: /stride/ });
  t.throws(() => windowDataset(table(), { ...base, mode: 'sideways' as 'seq2seq' }), {
    code,
    message: /mode/,
  });
  t.throws(() => windowDataset(table(), { ...base, range: { start: 4, end: 11 } }), {
    code,
    message: /range/,
  });
  const holes = table();
  holes.columns.y[6] = Number.NaN;
  t.throws(() => windowDataset(holes, base), { code, message: /column 'y' row 6 is NaN/ });
  const ragged = table();
  ragged.columns.y = new Float64Array(9);
  t.throws(() => windowDataset(ragged, base), { code, message: /'y' has 9 rows, expected 10/ });
});

t.test('numericColumns keeps the numeric and date columns of a source table', async (t) => {
  const a = Float64Array.from([1, 2]);
  const columns = numericColumns({ columns: ['a', 'name'], values: [a, ['x', 'y']] });
  t.same(Object.keys(columns.columns), ['a']);
  t.equal(columns.columns.a, a, 'not copied');
});

t.test(
  'columns named constructor, __proto__ and valueOf window and scale (issue 16, defect 13)',
  async (t) => {
    const values = (k: number) => Float64Array.from({ length: 10 }, (_, i) => i * k);
    const { columns } = numericColumns({
      columns: ['constructor', '__proto__', 'valueOf', 'name'],
      values: [values(1), values(2), values(3), Array.from({ length: 10 }, () => 'x')],
    });
    t.same(Object.keys(columns), ['constructor', '__proto__', 'valueOf']);
    const proto = '__proto__';
    t.equal(columns[proto]?.[1], 2, '__proto__ is a column, not the prototype');
    const scaler = scalerFromJSON(
      JSON.parse(JSON.stringify(fitScaler('zscore', columns, { start: 0, end: 8 }).toJSON())),
    );
    t.same(scaler.names, ['constructor', '__proto__', 'valueOf']);
    const scaled = scaler.transform(columns);
    t.same(Object.keys(scaled), ['constructor', '__proto__', 'valueOf']);
    const dataset = windowDataset(
      { columns: scaled },
      { inputs: ['constructor', '__proto__'], targets: ['valueOf'], window: 3, mode: 'many-to-one' },
    );
    t.ok(dataset.size > 0);
    t.throws(
      () =>
        windowDataset(
          { columns: { a: values(1) } },
          { inputs: ['toString'], targets: ['a'], window: 3, mode: 'many-to-one' },
        ),
      { code: 'ERR_DATA_BAD_OPTION', message: /no numeric column 'toString'/ },
    );
  },
);
