// The README's recipes compose: real text becomes @recur/data datasets ready for fit.
import {
  allocateBatchBuffers,
  buildVocabulary,
  charTokenizer,
  nextTokenDataset,
  taggingDataset,
  textClassificationDataset,
  wordTokenizer,
} from '@recur/data';
import t from 'tap';
import { loadBrown, loadImdb, loadMobyDick } from './index.js';

t.test('Moby Dick as a character language-model dataset', async (t) => {
  const chars = charTokenizer().tokenize(loadMobyDick());
  const vocab = buildVocabulary(chars);
  const lm = nextTokenDataset(vocab.encode(chars), { sequenceLength: 100, stride: 100 });
  t.equal(lm.size, Math.floor((chars.length - 1) / 100), 'one sample per 100 characters');
  const buffers = allocateBatchBuffers(lm, 1);
  lm.read(0, buffers, 0);
  t.same(vocab.decode(Array.from((buffers.ids as Int32Array).subarray(0, 10))), chars.slice(0, 10));
});

t.test('IMDB reviews as a classification dataset and Brown as a tagging dataset', async (t) => {
  const reviews = loadImdb({ seed: 1 }).slice(0, 2000);
  const words = wordTokenizer();
  const vocabulary = buildVocabulary(
    reviews.flatMap((r) => words.tokenize(r.text)),
    { maxSize: 5000 },
  );
  const sentiment = textClassificationDataset(
    reviews.map((r) => r.text),
    reviews.map((r) => r.label),
    { tokenizer: words, vocabulary, maxLength: 200 },
  );
  t.equal(sentiment.size, 2000);
  t.equal(sentiment.steps, 200);
  const sentences = loadBrown({ files: 5 });
  const tokenVocab = buildVocabulary(sentences.flatMap((s) => s.tokens));
  const tagVocab = buildVocabulary(
    sentences.flatMap((s) => s.tags),
    { specials: [] },
  );
  const tagging = taggingDataset(sentences, { vocabulary: tokenVocab, tagSet: tagVocab, maxLength: 60 });
  t.equal(tagging.size, sentences.length);
});
