// Count baselines: the unigram and bigram perplexities match hand-computed values, a bigram model
// beats the unigram one on text with structure, and bad input is refused with a coded error.
import t from 'tap';
import { bigramPerplexity, CountModel, unigramPerplexity } from './baselines.js';

const ids = (...v: number[]) => Int32Array.from(v);

t.test('unigram and bigram perplexities by hand', async (t) => {
  const train = ids(0, 1, 0, 1, 0, 2); // c = [3, 2, 1], N = 6, V = 3, k = 1 → p = [4, 3, 2] / 9
  const test = ids(0, 2);
  t.ok(Math.abs(unigramPerplexity(train, test, 3) - Math.sqrt(81 / 8)) < 1e-12, 'exp(-(ln 4/9 + ln 2/9)/2)');
  // bigram: pairs (0,1)×2, (1,0)×2, (0,2)×1 → p(2|0) = 1/3; λ = 0.5: 0.5·1/3 + 0.5·2/9 = 5/18
  t.ok(Math.abs(bigramPerplexity(train, test, 3, { lambda: 0.5 }) - 18 / 5) < 1e-12, 'one scored token');
  t.ok(Math.abs(bigramPerplexity(train, test, 3, { lambda: 0 }) - 9 / 2) < 1e-12, 'λ = 0 is the unigram');
});

t.test('on a stream with structure the bigram baseline beats the unigram one', async (t) => {
  const stream = Int32Array.from({ length: 3000 }, (_, i) => (i * 7) % 11);
  const [train, test] = [stream.subarray(0, 2000), stream.subarray(2000)];
  const uni = unigramPerplexity(train, test, 11);
  const bi = bigramPerplexity(train, test, 11);
  t.ok(uni > 10 && uni < 11.1, `unigram ≈ V: ${uni.toFixed(3)}`);
  t.ok(bi < 1.6, `bigram: ${bi.toFixed(3)}`);
});

t.test(
  'a CountModel fed pair by pair (windows of a stream) scores as the whole-array functions',
  async (t) => {
    const stream = Int32Array.from({ length: 401 }, (_, i) => (i * i + 3 * i) % 13);
    const [train, test] = [stream.subarray(0, 301), stream.subarray(300)];
    const model = new CountModel(13);
    // windows of T = 10 ids and their targets, as a next-token data set reads them
    for (let s = 0; s + 10 < train.length; s += 10) {
      for (let t = 0; t < 10; t++) model.add(train[s + t], train[s + t + 1]);
    }
    let nll = 0;
    for (let i = 1; i < test.length; i++) nll -= Math.log(model.bigram(test[i - 1], test[i], 0.6));
    // the window targets are train[1..]: the same pairs as bigramPerplexity, unigram counts without train[0]
    const whole = bigramPerplexity(train.subarray(1), test, 13, { lambda: 0.6 });
    const pairs = Math.exp(nll / (test.length - 1));
    t.ok(Math.abs(pairs - whole) / whole < 0.01, `${pairs} ≈ ${whole}`);
    t.not(pairs, whole, 'the pair (train[0], train[1]) is counted only by the stream');
    t.ok(
      Math.abs(
        model.unigram(0) - (Array.from(train.subarray(1)).filter((w) => w === 0).length + 1) / (300 + 13),
      ) < 1e-15,
    );
    t.throws(() => new CountModel(0), { code: 'ERR_DATA_BAD_OPTION', message: /V must be/ });
  },
);

t.test('bad input is refused', async (t) => {
  const code = 'ERR_DATA_BAD_OPTION';
  t.throws(() => unigramPerplexity(ids(0, 3), ids(0), 3), { code, message: /train\[1\] is 3, outside/ });
  t.throws(() => bigramPerplexity(ids(0, 1), ids(0), 3), { code, message: /at least 2 ids/ });
  t.throws(() => bigramPerplexity(ids(0, 1), ids(0, 1), 3, { lambda: 1.5 }), { code, message: /lambda/ });
  t.throws(() => unigramPerplexity(ids(0, 1), ids(0, 1), 3, { k: 0 }), { code, message: /k must be/ });
});
