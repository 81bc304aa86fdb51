// The encoder–decoder learns a multi-step sine forecast with teacher forcing, and then decodes
// step by step from its own predictions (predict) nearly as well.
import t from 'tap';
import { type EncoderDecoderOptions, encoderDecoder } from './index.js';

const N = 128;
const T_IN = 8;
const T_OUT = 4;

function sineWindows() {
  const x = new Float32Array(N * T_IN);
  const y = new Float32Array(N * T_OUT);
  for (let n = 0; n < N; n++) {
    const phase = n * 0.29;
    for (let s = 0; s < T_IN; s++) x[n * T_IN + s] = Math.sin(phase + 0.5 * s);
    for (let s = 0; s < T_OUT; s++) y[n * T_OUT + s] = Math.sin(phase + 0.5 * (T_IN + s));
  }
  return { x: { data: x, shape: [N, T_IN, 1] }, y: { data: y, shape: [N, T_OUT, 1] } };
}

for (const cell of ['lstm', 'gru', 'simpleRNN'] as const) {
  t.test(`${cell} encoder–decoder: teacher-forced training, free-running prediction`, async (t) => {
    const { x, y } = sineWindows();
    const model = encoderDecoder({
      cell,
      units: 16,
      inputShape: [T_IN, 1],
      outputSteps: T_OUT,
      outputFeatures: 1,
      seed: 1,
    });
    model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
    const history = await model.fit(x, y, { epochs: 40, batchSize: 32 });
    const first = history.history.loss[0];
    const last = history.history.loss.at(-1) as number;
    t.ok(last < first / 50, `teacher-forced loss fell from ${first} to ${last}`);
    const predicted = await model.predict(x);
    let squared = 0;
    for (let i = 0; i < predicted.length; i++) squared += (predicted[i] - y.data[i]) ** 2;
    const mse = squared / predicted.length;
    t.ok(mse < 0.01, `free-running mean squared error ${mse}`);
  });
}

t.test('encoderDecoder options are checked', async (t) => {
  const good: EncoderDecoderOptions = {
    cell: 'lstm',
    units: 4,
    inputShape: [3, 1],
    outputSteps: 2,
    outputFeatures: 1,
  };
  t.throws(() => encoderDecoder({ ...good, cell: 'transformer' as 'lstm' }), {
    code: 'ERR_NN_BAD_OPTION',
    message: /cell must be one of 'simpleRNN', 'lstm', 'gru'/,
  });
  t.throws(() => encoderDecoder({ ...good, outputSteps: 0 }), {
    code: 'ERR_NN_BAD_OPTION',
    message: /outputSteps/,
  });
});
