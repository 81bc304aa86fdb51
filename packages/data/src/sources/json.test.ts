// Tests of the JSON sources: arrays of records, streamed JSON Lines, records to typed columns
// under each missing-value policy, every bad-input error with file:line:column, and the limits.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  JSON_MAX_FILE_BYTES,
  JSONL_MAX_LINE_BYTES,
  type JsonRecord,
  readJson,
  recordsToTable,
  streamJsonLines,
} from './json.js';
import { locateJsonError } from './json-syntax.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/json/${name}`, import.meta.url));
const collect = async (source: string | Readable, name?: string) => {
  const out: JsonRecord[] = [];
  for await (const r of streamJsonLines(source, { name })) out.push(r);
  return out;
};

t.test('readJson reads an array of records; recordsToTable types them', async (t) => {
  const records = await readJson(fixture('weather.json'));
  t.equal(records.length, 3);
  const table = recordsToTable(records, { date: 'date', temp_max: 'number', weather: 'string' });
  t.same(table.types, ['date', 'number', 'string']);
  t.equal((table.values[0] as Float64Array)[1], Date.UTC(2012, 0, 2));
  t.same([...(table.values[1] as Float64Array)], [12.8, 10.6, 11.7]);
});

t.test('JSON Lines stream the same records; CRLF and blank lines are fine', async (t) => {
  t.same(await collect(fixture('weather.jsonl')), await readJson(fixture('weather.json')));
  const bytes = [...Buffer.from('{"a": "é"}\n\n{"a": 2}')].map((b) => Buffer.from([b]));
  t.same(await collect(Readable.from(bytes), 'bytes.jsonl'), [{ a: 'é' }, { a: 2 }]);
});

t.test('a syntax error names file:line:column and what was found', async (t) => {
  await t.rejects(readJson(fixture('bad-syntax.json')), {
    code: 'ERR_DATA_BAD_JSON',
    message: /bad-syntax\.json:3:38: not valid JSON: '}' where a value belongs$/,
  });
  await t.rejects(collect(fixture('bad-line.jsonl')), {
    code: 'ERR_DATA_BAD_JSON',
    message: /bad-line\.jsonl:3:17: not valid JSON: 's' where ',' or '}' belongs$/,
  });
});

t.test('the wrong shape: not an array, an element or a line that is not a record', async (t) => {
  await t.rejects(readJson(fixture('not-array.json')), {
    code: 'ERR_DATA_BAD_JSON',
    message: /not-array\.json: expected an array of records at the top level, found an object/,
  });
  await t.rejects(collect(Readable.from(['{"a":1}\n[1]\n']), 'm.jsonl'), {
    code: 'ERR_DATA_BAD_JSON',
    message: /m\.jsonl:2: expected a record \(an object\), found an array/,
  });
});

t.test('the syntax locator finds the first error', async (t) => {
  const cases: [string, number, RegExp][] = [
    ['[1, 2,]', 6, /']' where a value belongs/],
    ['{"a" 1}', 5, /where ':' belongs/],
    ['{a: 1}', 1, /property name/],
    ['[1] x', 4, /after the end/],
    ['["ab', 1, /never closed/],
    ['[01]', 2, /',' or ']'/],
    ['[1', 2, /end of input/],
    ['"\\x"', 1, /bad escape/],
  ];
  for (const [text, offset, reason] of cases) {
    const at = locateJsonError(text);
    t.match(at, { offset, reason }, text);
  }
  t.equal(locateJsonError('{"a": [1, -2.5e3, true, null, "\\u00e9"]}'), null);
});

t.test("recordsToTable: missing values under 'error', 'nan', 'drop-row' and 'previous'", async (t) => {
  const records = [{ v: 1, s: 'a' }, { v: null, s: 'b' }, { s: 'c' }, { v: 4, s: null }];
  const columns = { v: 'number', s: 'string' } as const;
  t.throws(() => recordsToTable(records, columns, { name: 'r.json' }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /r\.json: record 1: column 'v' has a missing value/,
  });
  const nan = recordsToTable(records, columns, { missing: 'nan' });
  t.same([...(nan.values[0] as Float64Array)], [1, Number.NaN, Number.NaN, 4]);
  t.same(nan.values[1], ['a', 'b', 'c', '']);
  t.same(recordsToTable(records, columns, { missing: 'drop-row' }).values[1], ['a', '']);
  const filled = recordsToTable(records, columns, { missing: 'previous' });
  t.same([...(filled.values[0] as Float64Array)], [1, 1, 1, 4]);
  t.throws(() => recordsToTable([{ v: null }, { v: 1 }], { v: 'number' }, { missing: 'previous' }), {
    message: /record 0: column 'v' has a missing value before any value/,
  });
});

t.test('recordsToTable: wrong value types and absent columns', async (t) => {
  t.throws(() => recordsToTable([{ v: 1 }, { v: '2' }], { v: 'number' }, { name: 'r.json' }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /r\.json: record 1, column 'v': expected a number, found a string/,
  });
  t.throws(() => recordsToTable([{ d: '2012-13-01' }], { d: 'date' }), {
    message: /'2012-13-01' is not a date/,
  });
  t.throws(() => recordsToTable([{ v: 1 }], { w: 'number' }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /no record has column 'w'; found: v/,
  });
  t.throws(() => recordsToTable([{ v: 1 }], { v: 'int' as 'number' }), { code: 'ERR_DATA_BAD_OPTION' });
});

t.test('a missing file is ERR_DATA_NOT_FOUND', async (t) => {
  await t.rejects(readJson(fixture('nope.json')), { code: 'ERR_DATA_NOT_FOUND' });
  await t.rejects(collect(fixture('nope.jsonl')), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /nope\.jsonl: cannot read \(ENOENT\)/,
  });
});

t.test('JSON_MAX_FILE_BYTES: a file one byte over is refused before it is read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-json-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const big = join(dir, 'big.json');
  writeFileSync(big, '');
  truncateSync(big, JSON_MAX_FILE_BYTES + 1);
  await t.rejects(readJson(big), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /big\.json: 268435457 bytes.*JSON_MAX_FILE_BYTES/,
  });
});

t.test('JSONL_MAX_LINE_BYTES: a line of the limit reads, one byte more does not', async (t) => {
  const line = (bytes: number) => `{"s":"${'x'.repeat(bytes - 8)}"}`;
  const chunks = (text: string) =>
    Readable.from([text.slice(0, 1000), text.slice(1000)].map((s) => Buffer.from(s)));
  const ok = await collect(chunks(`{"a":1}\n${line(JSONL_MAX_LINE_BYTES)}\r\n`), 'ok.jsonl');
  t.equal((ok[1].s as string).length, JSONL_MAX_LINE_BYTES - 8);
  await t.rejects(collect(chunks(`{"a":1}\n${line(JSONL_MAX_LINE_BYTES + 1)}\n`), 'long.jsonl'), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /long\.jsonl:2: a line longer than 16777216 bytes \(JSONL_MAX_LINE_BYTES/,
  });
});
