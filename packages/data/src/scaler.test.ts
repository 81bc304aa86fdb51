// Scalers: fitted on the training rows only, exact inverse, and a JSON round trip as a checkpoint
// carries it.
import t from 'tap';
import { fitScaler, scalerFromJSON } from './scaler.js';

const TRAIN = { start: 0, end: 4 };
/** rows 0..3 are training rows, 4..5 the test part */
const columns = () => ({
  a: Float64Array.from([1, 2, 3, 4, 100, 200]),
  b: Float64Array.from([-2, 0, 2, 4, -50, 9]),
});

const close = (x: ArrayLike<number>, y: ArrayLike<number>, tol = 1e-12) =>
  x.length === y.length &&
  Array.from(x).every((v, k) => Math.abs(v - y[k]) <= tol * Math.max(1, Math.abs(y[k])));

t.test('zscore: the mean and population std of the training rows', async (t) => {
  const scaler = fitScaler('zscore', columns(), TRAIN);
  t.same(scaler.stats.a, { mean: 2.5, std: Math.sqrt(1.25) });
  const scaled = scaler.transform(columns()).a.subarray(0, 4);
  t.ok(
    close(
      scaled,
      [-1.5, -0.5, 0.5, 1.5].map((v) => v / Math.sqrt(1.25)),
    ),
    'mean 0, std 1 on train',
  );
});

t.test('minmax: training rows map onto [0, 1]', async (t) => {
  const scaler = fitScaler('minmax', columns(), TRAIN);
  t.same(scaler.stats.b, { min: -2, max: 4 });
  t.ok(close(scaler.transform(columns()).b, [0, 1 / 3, 2 / 3, 1, -8, 11 / 6]), 'test rows may leave [0, 1]');
});

t.test('values of the test part never change the fit', async (t) => {
  for (const kind of ['zscore', 'minmax'] as const) {
    const before = fitScaler(kind, columns(), TRAIN).toJSON();
    const changed = columns();
    changed.a.set([1e9, Number.NaN], 4);
    changed.b.set([Number.POSITIVE_INFINITY, -1e9], 4);
    t.same(fitScaler(kind, changed, TRAIN).toJSON(), before, kind);
  }
});

t.test('transform then inverse gives the values back', async (t) => {
  for (const kind of ['zscore', 'minmax'] as const) {
    const scaler = fitScaler(kind, columns(), TRAIN);
    const back = scaler.inverse(scaler.transform(columns()));
    t.ok(close(back.a, columns().a) && close(back.b, columns().b), kind);
  }
});

t.test('inverseRows un-scales outputs whose last axis runs over target columns', async (t) => {
  const scaler = fitScaler('zscore', columns(), TRAIN);
  const rows = [columns().a, columns().b];
  const scaled = [scaler.transformColumn('a', rows[0]), scaler.transformColumn('b', rows[1])];
  const interleaved = Float32Array.from({ length: 12 }, (_, k) => scaled[k % 2][Math.floor(k / 2)]);
  const back = scaler.inverseRows(['a', 'b'], interleaved);
  const want = Array.from({ length: 12 }, (_, k) => rows[k % 2][Math.floor(k / 2)]);
  t.ok(close(back, want, 1e-6), 'within float32 rounding');
  t.throws(() => scaler.inverseRows(['a', 'b'], new Float32Array(3)), { code: 'ERR_DATA_BAD_OPTION' });
  t.throws(() => scaler.inverseRows(['c'], new Float32Array(3)), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /no column 'c'/,
  });
});

t.test('a constant column is only shifted (scale 1)', async (t) => {
  const scaler = fitScaler('zscore', { c: Float64Array.from([5, 5, 5, 7]) }, { start: 0, end: 3 });
  t.same(Array.from(scaler.transformColumn('c', [5, 7])), [0, 2]);
  const minmax = fitScaler('minmax', { c: Float64Array.from([5, 5]) }, { start: 0, end: 2 });
  t.same(Array.from(minmax.inverseColumn('c', [0, 1])), [5, 6]);
});

t.test('transform passes columns it does not know through unchanged', async (t) => {
  const scaler = fitScaler('zscore', { a: columns().a }, TRAIN);
  const other = Float64Array.from([1, 2]);
  t.equal(scaler.transform({ other }).other, other);
});

t.test('JSON round trip: the same numbers, bit for bit, and the same transform', async (t) => {
  for (const kind of ['zscore', 'minmax'] as const) {
    const scaler = fitScaler(kind, columns(), TRAIN);
    const text = JSON.stringify({ preprocessing: { scaler } });
    const loaded = scalerFromJSON(JSON.parse(text).preprocessing.scaler);
    t.same(loaded.toJSON(), scaler.toJSON(), `${kind}: same saved form`);
    t.same(
      Array.from(loaded.transformColumn('b', columns().b)),
      Array.from(scaler.transformColumn('b', columns().b)),
    );
    t.same(scalerFromJSON(JSON.stringify(scaler)).toJSON(), scaler.toJSON(), 'from JSON text too');
  }
});

t.test('a malformed saved scaler is ERR_DATA_BAD_JSON', async (t) => {
  const code = 'ERR_DATA_BAD_JSON';
  const good = fitScaler('zscore', columns(), TRAIN).toJSON();
  t.throws(() => scalerFromJSON('{not json'), { code, message: /not JSON/ });
  t.throws(() => scalerFromJSON({ ...good, format: 'other' }), { code, message: /format/ });
  t.throws(() => scalerFromJSON({ ...good, version: 2 }), { code, message: /version 2/ });
  t.throws(() => scalerFromJSON({ ...good, kind: 'log' }), { code, message: /kind/ });
  t.throws(() => scalerFromJSON({ ...good, columns: { a: { mean: 1, std: -1 } } }), {
    code,
    message: /columns.a/,
  });
  t.throws(() => scalerFromJSON({ ...good, columns: { a: { min: 0, max: 1 } } }), {
    code,
    message: /mean, std/,
  });
});

t.test('bad fits are ERR_DATA_BAD_OPTION naming the column and row', async (t) => {
  const code = 'ERR_DATA_BAD_OPTION';
  const holes = columns();
  holes.b[2] = Number.NaN;
  t.throws(() => fitScaler('zscore', holes, TRAIN), { code, message: /column 'b' row 2 is NaN/ });
  t.throws(() => fitScaler('zscore', columns(), { start: 2, end: 2 }), { code, message: /trainRange/ });
  t.throws(() => fitScaler('zscore', columns(), { start: 0, end: 7 }), { code, message: /trainRange/ });
  t.throws(() => fitScaler('log' as 'zscore', columns(), TRAIN), { code, message: /kind/ });
  t.throws(() => fitScaler('zscore', {}, TRAIN), { code, message: /non-empty/ });
});
