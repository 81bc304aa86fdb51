// Text classification (many-to-one): texts → token ids (right-padded, with lengths) → embedding
// → a recurrent stack (bidirectional GRU by default) → its last output → dense over the classes.
// The vocabulary is built from the training texts only. Baseline: the majority class of the
// training split.
import {
  buildLabelSet,
  buildVocabulary,
  charTokenizer,
  shuffled,
  streamJsonLines,
  textClassificationDataset,
  wordTokenizer,
} from '@recur/data';
import { loadImdb } from '@recur/examples';
import type { Model } from '@recur/nn';
import type { ClassifyConfig } from '../config/schema.js';
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

interface Record_ {
  text: string;
  label: string;
}

async function loadRecords(config: ClassifyConfig): Promise<Record_[]> {
  const source = config.data.source;
  if (source.kind === 'dataset') {
    const names = ['negative', 'positive'];
    return loadImdb({ seed: config.training.seed }).map((r) => ({ text: r.text, label: names[r.label] }));
  }
  const records: Record_[] = [];
  let line = 0;
  for await (const record of streamJsonLines(source.path)) {
    line++;
    const text = (record as Record<string, unknown>)[source.textField];
    const label = (record as Record<string, unknown>)[source.labelField];
    if (typeof text !== 'string' || (typeof label !== 'string' && typeof label !== 'number')) {
      fail(
        CliErrorCode.BAD_CONFIG,
        `${source.path}:${line}: needs a string '${source.textField}' and a string or number '${source.labelField}' (data.source.textField / labelField)`,
      );
    }
    records.push({ text, label: String(label) });
  }
  return shuffled(records, config.training.seed);
}

export async function prepareClassify(config: ClassifyConfig): Promise<PreparedTask> {
  const d = config.data;
  let records = await loadRecords(config);
  if (d.limit !== undefined) {
    const fraction = Math.min(d.split.train, d.split.validation, d.split.test);
    records = records.slice(0, Math.ceil(d.limit / fraction));
  }
  const ranges = recordRanges(records.length, d.split);
  const tokenizer = d.tokenizer === 'char' ? charTokenizer() : wordTokenizer();
  const part = (name: keyof typeof ranges) => records.slice(ranges[name][0], ranges[name][1]);
  const vocabulary = buildVocabulary(
    part('train').flatMap((r) => tokenizer.tokenize(r.text)),
    { maxSize: d.vocabularySize },
  );
  const labelSet = buildLabelSet(records.map((r) => r.label));
  const split = (name: keyof typeof ranges): Split => {
    const rs = part(name);
    if (rs.length === 0) fail(CliErrorCode.BAD_CONFIG, `data.split.${name}: no texts fall in this split`);
    const dataset = textClassificationDataset(
      rs.map((r) => r.text),
      rs.map((r) => r.label),
      { tokenizer, vocabulary, labelSet, maxLength: d.maxLength, empty: 'skip' },
    );
    return splitOf(dataset, d.limit);
  };
  const train = split('train');
  const validation = split('validation');
  const test = split('test');
  const classes = labelSet.size;
  const preprocessing = {
    task: 'classify',
    tokenizer: tokenizer.toJSON(),
    vocabulary: vocabulary.toJSON(),
    labels: labelSet.toJSON(),
    maxLength: d.maxLength,
  };
  const trainCounts = new Array<number>(classes).fill(0);
  forEachLabel(train, (label) => trainCounts[label]++);
  const majority = mostFrequent(trainCounts);
  return {
    config,
    train,
    validation,
    test,
    preprocessing,
    describe: `${train.size} / ${validation.size} / ${test.size} texts of up to ${d.maxLength} tokens, ${vocabulary.size} token vocabulary, ${classes} classes`,
    buildModel: (): Model =>
      tokenModel(config, {
        vocabulary: vocabulary.size,
        steps: d.maxLength,
        outputs: classes,
        returnSequences: false,
      }),
    compile: labelsCompile(config, 'accuracy'),
    monitor: 'val_loss',
    evaluate: async (model, s = test) => {
      const logits = await model.predict(sourceOf(s, { shuffle: false, seed: 0 }), { batchSize: 256 }); // (N, C)
      const confusion = new Confusion(classes);
      let baseline = 0;
      forEachLabel(s, (label, i) => {
        confusion.add(label, argmax(logits, i * classes, classes));
        if (label === majority) baseline++;
      });
      const names = labelSet.tokens;
      return {
        score: {
          metric: 'accuracy',
          unit: '%',
          value: 100 * confusion.accuracy,
          baseline: { name: `majority class (${names[majority]})`, value: (100 * baseline) / s.size },
          lowerIsBetter: false,
        },
        charts: [
          barChart(
            'accuracy',
            'Accuracy on the test split (%)',
            [
              { who: 'model', accuracy: 100 * confusion.accuracy },
              { who: 'majority class', accuracy: (100 * baseline) / s.size },
            ],
            { category: 'who', value: 'accuracy' },
          ),
          confusionChart(names, confusion.counts),
        ],
      };
    },
  };
}

/** Calls `visit` with every sample's label of a split, read a chunk at a time. */
function forEachLabel(split: Split, visit: (label: number, i: number) => void): void {
  forEachChunk(split, (buffers, first, count) => {
    const target = buffers.target as Int32Array; // (chunk) labels
    for (let k = 0; k < count; k++) visit(target[k], first + k);
  });
}
