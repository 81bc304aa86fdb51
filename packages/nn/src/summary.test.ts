// summary() in the Keras manner: a row per layer with its output shape and parameter count, and
// the total. Counts follow PyTorch's layout (two bias vectors per recurrent layer), so an LSTM(64)
// on 32 features has 4·(64·32 + 64·64 + 2·64) = 25088 parameters and a GRU(64) 3·(…) = 18816:
// the GRU is cheaper by one gate. (Keras gives 24832 for the LSTM, with one bias, and 18816 for
// its default reset_after GRU.)
import t from 'tap';
import { bidirectional } from './layers/bidirectional.js';
import { dense } from './layers/dense.js';
import { embedding } from './layers/embedding.js';
import { gru, lstm, simpleRNN } from './layers/recurrent.js';
import { sequential } from './model.js';

/** The table row of a layer: name (kind), output shape, count, separated by spaces. */
const row = (name: string, shape: string, count: number) =>
  new RegExp(`^${name.replace(/[().]/g, '\\$&')}\\s+${shape.replace(/[()]/g, '\\$&')}\\s+${count}$`, 'm');

t.test('an LSTM(64) on [10, 32] has 25088 parameters', async (t) => {
  const text = sequential([lstm({ units: 64 })], { inputShape: [10, 32] }).summary();
  t.match(text, row('layers.0 (lstm)', '(None, 64)', 25088));
  t.match(text, /^Total params: 25088$/m);
});

t.test('a GRU(64) on [10, 32] has 18816 parameters', async (t) => {
  const text = sequential([gru({ units: 64 })], { inputShape: [10, 32] }).summary();
  t.match(text, row('layers.0 (gru)', '(None, 64)', 18816));
  t.match(text, /^Total params: 18816$/m);
});

t.test('a simpleRNN(64) on [10, 32] has 6272 parameters', async (t) => {
  const text = sequential([simpleRNN({ units: 64 })], { inputShape: [10, 32] }).summary();
  t.match(text, row('layers.0 (simpleRNN)', '(None, 64)', 6272));
});

t.test('a stacked model lists every layer with its output shape and count, and the total', async (t) => {
  const model = sequential(
    [
      embedding({ inputDim: 1000, outputDim: 32 }),
      bidirectional(lstm({ units: 64, returnSequences: true })),
      gru({ units: 64 }),
      dense({ units: 10 }),
    ],
    { inputShape: [10] },
  );
  const text = model.summary();
  t.match(text, /^Layer \(type\)\s+Output Shape\s+Param #$/m, 'header');
  t.match(text, row('layers.0 (embedding)', '(None, 10, 32)', 32000));
  t.match(text, row('layers.1 (bidirectional)', '(None, 10, 128)', 2 * 25088));
  t.match(text, row('layers.2 (gru)', '(None, 64)', 3 * (64 * 128 + 64 * 64 + 2 * 64)));
  t.match(text, row('layers.3 (dense)', '(None, 10)', 10 * 64 + 10));
  t.match(text, new RegExp(`^Total params: ${model.layout.size}$`, 'm'));
  t.equal(model.layout.size, 32000 + 50176 + 37248 + 650, 'the total is the sum of the rows');
});

t.test('a dense layer per step keeps the steps in its output shape', async (t) => {
  const text = sequential([lstm({ units: 8, returnSequences: true }), dense({ units: 3 })], {
    inputShape: [7, 2],
  }).summary();
  t.match(text, row('layers.1 (dense)', '(None, 7, 3)', 27));
});
