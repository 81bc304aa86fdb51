// eval and predict on what runs and files really hold (issue 16, defects 23 and 24): a run with
// only last.ckpt (what a cluster run keeps) is scored and used; a CSV with a header and no rows
// says so; data errors advise config keys, never library options; --output paths are coded.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { config, recur, tempFolder } from './testing/recur.js';

const folder = tempFolder('eval-predict');
const run = join(folder, 'run');
const header = 'date,temp_max,temp_min,precipitation,wind';

function csv(name: string, rows: string[]): string {
  const path = join(folder, name);
  writeFileSync(path, `${[header, ...rows].join('\n')}\n`);
  return path;
}

const days = (n: number, value = (d: number) => String(10 + (d % 7))) =>
  Array.from(
    { length: n },
    (_, d) =>
      `2020-01-${String((d % 28) + 1).padStart(2, '0')},${value(d)},${3 + (d % 5)},0.${d % 9},${2 + (d % 3)}`,
  );

t.before(async () => {
  const ran = await recur(['train', config('seattle-temperature'), '--smoke', '--output', run]);
  if (ran.code !== 0) throw new Error(ran.stderr);
  rmSync(join(run, 'best.ckpt')); // as a cluster run: config.json and last.ckpt only
});

t.test('eval and predict work from last.ckpt when a run has no best.ckpt (defect 23)', async (t) => {
  const evaluated = await recur(['eval', run]);
  t.equal(evaluated.code, 0, evaluated.stderr);
  t.match(evaluated.stdout, /^MAE [\d.]+ vs persistence/m);
  const predicted = await recur(['predict', run, '--input', csv('days.csv', days(40))]);
  t.equal(predicted.code, 0, predicted.stderr);
  t.equal(predicted.stdout.trim().split('\n').length, 11, 'one forecast per window');
  const empty = join(folder, 'empty-run');
  await recur(['train', config('seattle-temperature'), '--smoke', '--output', empty]);
  rmSync(join(empty, 'best.ckpt'));
  rmSync(join(empty, 'last.ckpt'));
  const none = await recur(['eval', empty]);
  t.equal(none.code, 1);
  t.match(
    none.stderr,
    /ERR_CLI_BAD_RUN: .*empty-run holds no checkpoint \(best\.ckpt or last\.ckpt\): its run has not finished an epoch/,
  );
});

t.test('a CSV with a header and no rows says so, for predict and for training (defect 23)', async (t) => {
  const only = csv('header-only.csv', []);
  const predicted = await recur(['predict', run, '--input', only]);
  t.equal(predicted.code, 2, predicted.stderr);
  t.match(
    predicted.stderr,
    /^recur: ERR_CLI_BAD_FLAG: --input .*header-only\.csv has a header row but no data rows/,
  );
  const cfg = join(folder, 'own.json');
  const own = (path: string, missing?: string) =>
    writeFileSync(
      cfg,
      JSON.stringify({
        name: 'own',
        task: 'forecast',
        data: {
          source: { kind: 'csv', path, ...(missing === undefined ? {} : { missing }) },
          inputs: ['temp_max'],
          target: 'temp_max',
          window: 5,
        },
      }),
    );
  own(only);
  const trained = await recur(['train', cfg, '--smoke', '--output', join(folder, 'own')]);
  t.equal(trained.code, 2, trained.stderr);
  t.match(
    trained.stderr,
    /^recur: ERR_CLI_BAD_CONFIG: data\.source\.path .*header-only\.csv has a header row but no data rows/,
  );
  t.notMatch(trained.stderr, /no numeric column/);
});

t.test("data errors advise config keys, never the library's options (defect 23)", async (t) => {
  const cfg = join(folder, 'advice.json');
  const train = async (path: string) => {
    writeFileSync(
      cfg,
      JSON.stringify({
        name: 'advice',
        task: 'forecast',
        data: { source: { kind: 'csv', path }, inputs: ['temp_max'], target: 'temp_max', window: 5 },
      }),
    );
    return recur(['train', cfg, '--smoke', '--output', join(folder, 'advice')]);
  };
  const word = await train(
    csv(
      'word.csv',
      days(150, (d) => (d === 120 ? 'n/a?' : String(d % 9))),
    ),
  );
  t.equal(word.code, 1);
  t.match(
    word.stderr,
    /ERR_DATA_BAD_CSV: .*column 'temp_max': 'n\/a\?' is not a number .*fix that value, or drop the row/,
  );
  t.notMatch(word.stderr, /declare columns/, 'no API option a config cannot express');
  const gap = await train(
    csv(
      'gap.csv',
      days(40, (d) => (d === 3 ? '' : String(d % 9))),
    ),
  );
  t.equal(gap.code, 1);
  t.match(gap.stderr, /has a missing value .*set data\.source\.missing to 'drop-row' or 'previous'/);
  t.notMatch(gap.stderr, /options\.missing|'nan'/);
});

t.test(
  'predict --output into a folder or a missing folder is ERR_CLI_BAD_PATH, exit 2 (defect 24)',
  async (t) => {
    const input = csv('days2.csv', days(40));
    const into = await recur(['predict', run, '--input', input, '--output', folder]);
    t.equal(into.code, 2, into.stderr);
    t.match(into.stderr, /^recur: ERR_CLI_BAD_PATH: --output .* is a folder, not a file \(EISDIR\)/);
    const missing = await recur([
      'predict',
      run,
      '--input',
      input,
      '--output',
      join(folder, 'no', 'such.jsonl'),
    ]);
    t.equal(missing.code, 2, missing.stderr);
    t.match(missing.stderr, /^recur: ERR_CLI_BAD_PATH: --output .*no\/such\.jsonl does not exist \(ENOENT\)/);
  },
);
