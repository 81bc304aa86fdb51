// Text data sets: what read() writes, checked by hand on small inputs (buffers start full of
// garbage so that padding must be written), truncation, empty samples, and the coded errors.
import t from 'tap';
import { allocateBatchBuffers, type BatchBuffers, type SequenceDataset } from '../dataset.js';
import { nextTokenDataset, taggingDataset, textClassificationDataset } from './datasets.js';
import { wordTokenizer } from './tokenizers.js';
import { buildLabelSet, PAD, UNK, Vocabulary } from './vocabulary.js';

const GARBAGE = 99;

interface TestBuffers extends BatchBuffers {
  ids: Int32Array;
  target: Int32Array;
}

/** Buffers for B rows of T steps and `perSample` targets, filled with garbage. */
function buffers(B: number, T: number, perSample: number): TestBuffers {
  return {
    x: null,
    ids: new Int32Array(B * T).fill(GARBAGE), // (B, T)
    lengths: new Int32Array(B).fill(GARBAGE), // (B)
    target: new Int32Array(B * perSample).fill(GARBAGE), // (B, perSample)
    sampleIndex: new Int32Array(B), // (B)
  };
}

function row(array: Int32Array, b: number, width: number): number[] {
  return [...array.subarray(b * width, (b + 1) * width)];
}

// good 2, movie 3, ! 4, bad 5, very 6, film 7
const WORDS = new Vocabulary([PAD, UNK], ['good', 'movie', '!', 'bad', 'very', 'film']);
const TEXTS = ['Good movie!', 'bad', 'a very very bad film indeed'];
const LABELS = ['pos', 'neg', 'neg'];

t.test('next-token samples are windows of T ids and the same window shifted by one', async (t) => {
  const ids = Int32Array.from([5, 6, 7, 8, 9, 10, 11]);
  const dataset: SequenceDataset = nextTokenDataset(ids, { sequenceLength: 3, stride: 2 });
  t.match(dataset, {
    size: 2,
    steps: 3,
    ids: true,
    targetPerSample: 3,
    targetKind: 'labels',
    hasLengths: false,
  });
  const into = buffers(2, 3, 3);
  t.equal(dataset.read(1, into, 1), 3);
  t.same(row(into.ids, 1, 3), [7, 8, 9]);
  t.same(row(into.target, 1, 3), [8, 9, 10]);
  t.same(row(into.ids, 0, 3), [GARBAGE, GARBAGE, GARBAGE]);
});

t.test('next-token stride defaults to T (no overlap) and drops the tail', async (t) => {
  const dataset = nextTokenDataset(Int32Array.from([1, 2, 3, 4, 5, 6]), { sequenceLength: 2 });
  t.equal(dataset.size, 2);
  const into = buffers(1, 2, 2);
  dataset.read(1, into, 0);
  t.same([...into.ids, ...into.target], [3, 4, 4, 5]);
});

t.test('next-token errors: too few ids, negative ids, bad options', async (t) => {
  t.throws(() => nextTokenDataset(Int32Array.from([1, 2, 3]), { sequenceLength: 3 }), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /T \+ 1/,
  });
  t.throws(() => nextTokenDataset(Int32Array.from([1, -2, 3]), { sequenceLength: 1 }), {
    message: /position 1/,
  });
  t.throws(() => nextTokenDataset(Int32Array.from([1, 2, 3]), { sequenceLength: 1, stride: 0 }), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /stride/,
  });
});

t.test('text classification: ids right-padded with 0, lengths, label ids', async (t) => {
  const dataset = textClassificationDataset(TEXTS, LABELS, {
    tokenizer: wordTokenizer(),
    vocabulary: WORDS,
    maxLength: 4,
  });
  t.match(dataset, {
    size: 3,
    steps: 4,
    targetPerSample: 1,
    targetKind: 'labels',
    hasLengths: true,
    classes: 2,
  });
  t.same(dataset.labelSet?.tokens, ['neg', 'pos']);
  const into = buffers(2, 4, 1);
  t.equal(dataset.read(0, into, 1), 3);
  t.same(row(into.ids, 1, 4), [2, 3, 4, 0]);
  t.same([into.target[1], into.lengths[1]], [1, GARBAGE]); // lengths are the batcher's
});

t.test("truncate 'end' keeps a long text's first T tokens, 'start' its last T", async (t) => {
  const options = { tokenizer: wordTokenizer(), vocabulary: WORDS, maxLength: 4 };
  const into = buffers(1, 4, 1);
  const end = textClassificationDataset(TEXTS, LABELS, options);
  t.equal(end.read(2, into, 0), 4);
  t.same([...into.ids], [1, 6, 6, 5]);
  textClassificationDataset(TEXTS, LABELS, { ...options, truncate: 'start' }).read(2, into, 0);
  t.same([...into.ids], [6, 5, 7, 1]);
  t.equal(end.truncated, 1);
});

t.test('text classification defaults T to the longest text and takes numeric labels as ids', async (t) => {
  const dataset = textClassificationDataset(TEXTS, [2, 0, 1], {
    tokenizer: wordTokenizer(),
    vocabulary: WORDS,
  });
  t.match(dataset, { steps: 6, classes: 3, labelSet: null });
  const into = buffers(1, 6, 1);
  t.equal(dataset.read(1, into, 0), 1);
  t.same([...into.ids, into.target[0]], [5, 0, 0, 0, 0, 0, 0]);
});

t.test('an unknown label names itself and its text', async (t) => {
  const labelSet = buildLabelSet(['neg', 'pos']);
  const options = { tokenizer: wordTokenizer(), vocabulary: WORDS, labelSet };
  t.throws(() => textClassificationDataset(TEXTS, ['pos', 'meh', 'neg'], options), {
    code: 'ERR_DATA_UNKNOWN_LABEL',
    message: /"meh" of text 1/,
  });
  t.throws(() => textClassificationDataset(TEXTS, [0, 1, 2], options), {
    code: 'ERR_DATA_UNKNOWN_LABEL',
    message: /label 2 of text 2/,
  });
});

t.test("an empty text is an error naming it, or skipped with empty: 'skip'", async (t) => {
  const texts = ['good', ' \n ', 'bad film'];
  const options = { tokenizer: wordTokenizer(), vocabulary: WORDS };
  t.throws(() => textClassificationDataset(texts, LABELS, options), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /text 1/,
  });
  const dataset = textClassificationDataset(texts, LABELS, { ...options, empty: 'skip' });
  t.same([dataset.size, ...dataset.sourceIndex], [2, 0, 2]);
  const into = buffers(1, 2, 1);
  dataset.read(1, into, 0);
  t.same([...into.ids, into.target[0]], [5, 7, 0]);
});

t.test('text classification option errors', async (t) => {
  const options = { tokenizer: wordTokenizer(), vocabulary: WORDS };
  t.throws(() => textClassificationDataset(TEXTS, ['pos'], options), { message: /3 texts but 1 labels/ });
  t.throws(() => textClassificationDataset(TEXTS, LABELS, { ...options, truncate: 'middle' as 'end' }), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /truncate/,
  });
  t.throws(() => textClassificationDataset(TEXTS, LABELS, { ...options, maxLength: 0 }), {
    message: /maxLength/,
  });
  t.throws(() => textClassificationDataset(TEXTS, [0, 1.5, 1], options), { message: /label 1 \(1.5\)/ });
  // values JSON cannot write (a BigInt, a cycle) and huge ones still make the coded error, short
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const odd: unknown[] = [5n, circular, new Float32Array(1e6), 'x'.repeat(1e6)];
  for (const value of odd) {
    for (const key of ['truncate', 'empty']) {
      const bad = { ...options, [key]: value } as typeof options;
      t.throws(() => textClassificationDataset(TEXTS, LABELS, bad), {
        code: 'ERR_DATA_BAD_OPTION',
        message: new RegExp(`options\\.${key} must be`),
      });
      try {
        textClassificationDataset(TEXTS, LABELS, bad);
      } catch (error) {
        t.ok((error as Error).message.length < 200, `${key}: a short message`);
      }
    }
  }
});

// the 2, dog 3, runs 4; DET 0, NOUN 1, VERB 2
const TAG_WORDS = new Vocabulary([PAD, UNK], ['the', 'dog', 'runs']);
const TAGS = buildLabelSet(['VERB', 'DET', 'NOUN']);
const SENTENCES = [
  { tokens: ['the', 'dog', 'runs'], tags: ['DET', 'NOUN', 'VERB'] },
  { tokens: ['cat'], tags: ['NOUN'] },
];

t.test('tagging: ids and tag ids per step, right-padded with 0, lengths', async (t) => {
  const dataset = taggingDataset(SENTENCES, { vocabulary: TAG_WORDS, tagSet: TAGS, maxLength: 4 });
  t.match(dataset, { size: 2, steps: 4, targetPerSample: 4, targetKind: 'labels', hasLengths: true });
  const into = buffers(2, 4, 4);
  t.same([dataset.read(0, into, 0), dataset.read(1, into, 1)], [3, 1]);
  t.same(
    [row(into.ids, 0, 4), row(into.target, 0, 4)],
    [
      [2, 3, 4, 0],
      [0, 1, 2, 0],
    ],
  );
  t.same(
    [row(into.ids, 1, 4), row(into.target, 1, 4)],
    [
      [1, 0, 0, 0],
      [1, 0, 0, 0],
    ],
  );
});

t.test('tagging keeps the first T steps of a long sentence; T defaults to the longest', async (t) => {
  const cut = taggingDataset(SENTENCES, { vocabulary: TAG_WORDS, tagSet: TAGS, maxLength: 2 });
  const into = buffers(1, 2, 2);
  t.equal(cut.read(0, into, 0), 2);
  t.same([...into.ids, ...into.target, cut.truncated], [2, 3, 0, 1, 1]);
  t.equal(taggingDataset(SENTENCES, { vocabulary: TAG_WORDS, tagSet: TAGS }).steps, 3);
});

t.test('tagging errors: unknown tag, tokens and tags of different lengths, empty sentence', async (t) => {
  const options = { vocabulary: TAG_WORDS, tagSet: TAGS };
  t.throws(() => taggingDataset([SENTENCES[0], { tokens: ['x', 'y'], tags: ['NOUN', 'ADV'] }], options), {
    code: 'ERR_DATA_UNKNOWN_LABEL',
    message: /tag "ADV" in sentence 1 at token 1/,
  });
  t.throws(() => taggingDataset([{ tokens: ['x'], tags: [] }], options), {
    message: /sentence 0 has 1 tokens but 0 tags/,
  });
  const noUnk = { ...options, vocabulary: new Vocabulary([PAD], ['the', 'dog', 'runs']) };
  t.throws(() => taggingDataset(SENTENCES, noUnk), {
    code: 'ERR_DATA_UNKNOWN_LABEL',
    message: /sentence 1: unknown token "cat" at position 0/,
  });
  t.throws(() => taggingDataset([SENTENCES[0], { tokens: [], tags: [] }], options), {
    message: /sentence 1 has no tokens/,
  });
});

t.test('without a target buffer (prediction), read() writes the ids alone', async (t) => {
  const dataset = taggingDataset(SENTENCES, { vocabulary: TAG_WORDS, tagSet: TAGS });
  const into = { ...buffers(1, 3, 3), target: null };
  t.equal(dataset.read(1, into, 0), 1);
  t.same([...into.ids], [1, 0, 0]);
});

t.test('read() rejects a sample or row out of range and a missing ids buffer', async (t) => {
  const dataset = taggingDataset(SENTENCES, { vocabulary: TAG_WORDS, tagSet: TAGS });
  t.throws(() => dataset.read(2, buffers(1, 3, 3), 0), { code: 'ERR_DATA_BAD_OPTION', message: /sample 2/ });
  t.throws(() => dataset.read(0, buffers(1, 3, 3), 1), { code: 'ERR_DATA_BAD_OPTION', message: /row 1/ });
  t.throws(() => dataset.read(0, buffers(2, 3, 1), 1), { code: 'ERR_DATA_BAD_OPTION', message: /row 1/ });
  t.throws(() => dataset.read(0, { ...buffers(1, 3, 3), ids: null }, 0), { message: /need ids/ });
});

t.test('each data set fills the buffers allocateBatchBuffers makes for it', async (t) => {
  const datasets: SequenceDataset[] = [
    nextTokenDataset(Int32Array.from([1, 2, 3, 4]), { sequenceLength: 2, stride: 1 }),
    textClassificationDataset(TEXTS, LABELS, { tokenizer: wordTokenizer(), vocabulary: WORDS }),
    taggingDataset(SENTENCES, { vocabulary: TAG_WORDS, tagSet: TAGS }),
  ];
  const lengths = datasets.map((dataset) => {
    const into = allocateBatchBuffers(dataset, 2);
    return [dataset.read(0, into, 0), dataset.read(1, into, 1)];
  });
  t.same(lengths, [
    [2, 2],
    [3, 1],
    [3, 1],
  ]);
});
