// Checkpoints of whole models: a run stopped mid-epoch by its AbortSignal and resumed from the
// checkpoint ends bit-identical to an uninterrupted run; save/load keeps weights and
// preprocessing; bad files give coded errors.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  bidirectional,
  dense,
  dropout,
  encoderDecoder,
  gru,
  type LayerConfig,
  layerFromConfig,
  loadModel,
  lstm,
  type Model,
  modelFromConfig,
  sequential,
} from './index.js';

const N = 40;
const T = 6;

function data() {
  const x = new Float32Array(N * T * 2);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let sum = 0;
    for (let i = 0; i < T * 2; i++) {
      x[n * T * 2 + i] = Math.sin(n * 1.3 + i * 0.7);
      sum += x[n * T * 2 + i];
    }
    y[n] = sum / T;
  }
  return { x: { data: x, shape: [N, T, 2] }, y: { data: y, shape: [N, 1] } };
}

function makeModel(): Model {
  const model = sequential(
    [
      bidirectional(gru({ units: 6, returnSequences: true })),
      dropout({ rate: 0.2 }),
      lstm({ units: 5 }),
      dense({ units: 1 }),
    ],
    {
      inputShape: [T, 2],
      seed: 11,
    },
  );
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 }, clipNorm: 1 });
  return model;
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

t.test('a run stopped mid-epoch and resumed from its checkpoint is bit-identical', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-ckpt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { x, y } = data();
  const straight = makeModel();
  await straight.fit(x, y, { epochs: 3, batchSize: 8 });

  const path = join(dir, 'run.ckpt');
  const interrupted = makeModel();
  const controller = new AbortController();
  let steps = 0;
  const history = await interrupted.fit(x, y, {
    epochs: 3,
    batchSize: 8,
    signal: controller.signal,
    checkpoint: { path, preprocessing: { scale: 2 } },
    callbacks: {
      onBatchEnd: () => {
        steps++;
        if (steps === 7) controller.abort();
      },
    },
  });
  t.ok(history.aborted, 'fit reports that it stopped');
  const { model: resumed, preprocessing } = await loadModel(path);
  t.same(preprocessing, { scale: 2 }, 'preprocessing comes back');
  t.same(
    resumed.trainingPosition,
    { epoch: 1, position: 2 },
    'the position is after step 7 (5 batches an epoch)',
  );
  await resumed.fit(x, y, { epochs: 3, batchSize: 8, resume: true });
  t.ok(bytes(resumed.params).equals(bytes(straight.params)), 'parameters are bitwise equal');
  t.equal(resumed.compiled?.step, straight.compiled?.step, 'optimizer step counts agree');
});

t.test('save and load an uncompiled encoder–decoder keeps its weights and predictions', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-ckpt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const model = encoderDecoder({
    cell: 'gru',
    units: 4,
    inputShape: [3, 1],
    outputSteps: 2,
    outputFeatures: 1,
    seed: 5,
  });
  const path = join(dir, 'model.ckpt');
  await model.save(path);
  const { model: loaded } = await loadModel(path);
  t.ok(bytes(loaded.params).equals(bytes(model.params)), 'weights are equal');
  t.equal(loaded.layout.hash(), model.layout.hash(), 'layouts agree');
  t.equal(loaded.compiled, null, 'an uncompiled model stays uncompiled');
});

t.test('loading something that is not a checkpoint fails with a coded error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-ckpt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'notes.txt');
  await writeFile(path, 'hello, this is not a checkpoint at all');
  await t.rejects(loadModel(path), { code: 'ERR_NN_BAD_CHECKPOINT', message: /not a recur checkpoint/ });
});

/** A run of 3 epochs stopped by its signal after `stopAfter` steps, with its checkpoint. */
async function stoppedRun(dir: string, stopAfter: number): Promise<string> {
  const { x, y } = data();
  const path = join(dir, `stopped-${stopAfter}.ckpt`);
  const controller = new AbortController();
  let steps = 0;
  await makeModel().fit(x, y, {
    epochs: 3,
    batchSize: 8,
    signal: controller.signal,
    checkpoint: { path },
    callbacks: {
      onBatchEnd: () => {
        if (++steps === stopAfter) controller.abort();
      },
    },
  });
  return path;
}

t.test(
  "after a mid-epoch resume the epoch's logged loss is the whole epoch's (issue 16, defect 16)",
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'recur-ckpt-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const { x, y } = data();
    const straight = await makeModel().fit(x, y, { epochs: 3, batchSize: 8 });
    const { model } = await loadModel(await stoppedRun(dir, 7));
    const resumed = await model.fit(x, y, { epochs: 3, batchSize: 8, resume: true });
    t.same(resumed.epochs, [1, 2]);
    t.equal(resumed.history.loss[0], straight.history.loss[1], 'epoch 1: the same loss as without the stop');
    t.equal(resumed.history.loss[1], straight.history.loss[2], 'epoch 2 as well');
  },
);

t.test(
  'resuming mid-epoch with another batch size is refused, naming both (issue 16, defect 15)',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'recur-ckpt-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    const { x, y } = data();
    const { model } = await loadModel(await stoppedRun(dir, 7));
    await t.rejects(model.fit(x, y, { epochs: 3, batchSize: 4, resume: true }), {
      code: 'ERR_NN_BAD_OPTION',
      message: /with batchSize 8; this fit has batchSize 4/,
    });
    t.same(model.trainingPosition, { epoch: 1, position: 2 }, 'nothing was trained');
    const atBoundary = await loadModel(await stoppedRun(dir, 5));
    t.same(atBoundary.model.trainingPosition, { epoch: 1, position: 0 }, 'stopped at an epoch boundary');
    const history = await atBoundary.model.fit(x, y, { epochs: 2, batchSize: 4, resume: true });
    t.same(history.epochs, [1], 'at an epoch boundary another batch size skips nothing and is allowed');
  },
);

t.test('malformed model and layer configs give coded errors, not TypeErrors', async (t) => {
  const model = (config: unknown) => () => modelFromConfig(config);
  const layer = (config: unknown) => () => layerFromConfig(config as LayerConfig);
  const cases: [string, () => unknown, string, RegExp][] = [
    [
      'layers not an array',
      model({ kind: 'sequential', layers: 5, seed: 1 }),
      'ERR_NN_BAD_CHECKPOINT',
      /layers must be an array of layer configs, got 5/,
    ],
    [
      'a null layer',
      model({ kind: 'sequential', layers: [null], seed: 1 }),
      'ERR_NN_BAD_CHECKPOINT',
      /a layer config must be an object \{ kind, options \}, got null/,
    ],
    ['a BigInt model kind', model({ kind: 5n }), 'ERR_NN_BAD_CHECKPOINT', /unknown model kind 5n/],
    ['a null layer config', layer(null), 'ERR_NN_BAD_MODEL', /got null/],
    ['a BigInt layer kind', layer({ kind: 5n, options: {} }), 'ERR_NN_BAD_MODEL', /unknown layer kind 5n/],
    [
      'bidirectional without options',
      layer({ kind: 'bidirectional', options: null }),
      'ERR_NN_BAD_MODEL',
      /bidirectional: options must be an object/,
    ],
    [
      'bidirectional without a layer',
      layer({ kind: 'bidirectional', options: {} }),
      'ERR_NN_BAD_MODEL',
      /got undefined/,
    ],
  ];
  for (const [what, run, code, message] of cases) t.throws(run, { code, message }, what);
});
