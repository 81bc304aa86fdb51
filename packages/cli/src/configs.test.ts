// Every example config as a smoke run (`recur train <config> --smoke`: one epoch on a slice of
// the real data), then the other commands on the run folders it leaves.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { config, recur, root, tempFolder } from './testing/recur.js';

const names = readdirSync(join(root, 'configs'))
  .filter((f) => f.endsWith('.json') && !f.startsWith('tsconfig'))
  .map((f) => f.replace(/\.json$/, ''));
const runs = tempFolder('smoke');
const runOf = (name: string) => join(runs, name);

t.test('every config trains as a smoke run and prints its metric beside the baseline', async (t) => {
  for (const name of names) {
    const ran = await recur(['train', config(name), '--smoke', '--output', runOf(name)]);
    t.equal(ran.code, 0, `${name} exits 0 ${ran.stderr}`);
    t.match(
      ran.stdout,
      /^test (MAE|accuracy|token accuracy|perplexity) [\d.]+%? vs [^:]+ [\d.]+%?: .* (better|worse) than /m,
      `${name} prints metric vs baseline`,
    );
    t.match(
      ran.stdout,
      /^epoch 1\/1 {2}loss [\d.]+ {2}val_loss [\d.]+ {2}val_\w+ [\d.e+-]+ {2}lr [\d.e+-]+ {2}\d+ samples\/s/m,
      `${name}: one line per epoch without a terminal`,
    );
    for (const file of [
      'config.json',
      'metrics.jsonl',
      'best.ckpt',
      'last.ckpt',
      'results.json',
      'report.html',
    ]) {
      t.ok(existsSync(join(runOf(name), file)), `${name}: ${file}`);
    }
    const metrics = readFileSync(join(runOf(name), 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    t.equal(metrics.length, 1, `${name}: one metrics line per epoch`);
    t.match(metrics[0], {
      epoch: 0,
      loss: Number,
      val_loss: Number,
      seconds: Number,
      samples_per_second: Number,
    });
    const results = JSON.parse(readFileSync(join(runOf(name), 'results.json'), 'utf8'));
    t.match(results, { name, value: Number, baseline: { name: String, value: Number } });
    const saved = JSON.parse(readFileSync(join(runOf(name), 'config.json'), 'utf8'));
    t.match(
      saved,
      { training: { epochs: 1, batchSize: 16 }, data: { limit: 64 } },
      'the config used, flags applied',
    );
  }
});

t.test('eval scores a run again: the same number as training printed', async (t) => {
  const run = runOf('seattle-temperature');
  const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8'));
  const ran = await recur(['eval', run, '--json']);
  t.equal(ran.code, 0, ran.stderr);
  const score = JSON.parse(ran.stdout);
  t.equal(score.value, results.value);
  t.equal(score.baseline.value, results.baseline.value);
  const validation = await recur(['eval', run, '--split', 'validation', '--checkpoint', 'last']);
  t.match(validation.stdout, /^MAE [\d.]+ vs persistence [\d.]+: .* \(validation split\)/);
  const bad = await recur(['eval', run, '--checkpoint', 'worst']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /ERR_CLI_BAD_FLAG: --checkpoint must be best or last/);
});

t.test('predict: forecasts from a CSV, labels from texts, tags from sentences', async (t) => {
  const folder = tempFolder('predict');
  const csv = join(folder, 'days.csv');
  const rows = ['date,precipitation,temp_max,temp_min,wind,weather'];
  for (let d = 1; d <= 31; d++)
    rows.push(`2016-01-${String(d).padStart(2, '0')},0.5,${8 + (d % 5)},${2 + (d % 3)},3.1,rain`);
  writeFileSync(csv, `${rows.join('\n')}\n`);
  const forecast = await recur(['predict', runOf('seattle-temperature'), '--input', csv]);
  t.equal(forecast.code, 0, forecast.stderr);
  const lines = forecast.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(lines.length, 2, '31 days make 2 windows of 30');
  t.match(lines[1], { window_end_row: 30, window_end_date: '2016-01-31', temp_max: Number });
  const week = await recur(['predict', runOf('seattle-temperature-week'), '--input', csv]);
  t.equal(JSON.parse(week.stdout.trim().split('\n')[0]).temp_max.length, 7, 'seq2seq: 7 days ahead');

  const texts = join(folder, 'reviews.txt');
  writeFileSync(texts, 'A wonderful, moving film.\n{"text": "Dull and far too long."}\n');
  const out = join(folder, 'labels.jsonl');
  const labels = await recur(['predict', runOf('imdb-sentiment'), '--input', texts, '--output', out]);
  t.match(labels.stdout, /2 predictions written to/);
  const labelled = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.match(labelled[0], {
    label: /^(negative|positive)$/,
    probabilities: { negative: Number, positive: Number },
  });

  const sentences = join(folder, 'sentences.txt');
  writeFileSync(sentences, 'The whale swam away .\nCall me Ishmael\n');
  const tags = await recur(['predict', runOf('brown-pos'), '--input', sentences]);
  const tagged = tags.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(tagged[0].tags.length, 5, 'one tag per token');
  t.equal(tagged[1].tags.length, 3);

  const lm = await recur(['predict', runOf('moby-dick-chars'), '--input', sentences]);
  t.equal(lm.code, 1);
  t.match(lm.stderr, /ERR_CLI_UNSUPPORTED: .*recur generate/);
});

t.test('generate samples text from the language model, the same for the same seed', async (t) => {
  const run = runOf('moby-dick-chars');
  const args = ['generate', run, '--prompt', 'The sea', '--steps', '30', '--seed', '5', '--samples', '2'];
  const a = await recur(args);
  t.equal(a.code, 0, a.stderr);
  const texts = a.stdout.split(/^--- sample \d of 2\n/m).slice(1);
  t.equal(texts.length, 2);
  t.ok(texts.every((s) => s.startsWith('The sea')));
  t.equal((await recur(args)).stdout, a.stdout, 'seeded');
  const wrong = await recur(['generate', runOf('seattle-temperature')]);
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /ERR_CLI_UNSUPPORTED: .* is a forecast run/);
});

t.test('summary prints the model of a config, a run and a checkpoint', async (t) => {
  const fromConfig = await recur(['summary', config('brown-pos')]);
  t.equal(fromConfig.code, 0, fromConfig.stderr);
  t.match(fromConfig.stdout, /brown-pos \(tag\): .* sentences/);
  t.match(fromConfig.stdout, /[Bb]idirectional/);
  const fromRun = await recur(['summary', runOf('seattle-temperature')]);
  t.match(fromRun.stdout, /seattle-temperature \(forecast\)/);
  t.match(fromRun.stdout, /4,897|4897/);
  const fromCheckpoint = await recur(['summary', join(runOf('seattle-temperature'), 'last.ckpt')]);
  t.match(fromCheckpoint.stdout, /4,897|4897/);
});

t.test('data pack writes the three splits as shard sets', async (t) => {
  const out = tempFolder('pack');
  const ran = await recur([
    'data',
    'pack',
    config('seattle-temperature'),
    '--out',
    out,
    '--limit',
    '50',
    '--samples-per-shard',
    '20',
  ]);
  t.equal(ran.code, 0, ran.stderr);
  t.match(ran.stdout, /train: 50 samples/);
  for (const split of ['train', 'validation', 'test'])
    t.ok(existsSync(join(out, split, 'manifest.json')), split);
  const manifest = JSON.parse(readFileSync(join(out, 'train', 'manifest.json'), 'utf8'));
  t.equal(manifest.shards.length, 3, '50 samples in shards of 20');
  t.match(JSON.parse(readFileSync(join(out, 'preprocessing.json'), 'utf8')), {
    task: 'forecast',
    window: 30,
  });
});
