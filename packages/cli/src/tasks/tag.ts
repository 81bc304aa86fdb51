// Part-of-speech tagging (many-to-many): sentences → token ids (right-padded, with lengths) →
// embedding → a recurrent stack (bidirectional LSTM by default) returning every step → dense
// over the tags. Baseline: the most frequent tag of each word in the training split (unknown
// words get the most frequent tag overall), scored on the same tokens.
import { readFile } from 'node:fs/promises';
import { buildLabelSet, buildVocabulary, shuffled, type TaggedSentence, taggingDataset } from '@recur/data';
import { loadBrown } from '@recur/examples';
import type { Model } from '@recur/nn';
import type { TagConfig } from '../config/schema.js';
import { CliErrorCode, fail } from '../errors.js';
import { barChart, confusionChart } from '../report/charts.js';
import { argmax, Confusion, mostFrequent } from './classes.js';
import {
  forEachChunk,
  labelsCompile,
  type PreparedTask,
  recordRanges,
  type Split,
  sourceOf,
  splitOf,
} from './common.js';
import { tokenModel } from './models.js';

/** One sentence a line, tokens `word/tag` split at the last `/`. */
export function parseTaggedText(text: string, path: string): TaggedSentence[] {
  const out: TaggedSentence[] = [];
  text.split('\n').forEach((line, n) => {
    const pieces = line
      .trim()
      .split(/\s+/)
      .filter((p) => p.length > 0);
    if (pieces.length === 0) return;
    const tokens: string[] = [];
    const tags: string[] = [];
    for (const piece of pieces) {
      const slash = piece.lastIndexOf('/');
      if (slash <= 0 || slash === piece.length - 1) {
        fail(CliErrorCode.BAD_CONFIG, `${path}:${n + 1}: '${piece}' is not word/tag`);
      }
      tokens.push(piece.slice(0, slash));
      tags.push(piece.slice(slash + 1));
    }
    out.push({ tokens, tags });
  });
  return out;
}

async function loadSentences(config: TagConfig): Promise<TaggedSentence[]> {
  const source = config.data.source;
  const sentences =
    source.kind === 'dataset'
      ? loadBrown({ tagset: source.tagset })
      : parseTaggedText(await readFile(source.path, 'utf8'), source.path);
  const lower = config.data.lowercase;
  return shuffled(
    sentences.map((s) => ({ tokens: lower ? s.tokens.map((t) => t.toLowerCase()) : s.tokens, tags: s.tags })),
    config.training.seed,
  );
}

export async function prepareTag(config: TagConfig): Promise<PreparedTask> {
  const d = config.data;
  let sentences = await loadSentences(config);
  if (d.limit !== undefined) {
    const fraction = Math.min(d.split.train, d.split.validation, d.split.test);
    sentences = sentences.slice(0, Math.ceil(d.limit / fraction));
  }
  const ranges = recordRanges(sentences.length, d.split);
  const part = (name: keyof typeof ranges) => sentences.slice(ranges[name][0], ranges[name][1]);
  const vocabulary = buildVocabulary(
    part('train').flatMap((s) => s.tokens),
    { maxSize: d.vocabularySize },
  );
  const tagSet = buildLabelSet(sentences.flatMap((s) => s.tags));
  const K = tagSet.size;
  const split = (name: keyof typeof ranges): Split => {
    const ss = part(name);
    if (ss.length === 0) fail(CliErrorCode.BAD_CONFIG, `data.split.${name}: no sentences fall in this split`);
    return splitOf(
      taggingDataset(ss, { vocabulary, tagSet, maxLength: d.maxLength, empty: 'skip' }),
      d.limit,
    );
  };
  const train = split('train');
  const validation = split('validation');
  const test = split('test');
  // The baseline's table: word id → tag counts, over the training tokens the model sees.
  const counts = new Map<number, Int32Array>();
  const overall = new Int32Array(K);
  forEachToken(train, d.maxLength, (word, tag) => {
    let c = counts.get(word);
    if (c === undefined) {
      c = new Int32Array(K);
      counts.set(word, c);
    }
    c[tag]++;
    overall[tag]++;
  });
  const fallback = mostFrequent(overall);
  const baselineTag = (word: number) => {
    const c = word === vocabulary.unkId ? undefined : counts.get(word);
    return c === undefined ? fallback : mostFrequent(c);
  };
  const tokens = (s: Split) => {
    let n = 0;
    forEachToken(s, d.maxLength, () => n++);
    return n;
  };
  return {
    config,
    train,
    validation,
    test,
    preprocessing: {
      task: 'tag',
      vocabulary: vocabulary.toJSON(),
      tags: tagSet.toJSON(),
      maxLength: d.maxLength,
      lowercase: d.lowercase,
    },
    describe: `${train.size} / ${validation.size} / ${test.size} sentences (${tokens(train)} / ${tokens(validation)} / ${tokens(test)} tokens), ${vocabulary.size} word vocabulary, ${K} tags`,
    buildModel: (): Model =>
      tokenModel(config, {
        vocabulary: vocabulary.size,
        steps: d.maxLength,
        outputs: K,
        returnSequences: true,
      }),
    compile: labelsCompile(config, 'accuracy'),
    monitor: 'val_loss',
    evaluate: async (model, s = test) => {
      const T = d.maxLength;
      const logits = await model.predict(sourceOf(s, { shuffle: false, seed: 0 }), { batchSize: 256 }); // (N, T, K)
      const confusion = new Confusion(K);
      let baseline = 0;
      forEachToken(s, T, (word, tag, at) => {
        confusion.add(tag, argmax(logits, at * K, K));
        if (baselineTag(word) === tag) baseline++;
      });
      const baselineAccuracy = (100 * baseline) / Math.max(1, confusion.total);
      return {
        score: {
          metric: 'token accuracy',
          unit: '%',
          value: 100 * confusion.accuracy,
          baseline: { name: 'most frequent tag per word', value: baselineAccuracy },
          lowerIsBetter: false,
        },
        charts: [
          barChart(
            'accuracy',
            'Token accuracy on the test split (%)',
            [
              { who: 'model', accuracy: 100 * confusion.accuracy },
              { who: 'most frequent tag per word', accuracy: baselineAccuracy },
            ],
            { category: 'who', value: 'accuracy' },
          ),
          confusionChart(tagSet.tokens, confusion.counts),
        ],
      };
    },
  };
}

/** Calls `visit` with every real token of a split (word id, tag, position i·T + t), a chunk at a time. */
function forEachToken(split: Split, T: number, visit: (word: number, tag: number, at: number) => void): void {
  forEachChunk(split, (buffers, first, count) => {
    const ids = buffers.ids as Int32Array; // (chunk, T)
    const tags = buffers.target as Int32Array; // (chunk, T)
    for (let k = 0; k < count; k++) {
      for (let t = 0; t < buffers.lengths[k]; t++)
        visit(ids[k * T + t], tags[k * T + t], (first + k) * T + t);
    }
  });
}
