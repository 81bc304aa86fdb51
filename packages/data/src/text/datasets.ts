// Text data sets as SequenceDatasets of token ids: next-token prediction over one id stream,
// text classification (text → label) and tagging (tokens → one tag per token). Each read() copies
// one sample into row b of batch-major buffers, right-padded with id 0 (`<pad>`), and returns its
// length. Not here: tokenising and ids (tokenizers.ts, vocabulary.ts), sampling and batch
// assembly (the sampler and batcher), files (the sources).
//
// Samples of varying length are held ragged (all ids in one Int32Array plus offsets), not padded,
// so memory follows the number of tokens, not samples × maxLength.
//
// read() writes the ids row and, when the buffers have one, the target row (prediction passes
// none), and returns the length; lengths and sampleIndex are the batcher's to write, as for
// arrayDataset. `features` is 1: one id per step.
//
// Empty samples: @recur/nn needs every length ≥ 1, so a text or sentence with no tokens is an
// error (ERR_DATA_BAD_OPTION naming its index) unless `empty: 'skip'` drops it; `sourceIndex`
// maps each kept sample back to its input index.

import type { BatchBuffers, SequenceDataset } from '../dataset.js';
import { DataError, DataErrorCode, describeGot, fail } from '../errors.js';
import type { Tokenizer } from './tokenizers.js';
import { buildLabelSet, type Vocabulary } from './vocabulary.js';

export type EmptyPolicy = 'error' | 'skip';

export interface NextTokenOptions {
  /** T, steps per sample */
  sequenceLength: number;
  /** ids between the starts of consecutive samples; default sequenceLength (no overlap) */
  stride?: number;
}

export interface TextClassificationOptions {
  tokenizer: Tokenizer;
  vocabulary: Vocabulary;
  /** string labels → ids (strictly); default buildLabelSet(labels) for string labels */
  labelSet?: Vocabulary;
  /** T, steps per sample; longer texts are truncated; default the longest text */
  maxLength?: number;
  /**
   * which side of a long text is cut: 'end' keeps its first T tokens, 'start' its last T; default
   * 'end'. Porting note: Keras' pad_sequences calls these truncating 'post' and 'pre', and cuts
   * 'pre' by default; we keep a review's opening by default.
   */
  truncate?: 'end' | 'start';
  /** default 'error' (see the header) */
  empty?: EmptyPolicy;
}

export interface TaggedSentence {
  tokens: string[];
  tags: string[];
}

export interface TaggingOptions {
  vocabulary: Vocabulary;
  /** tags → ids, encoded strictly; e.g. buildLabelSet(all tags) */
  tagSet: Vocabulary;
  /** T, steps per sample; longer sentences keep their first T tokens; default the longest sentence */
  maxLength?: number;
  /** default 'error' (see the header) */
  empty?: EmptyPolicy;
}

/**
 * Next-token prediction over one id stream: sample s is x = ids[s·stride, s·stride + T), target =
 * the same window shifted by one. Ids after the last whole window are not used. `ids` is held,
 * not copied: do not change it afterwards.
 */
export class NextTokenDataset implements SequenceDataset {
  readonly size: number;
  readonly steps: number;
  readonly features = 1;
  readonly ids = true;
  readonly targetPerSample: number;
  readonly targetKind = 'labels';
  readonly hasLengths = false;
  readonly stride: number;
  private readonly corpus: Int32Array; // (n) token ids

  constructor(ids: Int32Array, options: NextTokenOptions) {
    if (!(ids instanceof Int32Array)) fail(DataErrorCode.BAD_OPTION, 'ids must be an Int32Array');
    if (typeof options !== 'object' || options === null) {
      fail(DataErrorCode.BAD_OPTION, 'options are required');
    }
    this.steps = positiveInteger(options.sequenceLength, 'sequenceLength');
    this.stride = options.stride === undefined ? this.steps : positiveInteger(options.stride, 'stride');
    if (ids.length < this.steps + 1) {
      fail(
        DataErrorCode.BAD_OPTION,
        `${ids.length} ids make no sample of sequenceLength ${this.steps} (needs T + 1)`,
      );
    }
    checkIds(ids);
    this.corpus = ids;
    this.size = Math.floor((ids.length - this.steps - 1) / this.stride) + 1;
    this.targetPerSample = this.steps;
  }

  read(i: number, into: BatchBuffers, b: number): number {
    const { ids, target } = buffers(this, i, into, b);
    const T = this.steps;
    const start = i * this.stride;
    ids.set(this.corpus.subarray(start, start + T), b * T); // row b of (B, T)
    target?.set(this.corpus.subarray(start + 1, start + T + 1), b * T); // row b of (B, T)
    return T;
  }
}

/** Texts → token ids (right-padded, lengths) with one label id each. */
export class TextClassificationDataset implements SequenceDataset {
  readonly size: number;
  readonly steps: number;
  readonly features = 1;
  readonly ids = true;
  readonly targetPerSample = 1;
  readonly targetKind = 'labels';
  readonly hasLengths = true;
  /** the label set used (null for numeric labels given without one) */
  readonly labelSet: Vocabulary | null;
  /** number of classes: the label set's size, or the largest numeric label + 1 */
  readonly classes: number;
  /** how many texts were longer than T and cut */
  readonly truncated: number;
  /** (N) input index of each sample (differs from i only when empty texts were skipped) */
  readonly sourceIndex: Int32Array;
  private readonly rows: RaggedRows;
  private readonly labels: Int32Array; // (N)

  constructor(texts: string[], labels: string[] | number[], options: TextClassificationOptions) {
    checkTextOptions(texts, labels, options);
    const labeled = labelIds(labels, options.labelSet);
    this.labelSet = labeled.labelSet;
    this.classes = labeled.classes;
    const encoded = texts.map((text, n) => encodeText(text, n, options));
    const kept = keptIndices(encoded, options.empty ?? 'error', 'text');
    this.steps = options.maxLength ?? longest(encoded);
    const cut = options.truncate === 'start' ? cutStart : cutEnd;
    this.truncated = kept.filter((n) => encoded[n].length > this.steps).length;
    this.rows = packRows(kept.map((n) => cut(encoded[n], this.steps)));
    this.labels = Int32Array.from(kept, (n) => labeled.ids[n]);
    this.sourceIndex = Int32Array.from(kept);
    this.size = kept.length;
  }

  read(i: number, into: BatchBuffers, b: number): number {
    const { ids, target } = buffers(this, i, into, b);
    const length = this.rows.copyPadded(i, ids, b * this.steps, this.steps);
    if (target !== null) target[b] = this.labels[i];
    return length;
  }
}

/**
 * Sentences → token ids and one tag id per token, right-padded. Padded steps get tag 0, which may
 * be a real tag (a label set has no `<pad>`): the lengths are the padding mask that hides them.
 */
export class TaggingDataset implements SequenceDataset {
  readonly size: number;
  readonly steps: number;
  readonly features = 1;
  readonly ids = true;
  readonly targetPerSample: number;
  readonly targetKind = 'labels';
  readonly hasLengths = true;
  readonly tagSet: Vocabulary;
  /** how many sentences were longer than T and cut */
  readonly truncated: number;
  /** (N) input index of each sample (differs from i only when empty sentences were skipped) */
  readonly sourceIndex: Int32Array;
  private readonly words: RaggedRows;
  private readonly tags: RaggedRows; // same offsets as words

  constructor(sentences: TaggedSentence[], options: TaggingOptions) {
    checkTaggingOptions(sentences, options);
    this.tagSet = options.tagSet;
    const words = sentences.map((s, n) => encodeSentence(s, n, options));
    const kept = keptIndices(words, options.empty ?? 'error', 'sentence');
    this.steps = options.maxLength ?? longest(words);
    this.targetPerSample = this.steps;
    this.truncated = kept.filter((n) => words[n].length > this.steps).length;
    this.words = packRows(kept.map((n) => cutEnd(words[n], this.steps)));
    this.tags = packRows(kept.map((n) => cutEnd(encodeTags(sentences[n], n, options.tagSet), this.steps)));
    this.sourceIndex = Int32Array.from(kept);
    this.size = kept.length;
  }

  read(i: number, into: BatchBuffers, b: number): number {
    const { ids, target } = buffers(this, i, into, b);
    const length = this.words.copyPadded(i, ids, b * this.steps, this.steps);
    if (target !== null) this.tags.copyPadded(i, target, b * this.steps, this.steps);
    return length;
  }
}

/** A next-token data set (see NextTokenDataset). */
export function nextTokenDataset(ids: Int32Array, options: NextTokenOptions): NextTokenDataset {
  return new NextTokenDataset(ids, options);
}

/**
 * A text-classification data set. String labels are encoded strictly with `labelSet` (an unknown
 * one → ERR_DATA_UNKNOWN_LABEL naming it and its index); numeric labels are taken as ids.
 */
export function textClassificationDataset(
  texts: string[],
  labels: string[] | number[],
  options: TextClassificationOptions,
): TextClassificationDataset {
  return new TextClassificationDataset(texts, labels, options);
}

/** A tagging data set; an unknown tag → ERR_DATA_UNKNOWN_LABEL naming it, its sentence and position. */
export function taggingDataset(sentences: TaggedSentence[], options: TaggingOptions): TaggingDataset {
  return new TaggingDataset(sentences, options);
}

/** Rows of ids held back to back: row r is values[offsets[r], offsets[r + 1]). */
class RaggedRows {
  constructor(
    private readonly values: Int32Array, // (total ids)
    private readonly offsets: Int32Array, // (rows + 1)
  ) {}

  /** Copies row r to out[at, at + T), zero-filling past its end; returns its length. */
  copyPadded(r: number, out: Int32Array | Float32Array, at: number, T: number): number {
    const from = this.offsets[r];
    const length = this.offsets[r + 1] - from;
    out.set(this.values.subarray(from, from + length), at);
    out.fill(0, at + length, at + T);
    return length;
  }
}

function packRows(rows: Int32Array[]): RaggedRows {
  const offsets = new Int32Array(rows.length + 1); // (rows + 1)
  for (let r = 0; r < rows.length; r++) offsets[r + 1] = offsets[r] + rows[r].length;
  const values = new Int32Array(offsets[rows.length]); // (total ids)
  for (let r = 0; r < rows.length; r++) values.set(rows[r], offsets[r]);
  return new RaggedRows(values, offsets);
}

/** The buffers read() writes, checked: ids must be there (target may not), i and b in range. */
function buffers(
  dataset: SequenceDataset,
  i: number,
  into: BatchBuffers,
  b: number,
): { ids: Int32Array; target: Int32Array | Float32Array | null } {
  if (!Number.isInteger(i) || i < 0 || i >= dataset.size) {
    fail(DataErrorCode.BAD_OPTION, `sample ${i} is outside the data set [0, ${dataset.size})`);
  }
  const { ids, target } = into;
  if (ids === null) fail(DataErrorCode.BAD_OPTION, 'batch buffers need ids for a token data set');
  const rows = target === null ? Infinity : target.length / dataset.targetPerSample;
  if (!Number.isInteger(b) || b < 0 || (b + 1) * dataset.steps > ids.length || b + 1 > rows) {
    fail(DataErrorCode.BAD_OPTION, `row ${b} does not fit the batch buffers (T = ${dataset.steps})`);
  }
  return { ids, target };
}

function encodeText(text: string, n: number, options: TextClassificationOptions): Int32Array {
  if (typeof text !== 'string') fail(DataErrorCode.BAD_OPTION, `text ${n} is a ${typeof text}, not a string`);
  return encodeIn(options.vocabulary, options.tokenizer.tokenize(text), `text ${n}`);
}

/** Encodes tokens; a vocabulary without `<unk>` names the sample of an unknown token. */
function encodeIn(vocabulary: Vocabulary, tokens: string[], sample: string): Int32Array {
  try {
    return vocabulary.encode(tokens);
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    throw new DataError(DataErrorCode.UNKNOWN_LABEL, `${sample}: ${error.message}`, { cause: error });
  }
}

function encodeSentence(sentence: TaggedSentence, n: number, options: TaggingOptions): Int32Array {
  const { tokens, tags } = sentence ?? {};
  if (!Array.isArray(tokens) || !Array.isArray(tags)) {
    fail(DataErrorCode.BAD_OPTION, `sentence ${n} needs arrays tokens and tags`);
  }
  if (tokens.length !== tags.length) {
    fail(DataErrorCode.BAD_OPTION, `sentence ${n} has ${tokens.length} tokens but ${tags.length} tags`);
  }
  return encodeIn(options.vocabulary, tokens, `sentence ${n}`);
}

function encodeTags(sentence: TaggedSentence, n: number, tagSet: Vocabulary): Int32Array {
  const ids = new Int32Array(sentence.tags.length); // (length)
  for (let k = 0; k < ids.length; k++) {
    const id = tagSet.idOf(sentence.tags[k]);
    if (id < 0) tagSet.unknown(sentence.tags[k], `in sentence ${n} at token ${k}`, 'tag');
    ids[k] = id;
  }
  return ids;
}

/** Label ids with the set they come from; unknown or out-of-range labels are errors. */
function labelIds(
  labels: string[] | number[],
  given: Vocabulary | undefined,
): { ids: Int32Array; labelSet: Vocabulary | null; classes: number } {
  if (labels.length > 0 && typeof labels[0] === 'number') {
    const ids = numericLabels(labels as unknown[], given);
    const classes = given?.size ?? ids.reduce((top, id) => Math.max(top, id + 1), 0);
    return { ids, labelSet: given ?? null, classes };
  }
  const labelSet = given ?? buildLabelSet(labels as string[]);
  const ids = new Int32Array(labels.length); // (N)
  for (let n = 0; n < labels.length; n++) {
    const label = labels[n];
    if (typeof label !== 'string')
      fail(DataErrorCode.BAD_OPTION, `label ${n} is a ${typeof label}, not a string`);
    ids[n] = labelSet.idOf(label);
    if (ids[n] < 0) labelSet.unknown(label, `of text ${n}`, 'label');
  }
  return { ids, labelSet, classes: labelSet.size };
}

function numericLabels(labels: unknown[], given: Vocabulary | undefined): Int32Array {
  const top = given?.size ?? 2 ** 31 - 1;
  const ids = new Int32Array(labels.length); // (N)
  for (let n = 0; n < labels.length; n++) {
    const label = labels[n];
    if (typeof label !== 'number' || !Number.isInteger(label)) {
      fail(
        DataErrorCode.BAD_OPTION,
        `label ${n} (${String(label)}) is not an integer; labels are all ids or all strings`,
      );
    }
    if (label < 0 || label >= top) {
      fail(DataErrorCode.UNKNOWN_LABEL, `unknown label ${label} of text ${n}: ids lie in [0, ${top})`);
    }
    ids[n] = label;
  }
  return ids;
}

/** Indices of the non-empty rows; an empty one is an error unless the policy skips it. */
function keptIndices(rows: Int32Array[], policy: EmptyPolicy, noun: string): number[] {
  const kept: number[] = [];
  for (let n = 0; n < rows.length; n++) {
    if (rows[n].length > 0) kept.push(n);
    else if (policy === 'error') {
      fail(
        DataErrorCode.BAD_OPTION,
        `${noun} ${n} has no tokens (a sample needs length ≥ 1): drop it or pass empty: 'skip'`,
      );
    }
  }
  if (kept.length === 0) fail(DataErrorCode.BAD_OPTION, `no ${noun} has any tokens`);
  return kept;
}

function longest(rows: Int32Array[]): number {
  return rows.reduce((top, row) => Math.max(top, row.length), 0);
}

function cutEnd(row: Int32Array, T: number): Int32Array {
  return row.length > T ? row.subarray(0, T) : row;
}

function cutStart(row: Int32Array, T: number): Int32Array {
  return row.length > T ? row.subarray(row.length - T) : row;
}

function checkTextOptions(texts: unknown, labels: unknown, options: TextClassificationOptions): void {
  if (!Array.isArray(texts) || !Array.isArray(labels))
    fail(DataErrorCode.BAD_OPTION, 'texts and labels must be arrays');
  if (texts.length !== labels.length) {
    fail(DataErrorCode.BAD_OPTION, `${texts.length} texts but ${labels.length} labels`);
  }
  if (typeof options?.tokenizer?.tokenize !== 'function') {
    fail(DataErrorCode.BAD_OPTION, 'options.tokenizer must have a tokenize(text) method');
  }
  checkCommon(options);
  const truncate = options.truncate ?? 'end';
  if (truncate !== 'end' && truncate !== 'start') {
    fail(DataErrorCode.BAD_OPTION, `options.truncate must be 'end' or 'start', got ${describeGot(truncate)}`);
  }
}

function checkTaggingOptions(sentences: unknown, options: TaggingOptions): void {
  if (!Array.isArray(sentences)) fail(DataErrorCode.BAD_OPTION, 'sentences must be an array');
  if (typeof options?.tagSet?.idOf !== 'function')
    fail(DataErrorCode.BAD_OPTION, 'options.tagSet must be a Vocabulary');
  checkCommon(options);
}

function checkCommon(options: { vocabulary: Vocabulary; maxLength?: number; empty?: EmptyPolicy }): void {
  if (typeof options.vocabulary?.encode !== 'function') {
    fail(DataErrorCode.BAD_OPTION, 'options.vocabulary must be a Vocabulary');
  }
  if (options.maxLength !== undefined) positiveInteger(options.maxLength, 'maxLength');
  const empty = options.empty ?? 'error';
  if (empty !== 'error' && empty !== 'skip') {
    fail(DataErrorCode.BAD_OPTION, `options.empty must be 'error' or 'skip', got ${describeGot(empty)}`);
  }
}

/** Ids must be non-negative (an embedding reads them as rows). */
function checkIds(ids: Int32Array): void {
  for (let k = 0; k < ids.length; k++) {
    if (ids[k] < 0) fail(DataErrorCode.BAD_OPTION, `id ${ids[k]} at position ${k} is negative`);
  }
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(DataErrorCode.BAD_OPTION, `options.${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
