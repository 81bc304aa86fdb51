// Tests of groupSequences: per-route and per-airport delay sequences from the Parquet fixture,
// ordering within a group, cutting by maxLength, minLength, the (T, F) layout, and errors.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { groupSequences } from './groups.js';
import { streamParquet } from './parquet.js';
import type { Table } from './table.js';

const flights = fileURLToPath(new URL('../../fixtures/parquet/flights-sample.parquet', import.meta.url));
const table = (order: number[], v: number[], k: string[]): Table => ({
  columns: ['t', 'v', 'k'],
  types: ['number', 'number', 'string'],
  rows: order.length,
  values: [Float64Array.from(order), Float64Array.from(v), k],
});

t.test('per-route delay sequences from a streamed Parquet file', async (t) => {
  const stream = streamParquet(flights, { columns: ['date', 'delay', 'origin', 'destination'] });
  const routes = await groupSequences(stream, {
    by: ['origin', 'destination'],
    orderBy: 'date',
    features: ['delay'],
  });
  t.same(
    routes.map((s) => [s.key.join('-'), s.length]),
    [
      ['LAS-LAX', 20],
      ['LAX-LAS', 20],
      ['LAX-PHX', 20],
    ],
  );
  t.equal(routes[0].values[0], -1); // the first LAS→LAX flight of the extract
});

t.test('per-airport sequences: one key column', async (t) => {
  const airports = await groupSequences(streamParquet(flights), {
    by: ['origin'],
    orderBy: 'date',
    features: ['delay', 'distance'],
  });
  t.same(
    airports.map((s) => [s.key, s.length, s.values.length]),
    [
      [['LAS'], 20, 40],
      [['LAX'], 40, 80],
    ],
  );
  t.equal(airports[0].values[1], 236); // (T, F): step 0, feature 1 = distance LAS→LAX
});

t.test('rows are sorted by orderBy within a group; ties keep input order', async (t) => {
  const [a, b] = await groupSequences(
    table([3, 1, 2, 1, 5], [30, 10, 20, 11, 50], ['a', 'a', 'a', 'a', 'b']),
    {
      by: ['k'],
      orderBy: 't',
      features: ['v'],
    },
  );
  t.same([...a.values], [10, 11, 20, 30]);
  t.same([b.key, [...b.values]], [['b'], [50]]);
});

t.test('maxLength cuts consecutive pieces; minLength drops short pieces and groups', async (t) => {
  const n = 20;
  const src = table(
    Array.from({ length: n }, (_, i) => i),
    Array.from({ length: n }, (_, i) => i),
    Array(n).fill('a'),
  );
  const cut = await groupSequences(src, { by: ['k'], orderBy: 't', features: ['v'], maxLength: 8 });
  t.same(
    cut.map((s) => [s.start, s.length, s.values[0]]),
    [
      [0, 8, 0],
      [8, 8, 8],
      [16, 4, 16],
    ],
  );
  const long = await groupSequences(src, {
    by: ['k'],
    orderBy: 't',
    features: ['v'],
    maxLength: 8,
    minLength: 5,
  });
  t.same(
    long.map((s) => s.start),
    [0, 8],
  );
  t.same(await groupSequences(src, { by: ['k'], orderBy: 't', features: ['v'], minLength: 21 }), []);
});

t.test('bad options and NaN values are ERR_DATA_BAD_OPTION', async (t) => {
  const src = table([1, Number.NaN], [1, 2], ['a', 'a']);
  const base = { by: ['k'], orderBy: 't', features: ['v'] };
  await t.rejects(groupSequences(src, { ...base, by: ['route'] }), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /no column 'route'; found: t, v, k/,
  });
  await t.rejects(groupSequences(src, { ...base, features: ['k'] }), { message: /column 'k' holds text/ });
  await t.rejects(groupSequences(src, base), {
    message: /row 1 of the input has no value \(NaN\) in column 't'/,
  });
  await t.rejects(groupSequences(src, { ...base, minLength: 3, maxLength: 2 }), {
    message: /options\.maxLength/,
  });
  await t.rejects(groupSequences(src, { ...base, features: [] }), { message: /options\.features/ });
});
