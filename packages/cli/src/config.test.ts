// The config schema: every example config validates, and a bad config names the JSON path of
// what is wrong, whatever the mistake (unknown key, wrong type, out of range, bad task).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { applyOverrides, loadConfig, parseConfig } from './config/load.js';
import { MAX_BATCH_SIZE, MAX_UNITS } from './config/schema.js';
import { CliError } from './errors.js';

const configs = join(import.meta.dirname, '..', '..', '..', 'configs');
const base = () => JSON.parse(readFileSync(join(configs, 'seattle-temperature.json'), 'utf8'));

function failure(value: unknown): CliError {
  try {
    parseConfig(value, 'my.json');
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

t.test('every example config in configs/ validates', async (t) => {
  const files = readdirSync(configs).filter((f) => f.endsWith('.json') && !f.startsWith('tsconfig'));
  t.ok(files.length >= 7, `found ${files.length} configs`);
  for (const file of files) {
    const config = loadConfig(join(configs, file));
    t.equal(config.name, file.replace(/\.json$/, ''), `${file}: its name is its file name`);
  }
});

t.test('defaults fill what a config leaves out', async (t) => {
  const config = parseConfig({
    name: 'mine',
    task: 'forecast',
    data: { source: { kind: 'csv', path: 'x.csv' }, inputs: ['a'], target: 'a' },
  });
  t.match(config, {
    training: {
      epochs: 10,
      batchSize: 32,
      optimizer: 'adam',
      learningRate: 0.001,
      clipNorm: 1,
      threads: 1,
      seed: 1,
    },
    model: { cell: 'lstm', units: 32, layers: 1 },
    data: { window: 30, horizon: 1, scaler: 'zscore', split: { train: 0.7, validation: 0.15, test: 0.15 } },
  });
});

t.test('a bad config names the JSON path of the problem', async (t) => {
  // biome-ignore lint/suspicious/noExplicitAny: the cases edit arbitrary JSON
  const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
    ['epochs 0', (c) => (c.training.epochs = 0), /my\.json: training\.epochs: .*>=1/],
    ['epochs as text', (c) => (c.training.epochs = 'ten'), /training\.epochs: .*number/],
    ['an unknown cell', (c) => (c.model.cell = 'transformer'), /model\.cell: .*"lstm"\|"gru"\|"simpleRNN"/],
    ['a misspelled key', (c) => (c.training.learningrate = 0.1), /training: unknown key 'learningrate'/],
    ['an unknown top-level key', (c) => (c.modle = {}), /unknown key 'modle'/],
    [
      'an unknown task',
      (c) => (c.task = 'regress'),
      /task: expected one of forecast, seq2seq, classify, tag, language-model/,
    ],
    ['an unknown data set', (c) => (c.data.source.name = 'nasdaq'), /data\.source\.name: /],
    [
      'a split that does not add up',
      (c) => (c.data.split.test = 0.5),
      /data\.split: train \+ validation \+ test must be 1/,
    ],
    ['no inputs', (c) => (c.data.inputs = []), /data\.inputs: /],
    ['an input that is not a string', (c) => (c.data.inputs[1] = 3), /data\.inputs\[1\]: /],
    ['a bad name', (c) => (c.name = 'has space'), /name: use letters, digits/],
    [
      'logRatio without its divisor',
      (c) => (c.data.derive = [{ name: 'r', from: 'temp_max', op: 'logRatio' }]),
      /data\.derive\[0\]\.over: 'over' names the divisor column of op logRatio/,
    ],
  ];
  for (const [what, change, message] of cases) {
    const config = base();
    change(config);
    const error = failure(config);
    t.equal(error.code, 'ERR_CLI_BAD_CONFIG', what);
    t.match(error.message, message, what);
    t.equal(error.exitCode, 2, `${what}: exit code 2`);
  }
});

t.test('every problem is listed, the first one first', async (t) => {
  const config = base();
  config.training.epochs = 0;
  config.model.units = -1;
  t.match(failure(config).message, /training\.epochs: .*and 1 more: model\.units: /);
});

t.test('flags override the config and are checked like it', async (t) => {
  const config = loadConfig(join(configs, 'seattle-temperature.json'));
  const next = applyOverrides(config, { threads: 2, epochs: 3, seed: 7, output: '/tmp/x', limit: 10 });
  t.match(next, { training: { threads: 2, epochs: 3, seed: 7 }, output: '/tmp/x', data: { limit: 10 } });
  t.equal(config.training.epochs, 30, 'the original is not changed');
  t.throws(() => applyOverrides(config, { threads: 0 }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: /training\.threads/,
  });
});

t.test('a config file that is not JSON, or missing, is a coded error', async (t) => {
  const path = join(tmpdir(), `recur-bad-${process.pid}.json`);
  writeFileSync(path, '{ "name": ');
  t.throws(() => loadConfig(path), { code: 'ERR_CLI_BAD_CONFIG', message: /not valid JSON/ });
  t.throws(() => loadConfig(`${path}.missing`), { code: 'ERR_CLI_NOT_FOUND' });
});

t.test(
  'a name of "." or ".." is refused: the run folder would be runs/ or the working directory (issue 16, defect 10)',
  async (t) => {
    for (const name of ['.', '..']) {
      const error = failure({ ...base(), name });
      t.equal(error.code, 'ERR_CLI_BAD_CONFIG');
      t.equal(error.exitCode, 2);
      t.match(error.message, /^my\.json: name: .*'\.' and '\.\.' .*runs\//, `name '${name}'`);
    }
    t.equal(
      parseConfig({ ...base(), name: '...' }, 'my.json').name,
      '...',
      "'...' is a folder name like any other",
    );
    t.equal(parseConfig({ ...base(), name: '.hidden' }, 'my.json').name, '.hidden');
  },
);

t.test(
  'MAX_BATCH_SIZE and MAX_UNITS: the limit passes, one more is refused (issue 16, defect 24)',
  async (t) => {
    const at = parseConfig(
      { ...base(), model: { units: MAX_UNITS }, training: { batchSize: MAX_BATCH_SIZE } },
      'my.json',
    );
    t.equal(at.training.batchSize, 65_536);
    t.equal((at.model as { units: number }).units, 4096);
    t.match(
      failure({ ...base(), training: { batchSize: MAX_BATCH_SIZE + 1 } }).message,
      /training\.batchSize: .*65536, got 65537/,
    );
    t.match(
      failure({ ...base(), model: { units: MAX_UNITS + 1 } }).message,
      /model\.units: .*4096, got 4097/,
    );
    const text = JSON.parse(readFileSync(join(configs, 'imdb-sentiment.json'), 'utf8'));
    t.match(
      failure({ ...text, model: { ...text.model, embedding: MAX_UNITS + 1 } }).message,
      /model\.embedding: .*4096, got 4097/,
    );
    const error = failure({ ...base(), training: { batchSize: MAX_BATCH_SIZE + 1 } });
    t.equal(error.exitCode, 2);
  },
);
