// `recur predict`: a trained run on new input, with the preprocessing its checkpoint carries.
//   forecast / seq2seq  a CSV with the config's columns → the forecast after every window
//   classify            one text per line (or JSON lines with the config's text field) → label
//   tag                 one sentence per line, tokens split at spaces → one tag per token
// Output: one JSON object per line.
import { readFile } from 'node:fs/promises';
import {
  readCsv,
  scalerFromJSON,
  textClassificationDataset,
  tokenizerFromJSON,
  vocabularyFromJSON,
} from '@recur/data';
import type { Model } from '@recur/nn';
import type { Config } from '../config/schema.js';
import { CliErrorCode, fail } from '../errors.js';
import { argmax } from '../tasks/classes.js';
import { type Split, sourceOf, splitOf } from '../tasks/common.js';
import {
  requireRows,
  type SeriesPreprocessing,
  seriesColumns,
  targetTransformOf,
  withDates,
} from '../tasks/series.js';
import { modelInputs, seriesWindows, toTargetUnits } from '../tasks/series-target.js';

type Line = Record<string, unknown>;

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
}

async function predictSeries(
  model: Model,
  config: Config,
  pre: SeriesPreprocessing,
  input: string,
): Promise<Line[]> {
  if (config.task !== 'forecast' && config.task !== 'seq2seq') return [];
  const read = await readCsv(
    input,
    config.data.source.kind === 'csv' ? { missing: config.data.source.missing } : {},
  );
  const table = withDates(requireRows(read, `--input ${input}`, CliErrorCode.BAD_FLAG), config.data.time);
  const columns = seriesColumns(table, config);
  const scaler = scalerFromJSON(pre.scaler);
  const transform = targetTransformOf(pre);
  const rows = columns[pre.target].length;
  if (rows < pre.window)
    fail(CliErrorCode.BAD_FLAG, `--input ${input}: ${rows} rows, a window needs ${pre.window}`);
  // horizon 0 past the data: pad every column so the last window (ending at the last row) is kept.
  const H = config.task === 'seq2seq' ? pre.horizon : 1;
  const pad = (v: Float64Array) => {
    const out = new Float64Array(rows + pre.horizon);
    out.set(v);
    return out;
  };
  const raw = Object.fromEntries(pre.inputs.map((n) => [n, columns[n]]));
  const inputs = Object.fromEntries(
    Object.entries(modelInputs(raw, scaler, pre.inputs, pre.target, transform)).map(([k, v]) => [k, pad(v)]),
  );
  const target = pad(columns[pre.target]);
  const dataset = seriesWindows(inputs, target, {
    names: pre.inputs,
    target: pre.target,
    task: config.task,
    window: pre.window,
    horizon: pre.horizon,
    range: { start: 0, end: target.length },
    transform,
    levelScale: (v) => scaler.transformColumn(pre.target, v),
  });
  const split = splitOf(dataset);
  const out = toTargetUnits(await predictSplit(model, split), transform, {
    target,
    firstLast: pre.window - 1,
    H,
    levelInverse: (v) => scaler.inverseColumn(pre.target, v),
  });
  const dates = columns.date;
  return Array.from({ length: split.size }, (_, i) => {
    const last = i + pre.window - 1;
    const forecast = Array.from(out.subarray(i * H, (i + 1) * H));
    return {
      window_end_row: last,
      ...(dates === undefined ? {} : { window_end_date: new Date(dates[last]).toISOString().slice(0, 10) }),
      [pre.target]: H === 1 ? forecast[0] : forecast,
    };
  });
}

async function predictClassify(model: Model, pre: Record<string, unknown>, input: string): Promise<Line[]> {
  const texts = (await lines(input)).map((l) => {
    if (!l.trimStart().startsWith('{')) return l;
    const record = JSON.parse(l) as Record<string, unknown>;
    return String(record.text ?? '');
  });
  const tokenizer = tokenizerFromJSON(pre.tokenizer);
  const vocabulary = vocabularyFromJSON(pre.vocabulary);
  const labels = vocabularyFromJSON(pre.labels);
  const dataset = textClassificationDataset(texts, new Array<number>(texts.length).fill(0), {
    tokenizer,
    vocabulary,
    maxLength: pre.maxLength as number,
    empty: 'skip',
  });
  const split = splitOf(dataset);
  const C = labels.size;
  const logits = await predictSplit(model, split);
  return Array.from({ length: split.size }, (_, i) => {
    const row = Array.from(logits.subarray(i * C, (i + 1) * C));
    const max = Math.max(...row);
    const exp = row.map((v) => Math.exp(v - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    return {
      text: texts[dataset.sourceIndex[i]].slice(0, 80),
      label: labels.tokens[argmax(row, 0, C)],
      probabilities: Object.fromEntries(labels.tokens.map((name, k) => [name, exp[k] / sum])),
    };
  });
}

async function predictTag(model: Model, pre: Record<string, unknown>, input: string): Promise<Line[]> {
  const vocabulary = vocabularyFromJSON(pre.vocabulary);
  const tags = vocabularyFromJSON(pre.tags);
  const T = pre.maxLength as number;
  const K = tags.size;
  const sentences = (await lines(input)).map((l) => l.trim().split(/\s+/));
  const words = (tokens: string[]) =>
    (pre.lowercase === true ? tokens.map((t) => t.toLowerCase()) : tokens).slice(0, T);
  // Each sentence is encoded when its batch is read: (T) ids, right-padded by the batch source.
  const split = splitOf({
    size: sentences.length,
    steps: T,
    features: 1,
    ids: true,
    targetPerSample: 0,
    targetKind: 'labels',
    hasLengths: true,
    read: (i, into, b) => {
      const encoded = vocabulary.encode(words(sentences[i]));
      (into.ids as Int32Array).set(encoded, b * T);
      return encoded.length;
    },
  });
  const logits = await predictSplit(model, split);
  return sentences.map((tokens, i) => ({
    tokens: tokens.slice(0, T),
    tags: Array.from(
      { length: words(tokens).length },
      (_, t) => tags.tokens[argmax(logits, (i * T + t) * K, K)],
    ),
  }));
}

/** The model's outputs for every sample of a split, read a batch at a time, in order. */
function predictSplit(model: Model, split: Split): Promise<Float32Array> {
  return model.predict(sourceOf(split, { shuffle: false, seed: 0 }), { batchSize: 256 });
}

export async function predictFile(
  model: Model,
  config: Config,
  preprocessing: unknown,
  input: string,
): Promise<Line[]> {
  const pre = preprocessing as Record<string, unknown>;
  switch (config.task) {
    case 'forecast':
    case 'seq2seq':
      return predictSeries(model, config, preprocessing as SeriesPreprocessing, input);
    case 'classify':
      return predictClassify(model, pre, input);
    case 'tag':
      return predictTag(model, pre, input);
    case 'language-model':
      return fail(
        CliErrorCode.UNSUPPORTED,
        'a language model predicts by sampling: use `recur generate <run> --prompt ...`',
      );
  }
}
