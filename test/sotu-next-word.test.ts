// The SOTU next-word example on a small slice of the corpus, on the data road: word ids of a
// capped vocabulary, windows made on the fly, packed as shard sets, trained with threads(2) from
// the streaming reader; the count baselines score the same target words. The full measurement is
// scripts/sotu-next-word.mjs (documented, not a test).
import { batchSource, bigramPerplexity, openPack, unigramPerplexity, writePack } from '@recur/data';
import { scoredIds, sotuNextWord } from '@recur/examples';
import { dense, embedding, evaluateSource, generate, lstm, sequential } from '@recur/nn';
import { threads } from '@recur/parallel';
import t from 'tap';

const T = 12;

t.test('a slice of SOTU: vocabulary, windows, baselines, a pack and two epochs of threads(2)', async (t) => {
  const task = sotuNextWord({ maxTokens: 6000, vocabularySize: 300, sequenceLength: T, from: 1990 });
  const V = task.vocabulary.size;
  t.equal(V, 300, 'the vocabulary is capped (specials included)');
  t.same(task.vocabulary.tokens.slice(0, 2), ['<pad>', '<unk>']);
  t.equal(task.ids.train.length + task.ids.validation.length + task.ids.test.length, 6000);
  t.equal(
    task.windows.train.size,
    Math.floor((task.ids.train.length - T - 1) / T) + 1,
    'windows of T, no overlap',
  );
  const test = scoredIds(task.windows.test, task.ids.test);
  t.equal(test.length, task.windows.test.size * T + 1, 'the baselines score the windows’ targets');
  const unigram = unigramPerplexity(task.ids.train, test.subarray(1), V);
  const bigram = bigramPerplexity(task.ids.train, test, V);
  t.ok(bigram < unigram, `bigram ${bigram.toFixed(1)} < unigram ${unigram.toFixed(1)}`);

  const dir = t.testdir();
  writePack(dir, task.windows, task.preprocessing, { samplesPerShard: 100 });
  const pack = await openPack(dir);
  t.same(
    pack.preprocessing,
    JSON.parse(JSON.stringify(task.preprocessing)),
    'preprocessing travels with the pack',
  );
  const model = sequential(
    [
      embedding({ inputDim: V, outputDim: 16, inputShape: [T] }),
      lstm({ units: 32, returnSequences: true }),
      dense({ units: V }),
    ],
    { seed: 1 },
  );
  model.compile({ loss: 'sparseCategoricalCrossentropy', optimizer: { kind: 'adam', lr: 0.01 } });
  const before = evaluateSource(
    model,
    batchSource(pack.test as NonNullable<typeof pack.test>, { seed: 1, shuffle: false }),
    64,
  ).loss;
  const strategy = threads(2);
  await model.fit(batchSource(pack.train, { seed: 1 }), { epochs: 2, batchSize: 32, strategy });
  await strategy.close?.();
  const after = evaluateSource(
    model,
    batchSource(pack.test as NonNullable<typeof pack.test>, { seed: 1, shuffle: false }),
    64,
  ).loss;
  t.ok(
    after < before,
    `test perplexity falls: ${Math.exp(before).toFixed(0)} → ${Math.exp(after).toFixed(0)}`,
  );
  const words = generate(model, { prompt: Array.from(task.vocabulary.encode(['we'])), steps: 8, seed: 1 });
  t.equal(task.vocabulary.decode(words).length, 8, 'it generates words');
  pack.close();
});
