// fit's Keras callbacks (training/callbacks.ts, monitor-callbacks.ts, verbose.ts): early
// stopping stops at the epoch Keras would and restores the best epoch's parameters bit for bit;
// reduce-on-plateau lowers the learning rate at the epoch Keras would, with cooldown and minLr;
// the learning rate is in every epoch's logs and reaches the optimizer; verbose writes its lines
// to the stream given. The monitored values are set by a callback before the one under test, so
// each epoch's value is known exactly; the parameters are those of a real training run.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  type Callback,
  dense,
  earlyStopping,
  type FitOptions,
  gru,
  type Logs,
  loadModel,
  reduceLROnPlateau,
  sequential,
  type TrainingStrategy,
  VERBOSE_REFRESH_MS,
} from './index.js';

const N = 12;
const T = 4;

/** y = the sum of a sequence's steps: (N, T, 1) → (N, 1). */
function sumTask() {
  const x = new Float32Array(N * T);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(1.3 * i) * 0.5;
  const y = new Float32Array(N);
  for (let s = 0; s < N; s++) for (let k = 0; k < T; k++) y[s] += x[s * T + k];
  return { x: { data: x, shape: [N, T, 1] }, y: { data: y, shape: [N, 1] } };
}

const makeModel = (lr = 0.01) => {
  const model = sequential([gru({ units: 5 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 7 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr } });
  return model;
};

/** A callback that sets val_loss to `values[epoch]` and keeps a copy of the parameters after each epoch. */
function scripted(values: number[]) {
  const params: Float32Array[] = [];
  const callback: Callback = {
    onEpochEnd(epoch, logs, run) {
      logs.val_loss = values[epoch];
      params.push(Float32Array.from(run.model.params));
    },
  };
  return { callback, params };
}

async function fitScripted(values: number[], callbacks: Callback[], options: FitOptions = {}) {
  const { x, y } = sumTask();
  const model = makeModel();
  const script = scripted(values);
  const history = await model.fit(x, y, {
    batchSize: 4,
    epochs: values.length,
    validationSplit: 0.25,
    callbacks: [script.callback, ...callbacks],
    ...options,
  });
  return { model, history, params: script.params };
}

t.test('earlyStopping stops once val_loss has not improved by minDelta for patience epochs', async (t) => {
  const values = [1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.97];
  const withDelta = earlyStopping({ patience: 2, minDelta: 0.02 });
  const a = await fitScripted(values, [withDelta]);
  t.same(a.history.epochs, [0, 1, 2, 3], '0.79 is not 0.02 better than 0.8: stops after epoch 4 (index 3)');
  t.same(a.history.stopped, {
    by: 'earlyStopping',
    epoch: 3,
    reason: 'val_loss did not improve on 0.8 (epoch 2) by more than 0.02 for 2 epochs (patience 2)',
  });
  t.equal(withDelta.stoppedEpoch, 3);
  t.equal(withDelta.bestEpoch, 1);
  const noDelta = earlyStopping({ patience: 2 });
  const b = await fitScripted(values, [noDelta]);
  t.same(b.history.epochs, [0, 1, 2, 3, 4, 5], 'without minDelta 0.79 is the best; two worse epochs follow');
  t.equal(noDelta.bestEpoch, 3);
  const none = await fitScripted([1, 0.9, 0.8, 0.7], [earlyStopping({ patience: 0 })]);
  t.equal(none.history.stopped, null, 'an improving run is not stopped');
  t.same(none.history.epochs, [0, 1, 2, 3]);
});

t.test('restoreBestWeights puts back the best epoch parameters, bit for bit', async (t) => {
  const values = [1.0, 0.8, 0.85, 0.79, 0.9, 0.95, 0.97];
  const stopper = earlyStopping({ patience: 2, minDelta: 0.02, restoreBestWeights: true });
  const { model, params, history } = await fitScripted(values, [stopper]);
  t.equal(history.epochs.length, 4);
  t.not(
    Buffer.compare(Buffer.from(params[3].buffer), Buffer.from(params[1].buffer)),
    0,
    'epochs 2 and 4 differ',
  );
  t.equal(
    Buffer.compare(
      Buffer.from(model.params.buffer, model.params.byteOffset, model.params.byteLength),
      Buffer.from(params[1].buffer),
    ),
    0,
    'the parameters are those after epoch 2',
  );
  const kept = earlyStopping({ patience: 2, minDelta: 0.02 });
  const plain = await fitScripted(values, [kept]);
  t.same(
    Array.from(plain.model.params),
    Array.from(plain.params[3]),
    'without it the last epoch parameters stay',
  );
  const ended = await fitScripted(
    [1.0, 0.5, 0.7],
    [earlyStopping({ patience: 5, restoreBestWeights: true })],
  );
  t.equal(ended.history.stopped, null);
  t.same(
    Array.from(ended.model.params),
    Array.from(ended.params[1]),
    'Keras 3: also restored when training ran to the end',
  );
});

t.test('earlyStopping baseline and startFromEpoch follow Keras', async (t) => {
  const values = [0.5, 0.4, 0.45, 0.3];
  const base = await fitScripted(values, [earlyStopping({ patience: 3, baseline: 0.2 })]);
  t.same(base.history.epochs, [0, 1, 2], 'improvements that miss the baseline do not reset the patience');
  const free = await fitScripted(values, [earlyStopping({ patience: 3 })]);
  t.same(free.history.epochs, [0, 1, 2, 3]);
  const late = [0.1, 0.5, 0.4, 0.45, 0.46];
  const from = await fitScripted(late, [earlyStopping({ patience: 1, startFromEpoch: 1 })]);
  t.same(from.history.epochs, [0, 1, 2, 3], 'epoch 0 is not monitored');
  const early = await fitScripted(late, [earlyStopping({ patience: 1 })]);
  t.same(early.history.epochs, [0, 1]);
  const max = await fitScripted([0.1, 0.3, 0.2, 0.25], [earlyStopping({ patience: 1, mode: 'max' })]);
  t.same(max.history.epochs, [0, 1, 2], "mode 'max': higher is better");
});

t.test(
  'reduceLROnPlateau lowers lr after patience epochs, waits out the cooldown and stops at minLr',
  async (t) => {
    const flat = Array.from({ length: 10 }, () => 1.0);
    const plateau = reduceLROnPlateau({ factor: 0.5, patience: 2, cooldown: 1, minLr: 0.002 });
    const { history, model } = await fitScripted(flat, [plateau]);
    t.same(
      plateau.reductions.map((r) => r.epoch),
      [2, 4, 6],
    );
    const close = (a: number[], b: number[]) =>
      a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-12);
    t.ok(
      close(
        plateau.reductions.map((r) => r.lr),
        [0.005, 0.0025, 0.002],
      ),
      'halved twice, then held at minLr',
    );
    const lr = history.history.lr;
    t.ok(
      close(lr, [0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025, 0.002, 0.002, 0.002]),
      `each epoch logs the lr its steps used: ${lr}`,
    );
    t.ok(Math.abs((model.compiled?.lrScale ?? 0) - 0.2) < 1e-12, 'the scale on the schedule');
    const improving = reduceLROnPlateau({ patience: 0 });
    await fitScripted([1, 0.9, 0.8, 0.7], [improving]);
    t.same(improving.reductions, [], 'no reduction while the monitor improves by more than minDelta');
  },
);

t.test('a lowered lr reaches the optimizer, and travels in checkpoints', async (t) => {
  const { x, y } = sumTask();
  const model = makeModel();
  const params: Float32Array[] = [];
  const path = join(mkdtempSync(join(tmpdir(), 'recur-cb-')), 'model.ckpt');
  await model.fit(x, y, {
    batchSize: 4,
    epochs: 3,
    checkpoint: { path },
    callbacks: {
      onEpochEnd(epoch, _logs, run) {
        params.push(Float32Array.from(run.model.params));
        if (epoch === 0) run.setLr(1e-30);
      },
    },
  });
  t.same(
    Array.from(params[1]),
    Array.from(params[0]),
    'after setLr(1e-30) an epoch of Adam leaves the parameters as they were',
  );
  t.same(Array.from(params[2]), Array.from(params[1]), 'and so does the next');
  const { model: loaded } = await loadModel(path);
  t.equal(loaded.compiled?.lrScale, 1e-30 / 0.01, 'the checkpoint keeps the scale');
});

t.test('lr in the logs follows the schedule', async (t) => {
  const { x, y } = sumTask();
  const model = sequential([gru({ units: 5 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 7 });
  model.compile({
    loss: 'mse',
    optimizer: { kind: 'sgd', lr: 0.1 },
    schedule: { kind: 'step', stepSize: 4, gamma: 0.5 },
  });
  const history = await model.fit(x, y, { batchSize: 4, epochs: 3 });
  // 3 steps an epoch: the last steps are 3, 6, 9 → s = 2, 5, 8 → 0.1 · 0.5^⌊s/4⌋
  t.same(history.history.lr, [0.1, 0.05, 0.025]);
  t.same(Object.keys(history.history), ['loss', 'lr']);
});

t.test('a monitor the logs do not have is refused before training', async (t) => {
  const { x, y } = sumTask();
  const model = makeModel();
  const before = Float32Array.from(model.params);
  await t.rejects(model.fit(x, y, { epochs: 2, callbacks: [earlyStopping()] }), {
    code: 'ERR_NN_BAD_OPTION',
    message:
      "earlyStopping: monitor 'val_loss' is not in the epoch logs (loss, lr); give fit validationData or validationSplit, or monitor a training key",
  });
  t.same(Array.from(model.params), Array.from(before), 'nothing trained');
  t.throws(() => earlyStopping({ patience: -1 }), {
    code: 'ERR_NN_BAD_OPTION',
    message: /patience must be a non-negative integer, got -1/,
  });
  t.throws(() => earlyStopping({ patients: 3 } as never), { message: /unknown option 'patients'/ });
  t.throws(() => reduceLROnPlateau({ factor: 1 }), { message: /factor must be a number in \(0, 1\), got 1/ });
  t.throws(() => reduceLROnPlateau({ mode: 'up' as never }), {
    message: /mode must be one of 'auto', 'min', 'max'/,
  });
});

/** A stream that keeps what is written to it. */
function capture(isTTY: boolean) {
  const chunks: string[] = [];
  return { stream: { isTTY, write: (s: string) => chunks.push(s) }, text: () => chunks.join('') };
}

const NUM = String.raw`\d+\.\d{4}|\d\.\d{4}e-\d+`;

t.test('verbose 2 and verbose 1 off a terminal write one line per epoch, notes after it', async (t) => {
  for (const verbose of [1, 2] as const) {
    const out = capture(false);
    await fitScripted([1, 2, 3], [earlyStopping({ patience: 1, restoreBestWeights: true })], {
      verbose,
      log: out.stream,
    });
    const lines = out.text().split('\n');
    const epoch = (k: number) =>
      new RegExp(`^Epoch ${k}/3 - \\d+s \\d+ms/step - loss: (${NUM}) - val_loss: (${NUM}) - lr: 0\\.0100$`);
    t.match(lines[0], epoch(1));
    t.match(lines[1], epoch(2));
    t.equal(
      lines[2],
      'Epoch 2: early stopping: val_loss did not improve on 1 (epoch 1) by more than 0 for 1 epoch (patience 1)',
    );
    t.equal(lines[3], 'Restoring model weights from the end of the best epoch: 1.');
    t.equal(lines.length, 5, 'and a final newline');
  }
  const quiet = capture(false);
  await fitScripted([1, 2], [], { log: quiet.stream });
  t.equal(quiet.text(), '', 'verbose 0 (the default) writes nothing');
});

t.test('verbose 1 on a terminal draws a bar and rewrites its line', async (t) => {
  const out = capture(true);
  await fitScripted([1, 0.5], [], { verbose: 1, log: out.stream });
  const lines = out.text().split('\n');
  t.equal(lines.length, 3, 'two epoch lines and the last newline');
  const drawn = lines.map((line) => line.split('\r\x1b[K'));
  t.ok(
    drawn.slice(0, 2).every((d) => d[0] === '' && d.length >= 2),
    'every draw starts by clearing the line',
  );
  t.match(
    drawn[0].at(-1),
    /^Epoch 1\/2 - 3\/3 \[={30}\] - \d+s \d+ms\/step - loss: .* - val_loss: 1\.0000 - lr: 0\.0100$/,
  );
  t.match(drawn[1].at(-1), /^Epoch 2\/2 - 3\/3 \[={30}\] - .* - val_loss: 0\.5000 - lr: 0\.0100$/);
  for (const d of drawn.slice(0, 2).flatMap((x) => x.slice(1, -1)))
    t.match(d, /^Epoch \d\/2 - [12]\/3 \[=*>\.+\] - ETA: \d+s - loss: .* - lr: 0\.0100$/, 'a progress draw');
});

t.test('logs handed to callbacks are the ones recorded in the history', async (t) => {
  const seen: Logs[] = [];
  const { history } = await fitScripted([3, 2], [{ onEpochEnd: (_e, logs) => void seen.push({ ...logs }) }]);
  t.same(history.history.val_loss, [3, 2]);
  t.same(Object.keys(seen[0]), ['loss', 'val_loss', 'lr']);
});

t.test('verbose 1 rewrites its line at most every VERBOSE_REFRESH_MS', async (t) => {
  const { x, y } = sumTask();
  const draws = async (stepMs: number, batches: number) => {
    const out = capture(true);
    const model = makeModel();
    const instant: TrainingStrategy = {
      name: 'instant',
      step: () => new Promise((resolve) => setTimeout(() => resolve({ sum: 1, count: 1 }), stepMs)),
    };
    const started = performance.now();
    await model.fit(x, y, {
      batchSize: Math.ceil(N / batches),
      epochs: 1,
      strategy: instant,
      verbose: 1,
      log: out.stream,
    });
    const elapsed = performance.now() - started;
    const count = out
      .text()
      .split('\r\x1b[K')
      .filter((d) => / - ETA: /.test(d)).length;
    return { count, elapsed };
  };
  const slow = await draws(VERBOSE_REFRESH_MS + 10, 3);
  t.equal(slow.count, 2, 'steps longer than the limit: every batch but the last (the epoch line) is drawn');
  const fast = await draws(0, N);
  t.ok(fast.count >= 1, 'the first batch is drawn');
  t.ok(
    fast.count <= 1 + Math.floor(fast.elapsed / VERBOSE_REFRESH_MS),
    `${fast.count} draws in ${fast.elapsed.toFixed(0)} ms of ${N} instant steps`,
  );
});
