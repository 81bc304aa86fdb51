// Tests of the Parquet source on committed fixtures (scripts/fixtures/gen_parquet_fixtures.mjs):
// a real ZSTD extract of flights-3m.parquet in three row groups, and a small file with nulls.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { type ParquetBatch, type ParquetOptions, streamParquet } from './parquet.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
const flights = fixture('parquet/flights-sample.parquet');
const nulls = fixture('parquet/nulls.parquet');
const collect = async (path: string, options?: ParquetOptions) => {
  const out: ParquetBatch[] = [];
  for await (const b of streamParquet(path, options)) out.push(b);
  return out;
};

t.test('streams a ZSTD file one row group at a time with its types', async (t) => {
  const batches = await collect(flights);
  t.same(
    batches.map((b) => [b.rowGroup, b.startRow, b.rows]),
    [
      [0, 0, 25],
      [1, 25, 25],
      [2, 50, 10],
    ],
  );
  const first = batches[0];
  t.same(first.columns, ['date', 'delay', 'distance', 'origin', 'destination']);
  t.same(first.types, ['date', 'number', 'number', 'string', 'string']);
  t.same(
    first.values.map((col) => col[0]),
    [Date.UTC(2001, 0, 1, 1, 25), -1, 236, 'LAS', 'LAX'],
  );
});

t.test('rowGroupBatch joins row groups; columns picks and orders them', async (t) => {
  const batches = await collect(flights, { rowGroupBatch: 2, columns: ['origin', 'delay'] });
  t.same(
    batches.map((b) => [b.rowGroup, b.startRow, b.rows]),
    [
      [0, 0, 50],
      [2, 50, 10],
    ],
  );
  t.same(batches[0].columns, ['origin', 'delay']);
  t.same(batches[0].types, ['string', 'number']);
  t.equal((batches[0].values[1] as Float64Array)[25], (await collect(flights))[1].values[1][0]);
});

t.test('a missing column names itself and the columns found', async (t) => {
  await t.rejects(collect(flights, { columns: ['delay', 'carrier'] }), {
    code: 'ERR_DATA_BAD_PARQUET',
    message:
      /flights-sample\.parquet: no column 'carrier'; found: date, delay, distance, origin, destination/,
  });
});

t.test('DATE columns become epoch ms; null strings become empty', async (t) => {
  const [batch] = await collect(nulls, { missing: 'nan' });
  t.same(
    [...(batch.values[0] as Float64Array)],
    [0, 1, 2, 3].map((d) => Date.UTC(2020, 0, 1 + d)),
  );
  t.same([...(batch.values[1] as Float64Array)], [1.5, Number.NaN, 3.5, 4.5]);
  t.same(batch.values[2], ['a', 'b', '', 'd']);
});

t.test("nulls under 'error' (the default), 'drop-row' and 'previous'", async (t) => {
  await t.rejects(collect(nulls), {
    code: 'ERR_DATA_BAD_PARQUET',
    message: /nulls\.parquet: row 1: column 'x' has a missing value and options\.missing is 'error'/,
  });
  const [dropped] = await collect(nulls, { missing: 'drop-row' });
  t.same(dropped.values[2], ['a', '', 'd']);
  const [filled] = await collect(nulls, { missing: 'previous' });
  t.same([...(filled.values[1] as Float64Array)], [1.5, 1.5, 3.5, 4.5]);
});

t.test('a file that is not Parquet, and a missing file', async (t) => {
  await t.rejects(collect(fixture('csv/missing.csv')), {
    code: 'ERR_DATA_BAD_PARQUET',
    message: /missing\.csv: not a Parquet file, or its footer is damaged/,
  });
  await t.rejects(collect(fixture('parquet/nope.parquet')), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /nope\.parquet: cannot read/,
  });
});

t.test('a truncated file and a corrupted row group are named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-parquet-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = readFileSync(flights);
  const cut = join(dir, 'cut.parquet');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
  await t.rejects(collect(cut), {
    code: 'ERR_DATA_BAD_PARQUET',
    message: /cut\.parquet: not a Parquet file/,
  });
  const bad = join(dir, 'bad.parquet'); // row group 1 spans bytes 510–1018; 'delay' 653–759
  writeFileSync(bad, Buffer.from(bytes).fill(0xff, 660, 700));
  const seen: number[] = [];
  const read = async () => {
    for await (const b of streamParquet(bad)) seen.push(b.rowGroup);
  };
  await t.rejects(read(), {
    code: 'ERR_DATA_BAD_PARQUET',
    message: /bad\.parquet: row group 1 \(rows 25–49, bytes 510–1018\), column 'delay': /,
  });
  t.same(seen, [0]);
});

t.test('bad options are ERR_DATA_BAD_OPTION', async (t) => {
  await t.rejects(collect(flights, { rowGroupBatch: 0 }), { code: 'ERR_DATA_BAD_OPTION' });
  await t.rejects(collect(flights, { missing: 'zero' as 'nan' }), { code: 'ERR_DATA_BAD_OPTION' });
  await t.rejects(collect(flights, { columns: ['delay', 'delay'] }), { code: 'ERR_DATA_BAD_OPTION' });
});
