// @recur/nn's Keras callbacks on threads(W): early stopping stops a threaded fit at the epoch
// it should and restores the best epoch's parameters (the shared arena's) bit for bit; a
// learning rate lowered by a callback reaches every rank (the control block's lrScale), so a
// threaded run with reduceLROnPlateau matches the one-thread run, and setLr(1e-30) freezes the
// parameters on every rank. "Matches" is ‖a − b‖ / ‖b‖ ≤ 1e-6, as in threads.test.ts.

import { relativeError as relative } from '@recur/kernels/testing';
import {
  type ArrayData,
  type Callback,
  dense,
  earlyStopping,
  type FitOptions,
  gru,
  reduceLROnPlateau,
  sequential,
} from '@recur/nn';
import t from 'tap';
import { threads } from './threads.js';

const T = 5;
const N = 36;

function task(): { x: ArrayData; y: ArrayData } {
  const x = new Float32Array(N * T);
  const y = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < T; s++) x[n * T + s] = Math.sin(0.5 * (n + s));
    y[n] = Math.sin(0.5 * (n + T));
  }
  return { x: { data: x, shape: [N, T, 1] }, y: { data: y, shape: [N, 1] } };
}

const build = () => {
  const model = sequential([gru({ units: 6 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 5 });
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.02 } });
  return model;
};

/** Sets val_loss to values[epoch] and copies the parameters after each epoch. */
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

async function fitWith(values: number[], callbacks: Callback[], options: FitOptions = {}) {
  const { x, y } = task();
  const model = build();
  const script = scripted(values);
  const history = await model.fit(x, y, {
    batchSize: 8,
    epochs: values.length,
    validationSplit: 0.25,
    callbacks: [script.callback, ...callbacks],
    ...options,
  });
  return { model, history, params: script.params };
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

t.test(
  'early stopping on threads(2) stops at the right epoch and restores the best parameters',
  async (t) => {
    const values = [1, 0.6, 0.7, 0.8, 0.5];
    const stopper = earlyStopping({ patience: 2, restoreBestWeights: true });
    const { model, history, params } = await fitWith(values, [stopper], { strategy: threads(2) });
    t.same(history.epochs, [0, 1, 2, 3], 'two epochs after the best (epoch 2) it stops');
    t.equal(history.stopped?.by, 'earlyStopping');
    t.not(Buffer.compare(bytes(params[3]), bytes(params[1])), 0, 'the last epoch moved the parameters');
    t.equal(
      Buffer.compare(bytes(model.params), bytes(params[1])),
      0,
      'the parameters are bitwise those after epoch 2',
    );
    t.equal(model.params.buffer.constructor.name, 'SharedArrayBuffer', 'restored into the threads arena');
  },
);

t.test('a learning rate lowered by reduceLROnPlateau reaches every rank', async (t) => {
  const flat = [1, 1, 1, 1, 1];
  const plateau = () => reduceLROnPlateau({ patience: 1, factor: 0.25 });
  const one = await fitWith(flat, [plateau()]);
  const two = await fitWith(flat, [plateau()], { strategy: threads(2) });
  t.same(two.history.history.lr, one.history.history.lr);
  t.ok(two.history.history.lr[4] < two.history.history.lr[0], `lr fell: ${two.history.history.lr}`);
  const gap = relative(two.model.params, one.model.params);
  t.ok(gap <= 1e-6, `threads(2) matches one thread after the reductions: ${gap}`);
  const unreduced = await fitWith(flat, [], { strategy: threads(2) });
  t.ok(relative(unreduced.model.params, one.model.params) > 1e-4, 'while a run at the base lr does not');
});

t.test('setLr(1e-30) on threads(2) freezes the parameters on every rank', async (t) => {
  const freeze: Callback = {
    onEpochEnd: (epoch, _logs, run) => (epoch === 0 ? run.setLr(1e-30) : undefined),
  };
  const { params } = await fitWith([1, 1, 1], [freeze], { strategy: threads(2) });
  t.equal(Buffer.compare(bytes(params[1]), bytes(params[0])), 0);
  t.equal(Buffer.compare(bytes(params[2]), bytes(params[1])), 0);
});
