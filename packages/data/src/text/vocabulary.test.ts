// Vocabulary: id order (specials, then count, ties by first appearance), minCount, maxSize,
// `<unk>`, strict encoding, label sets, the JSON round trip and its errors, and the size limit.
import t from 'tap';
import {
  buildLabelSet,
  buildVocabulary,
  PAD,
  UNK,
  VOCABULARY_FORMAT,
  VOCABULARY_MAX_SIZE,
  Vocabulary,
  vocabularyFromJSON,
} from './vocabulary.js';

// counts: the 4, b 3, a 2, c 2 (c first seen after a), z 1
const CORPUS = 'the b a the c b the z b a c the'.split(' ');

t.test('specials come first, then tokens by descending count, ties by first appearance', async (t) => {
  const vocabulary = buildVocabulary(CORPUS);
  t.same(vocabulary.tokens, [PAD, UNK, 'the', 'b', 'a', 'c', 'z']);
  t.equal(vocabulary.padId, 0);
  t.equal(vocabulary.unkId, 1);
  t.equal(vocabulary.size, 7);
});

t.test('ties follow first appearance, whatever the string order', async (t) => {
  t.same(buildVocabulary(['y', 'x', 'x', 'y', 'w'], { specials: [] }).tokens, ['y', 'x', 'w']);
});

t.test('minCount leaves out rare tokens, which then encode to <unk>', async (t) => {
  const vocabulary = buildVocabulary(CORPUS, { minCount: 3 });
  t.same(vocabulary.tokens, [PAD, UNK, 'the', 'b']);
  t.same([...vocabulary.encode(['the', 'z', 'b', 'never'])], [2, 1, 3, 1]);
});

t.test('maxSize counts the specials and keeps the most frequent', async (t) => {
  t.same(buildVocabulary(CORPUS, { maxSize: 4 }).tokens, [PAD, UNK, 'the', 'b']);
  t.same(buildVocabulary(CORPUS, { maxSize: 2 }).tokens, [PAD, UNK]);
});

t.test('a token equal to a special is not counted again', async (t) => {
  t.same(buildVocabulary(['<unk>', 'a', '<unk>']).tokens, [PAD, UNK, 'a']);
});

t.test('custom specials take the first ids in their order', async (t) => {
  const vocabulary = buildVocabulary(CORPUS, { specials: [PAD, UNK, '<bos>', '<eos>'], maxSize: 5 });
  t.same(vocabulary.tokens, [PAD, UNK, '<bos>', '<eos>', 'the']);
});

t.test('decode inverts encode', async (t) => {
  const vocabulary = buildVocabulary(CORPUS);
  t.same(vocabulary.decode(vocabulary.encode(['z', 'the', 'a'])), ['z', 'the', 'a']);
  t.same(vocabulary.decode([0, 1]), [PAD, UNK]);
});

t.test('a strict encode names the unknown token and its position', async (t) => {
  const vocabulary = buildVocabulary(CORPUS);
  t.throws(() => vocabulary.encode(['the', 'dog'], { strict: true }), {
    code: 'ERR_DATA_UNKNOWN_LABEL',
    message: /"dog" at position 1/,
  });
});

t.test('without <unk>, every encode is strict', async (t) => {
  const vocabulary = buildVocabulary(CORPUS, { specials: [] });
  t.throws(() => vocabulary.encode(['dog']), { code: 'ERR_DATA_UNKNOWN_LABEL', message: /"dog"/ });
});

t.test('a label set is sorted, has no specials, and is independent of the data order', async (t) => {
  const labels = buildLabelSet(['pos', 'neg', 'pos', 'neutral']);
  t.same(labels.tokens, ['neg', 'neutral', 'pos']);
  t.equal(labels.padId, -1);
  t.same(buildLabelSet(['neutral', 'pos', 'neg']).tokens, labels.tokens);
});

t.test('JSON round trips give the same ids', async (t) => {
  const vocabulary = buildVocabulary(CORPUS, { minCount: 2 });
  const json = JSON.stringify(vocabulary);
  t.same(JSON.parse(json), {
    format: VOCABULARY_FORMAT,
    version: 1,
    specials: [PAD, UNK],
    tokens: ['the', 'b', 'a', 'c'],
  });
  const back = vocabularyFromJSON(json);
  t.same(back.tokens, vocabulary.tokens);
  t.same([...back.encode(['c', 'z'])], [...vocabulary.encode(['c', 'z'])]);
});

t.test('malformed vocabulary JSON is ERR_DATA_BAD_JSON', async (t) => {
  const good = { format: VOCABULARY_FORMAT, version: 1, specials: [PAD, UNK], tokens: ['a'] };
  t.throws(() => vocabularyFromJSON('{'), { code: 'ERR_DATA_BAD_JSON' });
  t.throws(() => vocabularyFromJSON({ ...good, format: 'x' }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /format/,
  });
  t.throws(() => vocabularyFromJSON({ ...good, version: 2 }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /version/,
  });
  t.throws(() => vocabularyFromJSON({ ...good, tokens: 'a' }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /tokens/,
  });
  t.throws(() => vocabularyFromJSON({ ...good, tokens: ['a', 3] }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /entry 3/,
  });
  t.throws(() => vocabularyFromJSON({ ...good, tokens: ['a', UNK] }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /twice/,
  });
  t.throws(() => vocabularyFromJSON({ ...good, specials: [UNK, PAD] }), {
    code: 'ERR_DATA_BAD_JSON',
    message: /first/,
  });
});

t.test('bad options are ERR_DATA_BAD_OPTION', async (t) => {
  t.throws(() => buildVocabulary(CORPUS, { minCount: 0 }), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /minCount/,
  });
  t.throws(() => buildVocabulary(CORPUS, { maxSize: 1 }), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /maxSize/,
  });
  t.throws(() => buildVocabulary(CORPUS, { specials: [UNK, PAD] }), { code: 'ERR_DATA_BAD_OPTION' });
  t.throws(() => buildVocabulary(['a', 7 as unknown as string]), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /token 1/,
  });
  t.throws(() => buildVocabulary(CORPUS).decode([7]), { code: 'ERR_DATA_BAD_OPTION', message: /id 7/ });
});

/** `count` distinct tokens t0, t1, ... */
function* distinct(count: number): Generator<string> {
  for (let k = 0; k < count; k++) yield `t${k}`;
}

t.test(
  'VOCABULARY_MAX_SIZE entries are allowed; one more without maxSize is ERR_DATA_LIMIT_EXCEEDED',
  async (t) => {
    const limit = VOCABULARY_MAX_SIZE;
    t.equal(buildVocabulary(distinct(limit - 2)).size, limit);
    t.throws(() => buildVocabulary(distinct(limit - 1)), {
      code: 'ERR_DATA_LIMIT_EXCEEDED',
      message: /maxSize/,
    });
    t.throws(() => buildVocabulary([], { maxSize: limit + 1 }), { code: 'ERR_DATA_LIMIT_EXCEEDED' });
  },
);

t.test('a saved vocabulary or label set over the limit by one is ERR_DATA_LIMIT_EXCEEDED', async (t) => {
  const tokens = [...distinct(VOCABULARY_MAX_SIZE - 1)];
  const json = { format: VOCABULARY_FORMAT, version: 1, specials: [PAD, UNK], tokens };
  t.throws(() => vocabularyFromJSON(json), { code: 'ERR_DATA_LIMIT_EXCEEDED' });
  t.throws(() => new Vocabulary([PAD, UNK], tokens), { code: 'ERR_DATA_LIMIT_EXCEEDED' });
  t.throws(() => buildLabelSet(distinct(VOCABULARY_MAX_SIZE + 1)), { code: 'ERR_DATA_LIMIT_EXCEEDED' });
});
