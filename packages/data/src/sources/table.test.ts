// Tests of what the sources share: number and date text, the column builder, the missing policy.
import t from 'tap';
import {
  applyMissing,
  missingCarry,
  parseDateText,
  parseNumberText,
  type Table,
  TableBuilder,
} from './table.js';

t.test('numbers: decimal forms with sign, fraction, exponent and blanks', async (t) => {
  const good: [string, number][] = [
    ['12', 12],
    ['-0.5', -0.5],
    ['+.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    [' 7\t', 7],
  ];
  for (const [text, value] of good) t.equal(parseNumberText(text), value, text);
  for (const bad of [
    '',
    ' ',
    '.',
    '-',
    '1e',
    '1e+',
    '0x10',
    '0b1',
    'Infinity',
    '1,5',
    '--1',
    '1 2',
    '1.2.3',
    'NaN',
  ]) {
    t.ok(Number.isNaN(parseNumberText(bad)), JSON.stringify(bad));
  }
});

t.test('dates: ISO, slashes, times, offsets, month names; impossible dates are NaN', async (t) => {
  t.equal(parseDateText('2012-01-01'), Date.UTC(2012, 0, 1));
  t.equal(parseDateText('2012/01/02'), Date.UTC(2012, 0, 2));
  t.equal(parseDateText('2012/1/2'), Date.UTC(2012, 0, 2));
  t.equal(parseDateText('2012-01-01T12:30:15'), Date.UTC(2012, 0, 1, 12, 30, 15));
  t.equal(parseDateText('2012-01-01 12:30:15.250Z'), Date.UTC(2012, 0, 1, 12, 30, 15, 250));
  t.equal(parseDateText('2012-01-01T12:00:00+02:00'), Date.UTC(2012, 0, 1, 10));
  t.equal(parseDateText('Jan 1 2000'), Date.UTC(2000, 0, 1));
  t.equal(parseDateText('2016-02-29'), Date.UTC(2016, 1, 29));
  for (const bad of [
    '2015-02-29',
    '1900-02-29',
    '2012-13-01',
    '2012-01-00',
    '2012-01-01T24:00:00',
    '2012-01/01',
    '1/2/2012',
    'x',
  ]) {
    t.ok(Number.isNaN(parseDateText(bad)), bad);
  }
});

t.test('dates agree with Date.UTC over four centuries', async (t) => {
  let wrong = 0;
  for (let days = -200_000; days < 200_000; days += 37) {
    const d = new Date(days * 86_400_000);
    const text = `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
    if (parseDateText(text) !== d.getTime()) wrong++;
  }
  t.equal(wrong, 0);
});

t.test('the builder grows past its capacity and hands over trimmed columns', async (t) => {
  const b = new TableBuilder(['n', 's'], ['number', 'string'], 2);
  for (let i = 0; i < 5; i++) b.append([i, `r${i}`], 10 + i);
  const { table, origins } = b.take();
  t.same(
    [table.rows, [...(table.values[0] as Float64Array)], table.values[1]],
    [5, [0, 1, 2, 3, 4], ['r0', 'r1', 'r2', 'r3', 'r4']],
  );
  t.same([...origins], [10, 11, 12, 13, 14]);
  t.equal(b.take().table.rows, 0);
});

t.test('applyMissing reports the first missing value in row order', async (t) => {
  const table: Table = {
    columns: ['a', 'b'],
    types: ['number', 'date'],
    rows: 3,
    values: [Float64Array.from([1, 2, Number.NaN]), Float64Array.from([1, Number.NaN, 3])],
  };
  t.throws(() => applyMissing(table, 'error', missingCarry(2), (r) => `f:${r + 2}`, 'ERR_DATA_BAD_CSV'), {
    code: 'ERR_DATA_BAD_CSV',
    message: /^f:3: column 'b' has a missing value/,
  });
});
