// One-to-many: a character model trained on a repeating phrase continues a prompt with it;
// sampling is reproducible from its seed; bad options give coded errors.
import t from 'tap';
import { dense, embedding, generate, lstm, sequential } from './index.js';

const TEXT = 'hello world. ';
const VOCAB = [...new Set(TEXT)].sort();
const id = (c: string) => VOCAB.indexOf(c);
const T = 12;

async function trainedModel() {
  const stream = TEXT.repeat(20);
  const windows = stream.length - T - 1;
  const x = new Int32Array(windows * T);
  const y = new Int32Array(windows * T);
  for (let w = 0; w < windows; w++) {
    for (let s = 0; s < T; s++) {
      x[w * T + s] = id(stream[w + s]);
      y[w * T + s] = id(stream[w + s + 1]);
    }
  }
  const model = sequential(
    [
      embedding({ inputDim: VOCAB.length, outputDim: 8 }),
      lstm({ units: 32, returnSequences: true }),
      dense({ units: VOCAB.length }),
    ],
    { inputShape: [T], seed: 2 },
  );
  model.compile({
    loss: 'sparseCategoricalCrossentropy',
    optimizer: { kind: 'adam', lr: 0.02 },
    metrics: ['accuracy'],
  });
  await model.fit(
    { data: x, shape: [windows, T] },
    { data: y, shape: [windows, T] },
    { epochs: 25, batchSize: 32 },
  );
  return model;
}

t.test('a character LSTM continues its phrase, greedily and by sampling', async (t) => {
  const model = await trainedModel();
  const prompt = [...'hello w'].map(id);
  const greedy = generate(model, { prompt, steps: 18, greedy: true });
  const text = greedy.map((i) => VOCAB[i]).join('');
  t.equal(text, 'orld. hello world.', `greedy continuation: '${text}'`);
  const a = generate(model, { prompt, steps: 30, temperature: 0.8, topK: 3, seed: 7 });
  const b = generate(model, { prompt, steps: 30, temperature: 0.8, topK: 3, seed: 7 });
  t.same(a, b, 'the same seed gives the same sample');
  const sharp = generate(model, { prompt, steps: 18, temperature: 0.05, seed: 3 });
  t.same(sharp, greedy, 'a very low temperature samples the greedy path');
});

t.test('generate checks its options', async (t) => {
  const model = sequential(
    [
      embedding({ inputDim: 4, outputDim: 2 }),
      lstm({ units: 3, returnSequences: true }),
      dense({ units: 4 }),
    ],
    {
      inputShape: [5],
    },
  );
  t.throws(() => generate(model, { prompt: [], steps: 3 }), {
    code: 'ERR_NN_BAD_OPTION',
    message: /prompt must hold at least one/,
  });
  t.throws(() => generate(model, { prompt: [4], steps: 3 }), {
    code: 'ERR_NN_BAD_OPTION',
    message: /prompt id 4 is not in \[0, 4\)/,
  });
  t.throws(() => generate(model, { prompt: [1], steps: 3, temperature: 0 }), {
    code: 'ERR_NN_BAD_OPTION',
    message: /temperature/,
  });
  const notLm = sequential([lstm({ units: 3 }), dense({ units: 2 })], { inputShape: [4, 1] });
  t.throws(() => generate(notLm, { prompt: [0], steps: 1 }), { code: 'ERR_NN_BAD_MODEL' });
});
