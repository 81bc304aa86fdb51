// training.earlyStopping, training.reduceLrOnPlateau and training.schedule of a config, run by
// `recur train` as a user runs it: the run stops at the epoch the callbacks say and says why in
// the terminal, results.json and the report; the learning rate of every epoch is in the epoch
// lines and metrics.jsonl (and charted in the report); best.ckpt is still written. A minDelta
// far above any change makes every epoch after the first one "without improvement", so the
// epochs at which the callbacks act do not depend on how training goes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from './config/load.js';
import { barProgress, formatEpoch } from './run/progress.js';
import { recur, tempFolder } from './testing/recur.js';

const folder = tempFolder('callbacks');

function series(): string {
  const rows = ['date,load'];
  for (let h = 0; h < 160; h++) {
    const date = new Date(Date.UTC(2024, 0, 1, h)).toISOString().slice(0, 16).replace('T', ' ');
    rows.push(`${date},${(50 + 8 * Math.sin((2 * Math.PI * h) / 24)).toFixed(2)}`);
  }
  const path = join(folder, 'load.csv');
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

const csv = series();
const base = (training: Record<string, unknown>) => ({
  task: 'forecast',
  data: { source: { kind: 'csv', path: csv }, inputs: ['load'], target: 'load', window: 8 },
  model: { units: 4 },
  training: { learningRate: 0.01, batchSize: 16, ...training },
});

async function train(name: string, training: Record<string, unknown>) {
  const path = join(folder, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, ...base(training) }));
  const run = join(folder, 'runs', name);
  const ran = await recur(['train', path, '--output', run]);
  const metrics = existsSync(join(run, 'metrics.jsonl'))
    ? readFileSync(join(run, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, number>)
    : [];
  return { ran, run, metrics };
}

t.test('early stopping and reduce-on-plateau from a config', async (t) => {
  const { ran, run, metrics } = await train('stop', {
    epochs: 10,
    earlyStopping: { patience: 2, minDelta: 1e9 },
    reduceLrOnPlateau: { patience: 0, minDelta: 1e9, factor: 0.5 },
  });
  t.equal(ran.code, 0, ran.stderr);
  t.same(
    metrics.map((m) => m.epoch),
    [0, 1, 2],
    'two epochs without improvement after the first: stops after epoch 3',
  );
  t.same(
    metrics.map((m) => m.lr),
    [0.01, 0.01, 0.005],
    'metrics.jsonl: halved after epoch 2, the first without improvement',
  );
  const lines = ran.stdout.split('\n').filter((l) => l.startsWith('epoch '));
  t.equal(lines.length, 3);
  t.match(lines[0], /^epoch {2}1\/10 {2}loss \S+ {2}val_loss \S+ {2}val_mae \S+ {2}lr 0\.0100 {2}/);
  t.match(lines[2], / {2}lr 0\.0050 {2}/);
  const why = 'val_loss did not improve on ';
  t.match(
    ran.stdout,
    new RegExp(
      `^stopped early after epoch 3 of 10 \\(earlyStopping\\): ${why}\\S+ \\(epoch 1\\) by more than 1000000000 for 2 epochs \\(patience 2\\)$`,
      'm',
    ),
  );
  const results = JSON.parse(readFileSync(join(run, 'results.json'), 'utf8'));
  t.equal(results.epochs, 3);
  t.same({ ...results.stoppedEarly, reason: '' }, { epoch: 3, by: 'earlyStopping', reason: '' });
  t.ok(existsSync(join(run, 'best.ckpt')), 'best.ckpt is written as before');
  const report = readFileSync(join(run, 'report.html'), 'utf8');
  t.match(
    report,
    /<th>stopped early<\/th><td id="stopped">after epoch 3 of 10 \(earlyStopping\): val_loss did not improve/,
  );
  t.match(report, /data-chart="lr"/, 'the report charts the learning rate');
});

t.test('training.schedule reaches the optimizer: the logged lr follows it', async (t) => {
  const { ran, metrics } = await train('schedule', {
    epochs: 2,
    schedule: { kind: 'step', stepSize: 1, gamma: 0.5 },
  });
  t.equal(ran.code, 0, ran.stderr);
  const steps = Number(/training 2 epochs of (\d+) steps/.exec(ran.stdout)?.[1]);
  t.ok(steps > 1, `${steps} steps an epoch`);
  // the last step of epoch e is step S·(e + 1): 0.01 · 0.5^(S·(e + 1) − 1)
  t.same(
    metrics.map((m) => m.lr),
    [0.01 * 0.5 ** (steps - 1), 0.01 * 0.5 ** (2 * steps - 1)],
  );
  t.notOk(/stopped early/.test(ran.stdout), 'no callback, no early stop');
});

t.test('the callbacks and the schedule are checked with the config', async (t) => {
  const check = (training: Record<string, unknown>) => () =>
    parseConfig({ name: 'x', ...base(training) }, 'my.json');
  t.throws(check({ earlyStopping: { patients: 3 } }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: "my.json: training.earlyStopping: unknown key 'patients'",
  });
  t.throws(check({ reduceLrOnPlateau: { factor: 1 } }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: /^my\.json: training\.reduceLrOnPlateau\.factor: Too big: expected number to be <1/,
  });
  t.throws(check({ schedule: { kind: 'cosine', totalSteps: 10, warmupSteps: 10 } }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message:
      "my.json: training.schedule 'cosine': totalSteps must be greater than warmupSteps, got totalSteps 10, warmupSteps 10",
  });
  t.throws(check({ schedule: { kind: 'cosine', totalSteps: 10, minLr: 0.1 } }), {
    message: /^my\.json: training\.schedule 'cosine': minLr must be a number in \[0, 0\.01\], got 0\.1$/,
  });
  t.throws(check({ schedule: { kind: 'linear' } }), {
    code: 'ERR_CLI_BAD_CONFIG',
    message: /training\.schedule\.kind/,
  });
  const ok = parseConfig({ name: 'x', ...base({ earlyStopping: {} }) });
  t.same(ok.training.earlyStopping, {
    monitor: 'val_loss',
    mode: 'auto',
    patience: 0,
    minDelta: 0,
    restoreBestWeights: false,
    startFromEpoch: 0,
  });
});

t.test("the terminal's bar shows the last epoch's learning rate", async (t) => {
  let text = '';
  const tty = {
    isTTY: true,
    columns: 200,
    write: (s: string) => {
      text += s;
      return true;
    },
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    on: () => tty,
    removeListener: () => tty,
  } as unknown as NodeJS.WriteStream;
  const progress = barProgress(tty);
  const line = {
    epoch: 0,
    epochs: 2,
    loss: 0.5,
    validation: [['val_loss', 0.25]] as [string, number][],
    samplesPerSecond: 100,
    seconds: 1,
  };
  progress.startEpoch(0, 2, 4);
  progress.endEpoch({ ...line, lr: 0.005 });
  t.match(
    formatEpoch({ ...line, lr: 0.005 }),
    /^epoch 1\/2 {2}loss 0\.5000 {2}val_loss 0\.2500 {2}lr 0\.0050 {2}100 samples\/s {2}1\.0 s$/,
  );
  progress.startEpoch(1, 2, 4);
  progress.step(1, 0.4, 10, 0.1);
  progress.stop();
  t.match(text, /epoch 2\/2 .*\| val_loss 0\.2500 lr 0\.0050 \|/, 'the next epoch bar carries it');
});
