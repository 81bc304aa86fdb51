// What `recur train` says about a CSV series config's mistakes, as a user meets them: a
// data.where value no row has names the column, the value and the values there; a date or text
// column offered as a numeric input is an error naming it; a column named Date (any case) or
// timestamp is the time axis; a relative data path is taken from the config file's folder (not
// the working directory), and a file that is not there is named by the path that was tried.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Table } from '@recur/data';
import t from 'tap';
import { TIME_COLUMN_NAMES, timeColumnIndex, withTimeAxis } from './tasks/series-table.js';
import { recur, root, tempFolder } from './testing/recur.js';

const folder = tempFolder('messages');

/** Two cities' daily temperatures under a header `time,city,temp`. */
function weather(time = 'date'): string {
  const rows = [`${time},city,temp`];
  for (let d = 0; d < 120; d++) {
    const date = new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10);
    rows.push(`${date},New York,${(5 + 6 * Math.sin(d / 9)).toFixed(2)}`);
    rows.push(`${date},Seattle,${(9 + 4 * Math.sin(d / 7)).toFixed(2)}`);
  }
  return `${rows.join('\n')}\n`;
}

async function train(
  name: string,
  data: Record<string, unknown>,
  options: { cwd?: string; csv?: string } = {},
) {
  const config = {
    name,
    task: 'forecast',
    data: {
      source: { kind: 'csv', path: join(folder, 'weather.csv') },
      inputs: ['temp'],
      target: 'temp',
      window: 7,
      ...data,
    },
    model: { units: 4 },
  };
  const path = join(folder, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return recur(['train', path, '--epochs', '1', '--output', join(folder, 'runs', name)], undefined, options);
}

writeFileSync(join(folder, 'weather.csv'), weather());

t.test('a data.where value that no row has names the column, the value and the values there', async (t) => {
  const ran = await train('typo', { where: { city: 'new york' } });
  t.equal(ran.code, 2, 'a config error');
  t.match(
    ran.stderr,
    /^recur: ERR_CLI_BAD_CONFIG: data\.where\.city: no row has city 'new york'; its values are 'New York', 'Seattle' \(hint: did you mean 'New York'\?\)$/m,
  );
  t.notMatch(ran.stderr, /fitScaler/, 'not the internal error it was');
  const other = await train('typo2', { where: { city: 'Boston' } });
  t.match(
    other.stderr,
    /data\.where\.city: no row has city 'Boston'; .* \(hint: give one of those values \(case and spaces count\)\)/,
  );
  const right = await train('right', { where: { city: 'New York' } });
  t.equal(right.code, 0, right.stderr);
});

t.test('a date or text column given as a numeric input is an error naming it', async (t) => {
  const dated = await train('dated', { where: { city: 'Seattle' }, inputs: ['date', 'temp'] });
  t.equal(dated.code, 2);
  t.match(
    dated.stderr,
    /ERR_CLI_BAD_CONFIG: data\.inputs\[0\]: column 'date' holds dates, not numbers; it is the time axis of the report, not a feature \(hint: remove 'date' from data\.inputs\)/,
  );
  const text = await train('text', { inputs: ['temp', 'city'] });
  t.match(
    text.stderr,
    /ERR_CLI_BAD_CONFIG: data\.inputs\[1\]: column 'city' is text \('New York', 'Seattle'\), not numbers; a text column can only pick rows \(data\.where\)/,
  );
  const target = await train('target', { target: 'date' });
  t.match(target.stderr, /data\.target: column 'date' holds dates/);
});

t.test('a column named Date is the time axis', async (t) => {
  writeFileSync(join(folder, 'Weather-Date.csv'), weather('Date'));
  const ran = await train('Date', {
    source: { kind: 'csv', path: join(folder, 'Weather-Date.csv') },
    where: { city: 'Seattle' },
  });
  t.equal(ran.code, 0, ran.stderr);
  const report = readFileSync(join(folder, 'runs', 'Date', 'report.html'), 'utf8');
  t.match(report, /X-axis titled 'date' for a time scale/, 'the forecast chart runs over dates');
  const refused = await train('Date-input', {
    source: { kind: 'csv', path: join(folder, 'Weather-Date.csv') },
    inputs: ['Date'],
  });
  t.match(refused.stderr, /data\.inputs\[0\]: column 'Date' holds dates/, 'so it is no input either');
});

t.test('the time column: data.time, else date, datetime, timestamp or time in any case', async (t) => {
  const table = (columns: Record<string, string[]>): Table => ({
    columns: Object.keys(columns),
    types: Object.keys(columns).map(() => 'string'),
    rows: 2,
    values: Object.values(columns),
  });
  const day = ['2024-01-01', '2024-01-02'];
  const load = ['1', '2'];
  const axis = (t: Table, named?: string) => {
    const dated = withTimeAxis(t, named);
    return dated.columns[timeColumnIndex(dated, named)];
  };
  t.same(TIME_COLUMN_NAMES, ['date', 'datetime', 'timestamp', 'time']);
  for (const name of ['date', 'Date', 'DATE', 'Timestamp', 'datetime', 'time']) {
    t.equal(axis(table({ load, [name]: day })), name, name);
  }
  t.equal(
    axis(table({ time: ['12:30', '13:30'], Date: day })),
    'Date',
    'the first time column whose text is all dates',
  );
  t.equal(axis(table({ load, day })), undefined, 'another name is no time axis unless data.time says so');
  t.equal(axis(table({ load, day }), 'day'), 'day');
  t.throws(() => withTimeAxis(table({ load }), 'day'), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: "data.time: no column 'day' (columns: load)",
  });
  t.throws(() => withTimeAxis(table({ when: ['2024-01-01', 'soon'] }), 'when'), {
    code: 'ERR_CLI_BAD_CONFIG',
    message:
      "data.time: column 'when' holds row 2: 'soon', not dates (YYYY-MM-DD, YYYY/MM/DD, an ISO date-time, Jan 1 2000)",
  });
});

t.test("a relative data path is taken from the config file's folder", async (t) => {
  const project = join(folder, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'weather.csv'), weather());
  const config = (name: string, path: string) => {
    const file = join(project, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        name,
        task: 'forecast',
        data: {
          source: { kind: 'csv', path },
          where: { city: 'Seattle' },
          inputs: ['temp'],
          target: 'temp',
          window: 7,
        },
        model: { units: 4 },
      }),
    );
    return file;
  };
  const ran = await recur(
    [
      'train',
      config('relative', 'weather.csv'),
      '--epochs',
      '1',
      '--output',
      join(folder, 'runs', 'relative'),
    ],
    undefined,
    {
      cwd: root,
    },
  );
  t.equal(ran.code, 0, `run from ${root}, not the config's folder: ${ran.stderr}`);
  const saved = JSON.parse(readFileSync(join(folder, 'runs', 'relative', 'config.json'), 'utf8'));
  t.equal(saved.data.source.path, join(project, 'weather.csv'), 'the run keeps the resolved path');
  const missing = await recur(
    [
      'train',
      config('missing', 'data/nothere.csv'),
      '--epochs',
      '1',
      '--output',
      join(folder, 'runs', 'missing'),
    ],
    undefined,
    {
      cwd: root,
    },
  );
  t.equal(missing.code, 1);
  t.match(
    missing.stderr,
    `ERR_DATA_NOT_FOUND: ${join(project, 'data', 'nothere.csv')}: cannot read (ENOENT) (hint: check data.source.path: a relative path is taken from the config file's folder, not the working directory)`,
  );
});
