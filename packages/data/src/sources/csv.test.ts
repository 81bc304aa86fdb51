// Tests of the CSV source: a real extract (Seattle weather, first 20 rows), RFC 4180 quoting over
// any chunking, typing and inference, every missing-value policy, every bad-input error, limits.
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CSV_MAX_COLUMNS, CSV_MAX_FIELD_BYTES, type CsvOptions, readCsv, streamCsv } from './csv.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/csv/${name}`, import.meta.url));
const text = (s: string, options: CsvOptions = {}) =>
  readCsv(Readable.from([Buffer.from(s)]), { name: 'mem.csv', ...options });
const bytewise = (s: string) => Readable.from([...Buffer.from(s)].map((b) => Buffer.from([b])));

t.test('reads the Seattle weather extract with a date column and inferred types', async (t) => {
  const table = await readCsv(fixture('seattle-weather-20.csv'), { columns: { date: 'date' } });
  t.same(table.columns, ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather']);
  t.same(table.types, ['date', 'number', 'number', 'number', 'number', 'string']);
  t.equal(table.rows, 20);
  t.equal((table.values[0] as Float64Array)[0], Date.UTC(2012, 0, 1));
  t.equal((table.values[1] as Float64Array)[1], 10.9);
  t.same((table.values[5] as string[]).slice(0, 2), ['drizzle', 'rain']);
});

t.test('streams batches of up to batchRows that add up to the whole table', async (t) => {
  const whole = await readCsv(fixture('seattle-weather-20.csv'));
  const batches = [];
  for await (const b of streamCsv(fixture('seattle-weather-20.csv'), { batchRows: 8 })) batches.push(b);
  t.same(
    batches.map((b) => [b.startRow, b.rows]),
    [
      [0, 8],
      [8, 8],
      [16, 4],
    ],
  );
  const temps = batches.flatMap((b) => [...(b.values[2] as Float64Array)]);
  t.same(temps, [...(whole.values[2] as Float64Array)]);
});

t.test('quotes, doubled quotes, CRLF and line breaks inside quotes', async (t) => {
  const table = await readCsv(fixture('quoted-crlf.csv'));
  t.same(table.values[0], ['alpha', 'beta', 'gamma']);
  t.same(table.values[1], ['said "hi", then left', 'two\r\nlines', 'plain']);
});

t.test('one byte at a time gives the same table, multi-byte characters included', async (t) => {
  const s = '\ufeffword,n\r\n"naïve ""é""",1\r\nñ,"2"\r\n\r\nü,3';
  const table = await readCsv(bytewise(s), { name: 'bytes.csv' });
  t.same(table.columns, ['word', 'n']); // the byte-order mark is dropped even when split
  t.same(table.values[0], ['naïve "é"', 'ñ', 'ü']);
  t.same([...(table.values[1] as Float64Array)], [1, 2, 3]);
});

t.test('any chunking of a tricky input gives the same table', async (t) => {
  const s =
    'k,v,w\r\n"a ""quoted"" value, long enough",1,ünïcode text over thirteen\r\n' +
    '"multi\nline",2.5,"é"\n' +
    'plain,-3,"x""y"\r\n' +
    '"",4e2,last\n';
  const whole = await text(s);
  const bytes = Buffer.from(s);
  for (let size = 1; size <= 17; size++) {
    const chunks = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    t.same(await readCsv(Readable.from(chunks), { name: 'c.csv' }), whole, `chunks of ${size}`);
  }
  t.same(whole.values[0], ['a "quoted" value, long enough', 'multi\nline', 'plain', '']);
  t.same(whole.values[2], ['ünïcode text over thirteen', 'é', 'x"y', 'last']);
});

t.test('select picks and orders columns; another delimiter', async (t) => {
  const table = await text('a;b;c\n1;x;3\n', { delimiter: ';', select: ['c', 'a'] });
  t.same(table.columns, ['c', 'a']);
  t.same(table.types, ['number', 'number']);
  t.same([...(table.values[0] as Float64Array)], [3]);
});

t.test('a missing selected column names itself and the columns found', async (t) => {
  await t.rejects(readCsv(fixture('seattle-weather-20.csv'), { select: ['date', 'humidity'] }), {
    code: 'ERR_DATA_BAD_CSV',
    message:
      /seattle-weather-20\.csv:1: no column 'humidity' in the header; found: date, precipitation, temp_max/,
  });
});

t.test('a typed column that is not in the header is an error too', async (t) => {
  await t.rejects(text('a,b\n1,2\n', { columns: { when: 'date' } }), {
    code: 'ERR_DATA_BAD_CSV',
    message: /no column 'when'/,
  });
});

t.test('inference: numbers only if the first values all are; text otherwise', async (t) => {
  const table = await text('n,s,e\n1,1,\n2.5e3,x,\n-0.5,2,\n');
  t.same(table.types, ['number', 'string', 'string']);
  t.same([...(table.values[0] as Float64Array)], [1, 2500, -0.5]);
});

t.test('a word after the inference window in a numeric column is an error with a hint', async (t) => {
  const rows = Array.from({ length: 100 }, (_, i) => `${i}`).join('\n');
  await t.rejects(text(`v\n${rows}\nabc\n`), {
    code: 'ERR_DATA_BAD_CSV',
    message:
      /mem\.csv:102: column 'v': 'abc' is not a number \(the column was inferred as numbers.*'v': 'string'/,
  });
});

t.test('a value that is not a number or not a date in a declared column', async (t) => {
  await t.rejects(text('x\n1\n1,5\n', { columns: { x: 'number' }, delimiter: ';' }), {
    code: 'ERR_DATA_BAD_CSV',
    message: /mem\.csv:3: column 'x': '1,5' is not a number$/,
  });
  await t.rejects(text('d\n2012-02-30\n', { columns: { d: 'date' } }), {
    code: 'ERR_DATA_BAD_CSV',
    message: /mem\.csv:2: column 'd': '2012-02-30' is not a date/,
  });
});

t.test("missing 'error' (the default) names file, line and column", async (t) => {
  await t.rejects(readCsv(fixture('missing.csv'), { columns: { date: 'date' } }), {
    code: 'ERR_DATA_BAD_CSV',
    message: /missing\.csv:3: column 'value' has a missing value and options\.missing is 'error'/,
  });
});

t.test("missing 'nan', 'drop-row' and 'previous'", async (t) => {
  const read = (missing: CsvOptions['missing']) =>
    readCsv(fixture('missing.csv'), { missing, select: ['value', 'note'] });
  const nan = await read('nan');
  t.same([...(nan.values[0] as Float64Array)], [1.5, Number.NaN, Number.NaN, 4]);
  const dropped = await read('drop-row');
  t.same([dropped.rows, dropped.values[1]], [2, ['first', 'last']]);
  const filled = await read('previous');
  t.same([...(filled.values[0] as Float64Array)], [1.5, 1.5, 1.5, 4]);
});

t.test("'previous' carries across batches and fails when the first value is missing", async (t) => {
  const batches = [];
  for await (const b of streamCsv(fixture('missing.csv'), {
    missing: 'previous',
    batchRows: 1,
    select: ['value'],
  })) {
    batches.push((b.values[0] as Float64Array)[0]);
  }
  t.same(batches, [1.5, 1.5, 1.5, 4]);
  await t.rejects(text('v,w\n,1\n2,2\n', { missing: 'previous' }), {
    code: 'ERR_DATA_BAD_CSV',
    message: /mem\.csv:2: column 'v' has a missing value before any value to carry forward/,
  });
});

t.test('a row with the wrong number of fields names file and line', async (t) => {
  await t.rejects(readCsv(fixture('short-row.csv')), {
    code: 'ERR_DATA_BAD_CSV',
    message: /short-row\.csv:3: expected 3 fields as in the header, found 2$/,
  });
});

t.test('an unterminated quote names the line it opens on', async (t) => {
  await t.rejects(readCsv(fixture('unterminated.csv')), {
    code: 'ERR_DATA_BAD_CSV',
    message: /unterminated\.csv:3: unterminated quoted field/,
  });
});

t.test('text after a closing quote is an error', async (t) => {
  await t.rejects(text('a,b\n"x"y,1\n'), {
    code: 'ERR_DATA_BAD_CSV',
    message: /mem\.csv:2: 'y' after a closing quote/,
  });
});

t.test('empty input, header only, duplicate header names', async (t) => {
  await t.rejects(text(''), { code: 'ERR_DATA_BAD_CSV', message: /mem\.csv: no header row/ });
  t.same((await text('a')).columns, ['a']); // shorter than a byte-order mark
  const empty = await text('a,b\n');
  t.same([empty.rows, empty.types], [0, ['string', 'string']]);
  await t.rejects(text('a,b,a\n'), {
    code: 'ERR_DATA_BAD_CSV',
    message: /mem\.csv:1: column 'a' appears twice .*fields 1 and 3/,
  });
});

t.test('a missing file is ERR_DATA_NOT_FOUND', async (t) => {
  await t.rejects(readCsv(fixture('no-such.csv')), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /no-such\.csv: cannot read/,
  });
});

t.test('bad options are ERR_DATA_BAD_OPTION', async (t) => {
  const bad: CsvOptions[] = [
    { delimiter: '"' },
    { delimiter: ';;' },
    { missing: 'zero' as 'nan' },
    { maxColumns: 0 },
  ];
  for (const options of bad) await t.rejects(text('a\n1\n', options), { code: 'ERR_DATA_BAD_OPTION' });
  await t.rejects(streamCsv(fixture('missing.csv'), { batchRows: 0 }).next(), {
    message: /options\.batchRows/,
  });
  await t.rejects(text('a\n1\n', { columns: { a: 'int' as 'number' } }), {
    message: /options\.columns\.a must be/,
  });
});

t.test('CSV_MAX_FIELD_BYTES: a field of the limit reads, one byte more does not', async (t) => {
  const at = 'x'.repeat(CSV_MAX_FIELD_BYTES);
  const ok = await text(`s\n${at}\n`);
  t.equal((ok.values[0] as string[])[0].length, CSV_MAX_FIELD_BYTES);
  await t.rejects(text(`s\n${at}x\n`), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /mem\.csv:2: a field is longer than 1048576 bytes \(CSV_MAX_FIELD_BYTES/,
  });
  const chunks = [Buffer.from('s\n"'), Buffer.from(at), Buffer.from('x"\n')]; // quoted, over chunks
  await t.rejects(readCsv(Readable.from(chunks), { name: 'q.csv' }), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /q\.csv:2/,
  });
});

t.test('CSV_MAX_COLUMNS: a header of the limit reads, one column more does not', async (t) => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
  const ok = await text(`${names(CSV_MAX_COLUMNS)}\n`);
  t.equal(ok.columns.length, CSV_MAX_COLUMNS);
  await t.rejects(text(`${names(CSV_MAX_COLUMNS + 1)}\n`), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /mem\.csv:1: more than 10000 fields in a record \(CSV_MAX_COLUMNS/,
  });
});

t.test(
  'columns named constructor, __proto__ and valueOf read like any other (issue 16, defect 13)',
  async (t) => {
    const csv = 'constructor,__proto__,valueOf,hasOwnProperty\n1,2,3,x\n4,5,6,y\n';
    const table = await text(csv);
    t.same(table.columns, ['constructor', '__proto__', 'valueOf', 'hasOwnProperty']);
    t.same(table.types, ['number', 'number', 'number', 'string']);
    t.same([...(table.values[1] as Float64Array)], [2, 5]);
    const typed = await text(csv, {
      columns: { valueOf: 'string' as const },
      select: ['valueOf', '__proto__'],
    });
    t.same(typed.types, ['string', 'number']);
    t.same(typed.values[0], ['3', '6']);
    await t.rejects(text('a,b\n1,2\n', { select: ['constructor'] }), {
      code: 'ERR_DATA_BAD_CSV',
      message: /no column 'constructor' in the header/,
    });
  },
);
