// Language models (next token): a corpus → characters or words → ids → windows of T ids, each
// target the same window shifted by one → embedding → stacked recurrent layers returning every
// step → dense over the vocabulary. The corpus is cut in order into train / validation / test.
// Inference is one-to-many: `generate` samples text from a prompt. Baselines, as perplexity on
// the same test tokens: the unigram model of the training tokens (add-one smoothed) and the
// interpolated bigram model (its λ picked on the validation split), both counted from the
// training windows in one streaming pass (data's CountModel).

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildVocabulary,
  CountModel,
  charTokenizer,
  nextTokenDataset,
  readTextFile,
  readTextFolder,
  type Tokenizer,
  tokenizerFromJSON,
  type Vocabulary,
  vocabularyFromJSON,
  wordTokenizer,
} from '@recur/data';
import { loadMobyDick, loadSotu } from '@recur/examples';
import { generate, type Model } from '@recur/nn';
import type { LanguageModelConfig } from '../config/schema.js';
import { CliErrorCode, fail } from '../errors.js';
import { barChart } from '../report/charts.js';
import { runFolderOf } from '../run/folder.js';
import { forEachChunk, labelsCompile, type PreparedTask, type Split, sourceOf, splitOf } from './common.js';
import {
  ensurePack,
  type LanguagePreprocessing,
  openLanguagePack,
  type PackedSplits,
} from './language-pack.js';
import { tokenModel } from './models.js';

async function loadCorpus(config: LanguageModelConfig): Promise<string> {
  const source = config.data.source;
  if (source.kind === 'dataset') {
    if (source.name === 'moby-dick') return loadMobyDick();
    const options = {
      ...(source.from === undefined ? {} : { from: source.from }),
      ...(source.to === undefined ? {} : { to: source.to }),
    };
    return loadSotu(options)
      .map((s) => s.text)
      .join('\n\n');
  }
  const info = await stat(source.path).catch(() => null);
  if (info === null) fail(CliErrorCode.NOT_FOUND, `data.source.path: ${source.path} does not exist`);
  if (!info.isDirectory()) return readTextFile(source.path);
  return (await readTextFolder(source.path, { extensions: ['.txt'] })).map((f) => f.text).join('\n\n');
}

/** Text from ids: characters joined as they are, words with spaces. */
export function detokenize(tokens: string[], kind: 'char' | 'word'): string {
  return tokens.join(kind === 'char' ? '' : ' ');
}

/** Generated samples from a prompt, one per seed. */
export function sampleTexts(
  model: Model,
  vocabulary: Vocabulary,
  tokenizer: Tokenizer,
  kind: 'char' | 'word',
  options: {
    prompt: string;
    steps: number;
    temperature: number;
    topK: number;
    samples: number;
    seed: number;
  },
): string[] {
  const prompt = vocabulary.encode(tokenizer.tokenize(options.prompt));
  const out: string[] = [];
  for (let i = 0; i < options.samples; i++) {
    const ids = generate(model, {
      prompt,
      steps: options.steps,
      temperature: options.temperature,
      topK: options.topK,
      seed: options.seed + i,
    });
    out.push(options.prompt + (kind === 'word' ? ' ' : '') + detokenize(vocabulary.decode(ids), kind));
  }
  return out;
}

export async function prepareLanguageModel(config: LanguageModelConfig): Promise<PreparedTask> {
  const d = config.data;
  if (d.source.kind === 'shards') {
    const packed = await openLanguagePack(d.source.path, 'data.source.path', d.limit);
    if (packed.preprocessing.sequenceLength !== d.sequenceLength) {
      fail(
        CliErrorCode.BAD_CONFIG,
        `data.sequenceLength ${d.sequenceLength} differs from the pack's ${packed.preprocessing.sequenceLength} (${d.source.path})`,
      );
    }
    return languageTask(config, packed, `a shard pack (${d.source.path})`);
  }
  const corpus = await splitCorpus(config);
  if (d.pack === undefined) return languageTask(config, corpus, `${corpus.tokens} tokens`);
  const folder = d.pack.path ?? join(runFolderOf(config), 'pack');
  ensurePack(folder, corpus, corpus.preprocessing, d.pack.samplesPerShard);
  return languageTask(
    config,
    await openLanguagePack(folder, 'data.pack.path', d.limit),
    `${corpus.tokens} tokens, packed in ${folder}`,
  );
}

/** The corpus tokenized, its vocabulary fitted on the training part, cut into three splits of windows made on the fly. */
async function splitCorpus(config: LanguageModelConfig): Promise<PackedSplits & { tokens: number }> {
  const d = config.data;
  const tokenizer = d.tokenizer === 'char' ? charTokenizer() : wordTokenizer();
  let tokens = tokenizer.tokenize(await loadCorpus(config));
  if (d.maxTokens !== undefined) tokens = tokens.slice(0, d.maxTokens);
  const T = d.sequenceLength;
  if (d.limit !== undefined) {
    const fraction = Math.min(d.split.train, d.split.validation, d.split.test);
    tokens = tokens.slice(0, Math.ceil(((d.limit + 1) * T) / fraction));
  }
  const a = Math.round(tokens.length * d.split.train);
  const b = Math.round(tokens.length * (d.split.train + d.split.validation));
  const parts = { train: tokens.slice(0, a), validation: tokens.slice(a, b), test: tokens.slice(b) };
  const vocabulary = buildVocabulary(parts.train, { maxSize: d.vocabularySize });
  const encoded = {
    train: vocabulary.encode(parts.train),
    validation: vocabulary.encode(parts.validation),
    test: vocabulary.encode(parts.test),
  };
  const split = (name: keyof typeof encoded): Split => {
    if (encoded[name].length < T + 1) {
      fail(
        CliErrorCode.BAD_CONFIG,
        `data.split.${name}: ${encoded[name].length} tokens make no sequence of data.sequenceLength ${T}`,
      );
    }
    return splitOf(nextTokenDataset(encoded[name], { sequenceLength: T }), d.limit);
  };
  const preprocessing: LanguagePreprocessing = {
    task: 'language-model',
    tokenizer: tokenizer.toJSON(),
    vocabulary: vocabulary.toJSON(),
    sequenceLength: T,
    kind: d.tokenizer,
  };
  return {
    train: split('train'),
    validation: split('validation'),
    test: split('test'),
    preprocessing,
    tokens: tokens.length,
  };
}

/** The task over three splits and their preprocessing (from the corpus or a pack). */
function languageTask(config: LanguageModelConfig, splits: PackedSplits, from: string): PreparedTask {
  const d = config.data;
  const { train, validation, test, preprocessing } = splits;
  const tokenizer = tokenizerFromJSON(preprocessing.tokenizer);
  const vocabulary = vocabularyFromJSON(preprocessing.vocabulary);
  const kind = preprocessing.kind;
  const T = preprocessing.sequenceLength;
  const V = vocabulary.size;
  // fitted on the first evaluation (predict needs none): the counts and the bigram's λ
  let fitted: { counts: CountModel; lambda: number } | null = null;
  const baselines = () => {
    if (fitted === null) {
      const counts = countTargets(train, V);
      fitted = { counts, lambda: bigramLambda(counts, validation) };
    }
    return fitted;
  };
  return {
    config,
    train,
    validation,
    test,
    preprocessing,
    describe: `${train.size} / ${validation.size} / ${test.size} sequences of ${T} ${kind === 'char' ? 'characters' : 'words'} (${from}), vocabulary ${V}`,
    buildModel: (): Model =>
      tokenModel(config, { vocabulary: V, steps: T, outputs: V, returnSequences: true }),
    compile: labelsCompile(config, 'perplexity'),
    monitor: 'val_loss',
    evaluate: async (model, s = test) => {
      const logs = await model.evaluate(sourceOf(s, { shuffle: false, seed: 0 }), { batchSize: 64 });
      const perplexity = Math.exp(logs.loss);
      const { counts, lambda } = baselines();
      const unigram = perplexityOf(s, (_u, w) => counts.unigram(w));
      const bigram = perplexityOf(s, (u, w) => counts.bigram(u, w, lambda));
      const g = config.generate;
      const samples = sampleTexts(model, vocabulary, tokenizer, kind, {
        ...g,
        steps: Math.min(g.steps, d.limit === undefined ? g.steps : 20),
        seed: config.training.seed,
      });
      return {
        score: {
          metric: 'perplexity',
          unit: '',
          value: perplexity,
          baseline: { name: 'unigram', value: unigram },
          others: [{ name: `bigram (λ ${lambda})`, value: bigram }],
          lowerIsBetter: true,
        },
        charts: [
          barChart(
            'perplexity',
            'Perplexity on the test split (lower is better)',
            [
              { who: 'model', perplexity },
              { who: 'unigram', perplexity: unigram },
              { who: 'bigram', perplexity: bigram },
            ],
            { category: 'who', value: 'perplexity' },
          ),
        ],
        samples,
      };
    },
  };
}

/** Calls `visit` with every (input id, target id) pair of a split (T a sample), a chunk at a time. */
function forEachPair(split: Split, visit: (u: number, w: number) => void): void {
  const T = split.dataset.targetPerSample;
  forEachChunk(split, (buffers, _first, count) => {
    const ids = buffers.ids as Int32Array; // (chunk, T)
    const target = buffers.target as Int32Array; // (chunk, T): ids shifted by one
    for (let k = 0; k < count * T; k++) visit(ids[k], target[k]);
  });
}

/** The unigram and bigram counts of a split's windows: every target, every (input, target) pair. */
function countTargets(split: Split, V: number): CountModel {
  const counts = new CountModel(V);
  forEachPair(split, (u, w) => counts.add(u, w));
  return counts;
}

/** exp(−mean ln p(w | u)) over a split's pairs. */
function perplexityOf(split: Split, p: (u: number, w: number) => number): number {
  let nll = 0;
  let n = 0;
  forEachPair(split, (u, w) => {
    nll -= Math.log(p(u, w));
    n++;
  });
  return Math.exp(nll / n);
}

/** The bigram's interpolation weights tried on the validation split. */
const BIGRAM_LAMBDAS = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** The bigram's interpolation weight with the lowest validation perplexity. */
function bigramLambda(counts: CountModel, validation: Split): number {
  const nll = new Float64Array(BIGRAM_LAMBDAS.length);
  forEachPair(validation, (u, w) => {
    for (let j = 0; j < nll.length; j++) nll[j] -= Math.log(counts.bigram(u, w, BIGRAM_LAMBDAS[j]));
  });
  return BIGRAM_LAMBDAS[nll.indexOf(Math.min(...nll))];
}
