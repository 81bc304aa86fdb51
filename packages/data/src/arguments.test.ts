// The public readers and builders refuse arguments of the wrong kind with ERR_DATA_BAD_OPTION
// and a short message, instead of a TypeError from deep inside: options that are null, a
// number, a BigInt or an array; tokens that are not iterable; a path that is not a string or
// is empty; a source that is neither a path nor a stream. describeGot writes the wrong value.
import { Readable } from 'node:stream';
import t from 'tap';
import {
  buildLabelSet,
  buildVocabulary,
  charTokenizer,
  describeGot,
  groupSequences,
  numericColumns,
  readCsv,
  readJson,
  readTextFile,
  readTextFolder,
  recordsToTable,
  streamCsv,
  streamJsonLines,
  wordTokenizer,
  writePack,
} from './index.js';

const circular: Record<string, unknown> = {};
circular.self = circular;

t.test('describeGot: short, and never throws', async (t) => {
  t.equal(describeGot('abc'), '"abc"');
  t.equal(describeGot('x'.repeat(1000)), `"${'x'.repeat(60)}…"`);
  t.equal(describeGot(5n), '5n');
  t.equal(describeGot(null), 'null');
  t.equal(describeGot(undefined), 'undefined');
  t.equal(describeGot(Number.NaN), 'NaN');
  t.equal(describeGot([1, 2, 3]), 'an array of 3');
  t.equal(describeGot(new Float32Array(1e6)), 'Float32Array(1000000)');
  t.equal(describeGot(circular), 'an object');
  t.equal(
    describeGot(() => 1),
    'a function',
  );
});

const BAD_OPTIONS: unknown[] = [null, 5, 5n, ['a'], 'x'];

t.test('options that are not an object', async (t) => {
  for (const bad of BAD_OPTIONS) {
    const options = bad as never;
    const code = 'ERR_DATA_BAD_OPTION';
    const what = describeGot(bad);
    t.throws(
      () => charTokenizer(options),
      { code, message: /charTokenizer: options must be an object/ },
      what,
    );
    t.throws(
      () => wordTokenizer(options),
      { code, message: /wordTokenizer: options must be an object/ },
      what,
    );
    t.throws(() => buildVocabulary(['a'], options), { code, message: /buildVocabulary: options/ }, what);
    await t.rejects(readTextFile('x.txt', options), { code, message: /readTextFile: options/ }, what);
    await t.rejects(readTextFolder('.', options), { code, message: /readTextFolder: options/ }, what);
    await t.rejects(readJson('x.json', options), { code, message: /readJson: options/ }, what);
    await t.rejects(readCsv('x.csv', options), { code, message: /readCsv: options/ }, what);
    await t.rejects(streamCsv('x.csv', options).next(), { code, message: /streamCsv: options/ }, what);
    await t.rejects(
      streamJsonLines('x.jsonl', options).next(),
      { code, message: /streamJsonLines: options/ },
      what,
    );
  }
});

t.test('tokens that are not iterable', async (t) => {
  for (const bad of [undefined, null, 5, 5n, circular]) {
    const tokens = bad as never;
    t.throws(() => buildVocabulary(tokens), {
      code: 'ERR_DATA_BAD_OPTION',
      message: /buildVocabulary: expected an iterable of strings, got/,
    });
    t.throws(() => buildLabelSet(tokens), {
      code: 'ERR_DATA_BAD_OPTION',
      message: /buildLabelSet: expected an iterable/,
    });
  }
});

t.test('paths that are not strings and sources that are not streams', async (t) => {
  for (const bad of [undefined, null, 5, '', circular]) {
    const path = bad as never;
    const code = 'ERR_DATA_BAD_OPTION';
    await t.rejects(readTextFile(path), { code, message: /the path must be a non-empty string/ });
    await t.rejects(readTextFolder(path), { code, message: /readTextFolder: the path/ });
    await t.rejects(readJson(path), { code, message: /the path must be a non-empty string|the source/ });
    await t.rejects(readCsv(path), {
      code,
      message: /the path must be a non-empty string|the source must be/,
    });
    await t.rejects(streamJsonLines(path).next(), { code });
  }
  const rows = await readCsv(Readable.from(['a,b\n1,2\n']), { name: 'stream.csv' });
  t.same([rows.columns, rows.rows], [['a', 'b'], 1], 'a stream is still a source');
});

t.test('tables, records, groups and packs of the wrong kind', async (t) => {
  const code = 'ERR_DATA_BAD_OPTION';
  for (const bad of [null, 5, 5n, 'x', ['a']]) {
    const arg = bad as never;
    t.throws(() => numericColumns(arg), { code, message: /numericColumns: expected a Table/ });
    t.throws(() => writePack('/tmp/never', arg, null, {} as never), {
      code,
      message: /writePack: splits must be/,
    });
    t.throws(() => recordsToTable([], arg), { code, message: /recordsToTable: columns must be an object/ });
    await t.rejects(groupSequences([], arg), { code, message: /groupSequences: options must be an object/ });
    if (!Array.isArray(bad)) {
      t.throws(() => recordsToTable(arg, { a: 'number' }), {
        code,
        message: /recordsToTable: records must be an array/,
      });
    }
  }
  t.throws(() => numericColumns(circular as never), { code, message: /got an object/ });
  t.throws(() => writePack('' as never, {}, null, {} as never), { code, message: /writePack: the path/ });
  t.same(numericColumns({ columns: ['a', 'b'], values: [new Float64Array([1]), ['x']] }).columns, {
    a: new Float64Array([1]),
  });
});
