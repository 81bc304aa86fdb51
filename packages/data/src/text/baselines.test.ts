// Count baselines: the unigram and bigram perplexities match hand-computed values, a bigram model
// beats the unigram one on text with structure, and bad input is refused with a coded error.
import t from 'tap';
import { bigramPerplexity, unigramPerplexity } from './baselines.js';

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

t.test('bad input is refused', async (t) => {
  const code = 'ERR_DATA_BAD_OPTION';
  t.throws(() => unigramPerplexity(ids(0, 3), ids(0), 3), { code, message: /train\[1\] is 3, outside/ });
  t.throws(() => bigramPerplexity(ids(0, 1), ids(0), 3), { code, message: /at least 2 ids/ });
  t.throws(() => bigramPerplexity(ids(0, 1), ids(0, 1), 3, { lambda: 1.5 }), { code, message: /lambda/ });
  t.throws(() => unigramPerplexity(ids(0, 1), ids(0, 1), 3, { k: 0 }), { code, message: /k must be/ });
});
