// Training on your own files, as the README tells a newcomer: a CSV time series, JSON lines of
// labelled texts, word/TAG sentences and a plain-text corpus, each through its config source.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { recur, tempFolder } from './testing/recur.js';

const folder = tempFolder('own');

function write(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

async function train(name: string, config: Record<string, unknown>) {
  const path = write(`${name}.json`, JSON.stringify({ name, ...config }));
  return recur(['train', path, '--epochs', '2', '--output', join(folder, 'runs', name)]);
}

t.test('a CSV time series with a date column and a missing value', async (t) => {
  const rows = ['date,load,temperature'];
  for (let h = 0; h < 400; h++) {
    const date = new Date(Date.UTC(2024, 0, 1, h)).toISOString().slice(0, 16).replace('T', ' ');
    const load = 500 + 80 * Math.sin((2 * Math.PI * h) / 24) + ((h * 7919) % 13);
    rows.push(
      `${date},${h === 50 ? '' : load.toFixed(1)},${(5 + 3 * Math.sin((2 * Math.PI * h) / 24 - 1)).toFixed(2)}`,
    );
  }
  const csv = write('load.csv', `${rows.join('\n')}\n`);
  const config = {
    task: 'forecast',
    data: {
      source: { kind: 'csv', path: csv, missing: 'previous' },
      inputs: ['load', 'temperature'],
      target: 'load',
      window: 24,
    },
    model: { units: 16 },
    training: { learningRate: 0.01 },
  };
  const ran = await train('load', config);
  t.equal(ran.code, 0, ran.stderr);
  t.match(ran.stdout, /^load: \d+ \/ \d+ \/ \d+ windows of 24 rows × 2 columns → load 1 row ahead/m);
  t.match(ran.stdout, /^test MAE [\d.]+ vs persistence [\d.]+/m);
  const report = readFileSync(join(folder, 'runs', 'load', 'report.html'), 'utf8');
  t.match(report, /data-chart="forecast"/);

  const strict = await train('load-strict', {
    ...config,
    data: { ...config.data, source: { kind: 'csv', path: csv } },
  });
  t.equal(strict.code, 1, 'the default missing policy is an error');
  t.match(
    strict.stderr,
    /ERR_DATA_BAD_CSV: .*load\.csv:52: column 'load' has a missing value.*hint: fix the file, or set data\.source\.missing/,
  );
});

t.test('JSON lines of labelled texts, word/TAG sentences and a text corpus', async (t) => {
  const good = ['great fun', 'a joy to watch', 'loved it', 'wonderful acting'];
  const bad = ['boring mess', 'a waste of time', 'hated it', 'dull acting'];
  const records = Array.from({ length: 120 }, (_, i) => ({
    text: (i % 2 ? good : bad)[i % 4],
    label: i % 2 ? 'pos' : 'neg',
  }));
  const jsonl = write('reviews.jsonl', `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const classify = await train('reviews', {
    task: 'classify',
    data: { source: { kind: 'jsonl', path: jsonl }, maxLength: 8 },
    model: { units: 8, embedding: 8 },
    training: { learningRate: 0.01, batchSize: 8 },
  });
  t.equal(classify.code, 0, classify.stderr);
  t.match(classify.stdout, /^test accuracy [\d.]+% vs majority class \((neg|pos)\)/m);

  const lines = Array.from({ length: 90 }, (_, i) =>
    i % 2 ? 'the/DET dog/NOUN runs/VERB ./.' : 'a/DET cat/NOUN sleeps/VERB ./.',
  );
  const tagged = write('tagged.txt', `${lines.join('\n')}\n`);
  const tag = await train('tagged', {
    task: 'tag',
    data: { source: { kind: 'tagged', path: tagged }, maxLength: 6 },
    model: { units: 8, embedding: 8 },
    training: { learningRate: 0.01, batchSize: 8 },
  });
  t.equal(tag.code, 0, tag.stderr);
  t.match(tag.stdout, /^tagged: \d+ \/ \d+ \/ \d+ sentences .* 4 tags/m);

  const corpus = write('corpus.txt', 'the cat sat on the mat. '.repeat(200));
  const lm = await train('corpus', {
    task: 'language-model',
    data: { source: { kind: 'text', path: corpus }, sequenceLength: 16 },
    model: { units: 16, layers: 1, embedding: 8 },
    generate: { prompt: 'the ', steps: 20, samples: 1 },
    training: { learningRate: 0.01 },
  });
  t.equal(lm.code, 0, lm.stderr);
  t.match(lm.stdout, /^test perplexity [\d.]+ vs unigram [\d.]+/m);
  // the bigram baseline beside the unigram one: on a repeated sentence it is far better
  const baselines = lm.stdout.match(/vs unigram ([\d.]+).*; bigram \(λ 0\.\d\) ([\d.]+)$/m);
  t.ok(baselines, `the bigram baseline is printed: ${lm.stdout}`);
  t.ok(Number(baselines?.[2]) < Number(baselines?.[1]) / 2, 'bigram < unigram / 2 on a repeated sentence');
  t.match(lm.stdout, /^sample: "the /m);

  const broken = write('broken.txt', 'the/DET dog\n');
  const bad2 = await train('broken', { task: 'tag', data: { source: { kind: 'tagged', path: broken } } });
  t.equal(bad2.code, 2);
  t.match(bad2.stderr, /ERR_CLI_BAD_CONFIG: .*broken\.txt:1: 'dog' is not word\/tag/);
});

t.test(
  'CSV columns named constructor, __proto__ and valueOf train like any other (issue 16, defect 13)',
  async (t) => {
    const rows = ['constructor,__proto__,valueOf'];
    for (let h = 0; h < 200; h++) {
      rows.push(`${Math.sin(h / 5).toFixed(3)},${Math.cos(h / 7).toFixed(3)},${(h % 17).toFixed(1)}`);
    }
    const csv = write('proto.csv', `${rows.join('\n')}\n`);
    const ran = await train('proto', {
      task: 'forecast',
      data: {
        source: { kind: 'csv', path: csv },
        inputs: ['constructor', '__proto__'],
        target: 'valueOf',
        window: 8,
      },
      model: { units: 4 },
    });
    t.equal(ran.code, 0, ran.stderr);
    t.match(ran.stdout, /windows of 8 rows × 2 columns → valueOf 1 row ahead/);
    const missing = await train('proto-missing', {
      task: 'forecast',
      data: { source: { kind: 'csv', path: csv }, inputs: ['toString'], target: 'valueOf', window: 8 },
    });
    t.equal(missing.code, 2, missing.stderr);
    t.match(missing.stderr, /ERR_CLI_BAD_CONFIG: data\.inputs\[0\]: no numeric column 'toString'/);
  },
);
