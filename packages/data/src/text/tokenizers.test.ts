// Tokenisers: code-point characters, the word rule of WORD_PATTERN on English, accented, CJK and
// apostrophe cases, custom patterns, lower-casing, and the JSON round trip with its errors.
import t from 'tap';
import { charTokenizer, tokenizerFromJSON, WORD_PATTERN, wordTokenizer } from './tokenizers.js';

t.test('a char tokeniser splits into code points, keeping case, spaces and astral characters', async (t) => {
  t.same(charTokenizer().tokenize('Hé y!'), ['H', 'é', ' ', 'y', '!']);
  t.same(charTokenizer().tokenize('a😀b'), ['a', '😀', 'b']);
  t.same(charTokenizer().tokenize(''), []);
});

t.test('a char tokeniser lower-cases when asked', async (t) => {
  t.same(charTokenizer({ lowercase: true }).tokenize('AbÇ'), ['a', 'b', 'ç']);
});

t.test('a word tokeniser splits words from punctuation and lower-cases by default', async (t) => {
  t.same(wordTokenizer().tokenize('Call me Ishmael. Some years ago—never mind!'), [
    'call',
    'me',
    'ishmael',
    '.',
    'some',
    'years',
    'ago',
    '—',
    'never',
    'mind',
    '!',
  ]);
});

t.test('inner apostrophes join a word; outer ones are punctuation', async (t) => {
  t.same(wordTokenizer().tokenize("Don't say 'rock'n'roll' l’homme"), [
    "don't",
    'say',
    "'",
    "rock'n'roll",
    "'",
    'l’homme',
  ]);
});

t.test('letters, digits and marks of any script form words; hyphens and dots split', async (t) => {
  t.same(wordTokenizer({ lowercase: false }).tokenize('Café 東京 in 3.14 well-known e\u0301'), [
    'Café',
    '東京',
    'in',
    '3',
    '.',
    '14',
    'well',
    '-',
    'known',
    'e\u0301',
  ]);
});

t.test('white space alone gives no tokens', async (t) => {
  t.same(wordTokenizer().tokenize(' \n\t '), []);
});

t.test('a custom pattern is used, made global if it is not, and empty matches are dropped', async (t) => {
  t.same(wordTokenizer({ pattern: /\S+/ }).tokenize('a-b c.d'), ['a-b', 'c.d']);
  t.same(wordTokenizer({ pattern: /x*/g }).tokenize('axxb'), ['xx']);
});

t.test('JSON round trips keep the kind, case and pattern', async (t) => {
  const word = tokenizerFromJSON(JSON.parse(JSON.stringify(wordTokenizer({ lowercase: false }))));
  t.same(word.tokenize("It's OK."), ["It's", 'OK', '.']);
  t.equal((word as { pattern: RegExp }).pattern.source, WORD_PATTERN.source);
  const char = tokenizerFromJSON(JSON.parse(JSON.stringify(charTokenizer({ lowercase: true }))));
  t.same(char.tokenize('AB'), ['a', 'b']);
});

t.test('bad options and bad JSON are coded errors', async (t) => {
  t.throws(() => wordTokenizer({ pattern: '\\w+' as unknown as RegExp }), { code: 'ERR_DATA_BAD_OPTION' });
  t.throws(() => charTokenizer({ lowercase: 'yes' as unknown as boolean }), { code: 'ERR_DATA_BAD_OPTION' });
  t.throws(() => tokenizerFromJSON({ kind: 'bpe', lowercase: true }), { code: 'ERR_DATA_BAD_JSON' });
  t.throws(() => tokenizerFromJSON({ kind: 'word', lowercase: true, pattern: '(', flags: 'gu' }), {
    code: 'ERR_DATA_BAD_JSON',
  });
  t.throws(() => tokenizerFromJSON(null), { code: 'ERR_DATA_BAD_JSON' });
});
