// The real data sets load with the sizes their sources state (../shared/DATASETS.md).
import t from 'tap';
import {
  baseTag,
  loadBrown,
  loadImdb,
  loadMobyDick,
  loadSotu,
  parseBrownLine,
  universalTag,
} from './index.js';

t.test('the Brown corpus: 57,340 tagged sentences, tags collapsed to 12 universal ones', async (t) => {
  const sentences = loadBrown();
  t.equal(sentences.length, 57340, 'sentence count');
  const tokens = sentences.reduce((n, s) => n + s.tokens.length, 0);
  t.equal(tokens, 1161192, 'token count');
  const tags = new Set(sentences.flatMap((s) => s.tags));
  t.same([...tags].sort(), [
    '.',
    'ADJ',
    'ADP',
    'ADV',
    'CONJ',
    'DET',
    'NOUN',
    'NUM',
    'PRON',
    'PRT',
    'VERB',
    'X',
  ]);
  const base = new Set(loadBrown({ tagset: 'base', files: 500 }).flatMap((s) => s.tags));
  t.equal(base.size, 92, 'the 87 documented base tags and 5 rare possessives (ap$, cd$, dt$, jj$, rb$)');
});

t.test('Brown tags: compound forms collapse as documented', async (t) => {
  t.equal(baseTag('nn-tl'), 'nn');
  t.equal(baseTag('FW-NN-TL'), 'nn');
  t.equal(baseTag('ppss+md'), 'ppss');
  t.equal(universalTag('np$'), 'NOUN');
  t.equal(universalTag('hvd*'), 'VERB');
  t.equal(universalTag("''"), '.');
  t.equal(universalTag('uh'), 'X');
  t.same(parseBrownLine('\tThe/at jury/nn ./.', 'universal'), {
    tokens: ['The', 'jury', '.'],
    tags: ['DET', 'NOUN', '.'],
  });
  t.equal(parseBrownLine('   ', 'base'), null, 'blank lines are not sentences');
});

t.test('IMDB: 50,000 reviews less 418 duplicates, both classes, no <br /> left, seeded order', async (t) => {
  const reviews = loadImdb({ seed: 1 });
  t.equal(reviews.length, 50000 - 418);
  const firstThousand = reviews.slice(0, 1000).reduce((n, r) => n + r.label, 0);
  t.ok(firstThousand > 400 && firstThousand < 600, `shuffled: ${firstThousand} positives in the first 1,000`);
  t.notOk(
    reviews.some((r) => r.text.includes('<br')),
    'tags removed',
  );
  t.same(loadImdb({ seed: 1 }).slice(0, 3), reviews.slice(0, 3), 'same seed, same order');
});

t.test('Moby Dick and the State of the Union', async (t) => {
  const book = loadMobyDick();
  t.ok(book.length > 1_100_000 && book.length < 1_300_000, `${book.length} characters`);
  t.match(book, /Call me Ishmael/);
  const speeches = loadSotu();
  t.equal(speeches.length, 233, 'speeches');
  t.equal(speeches[0].year, 1790);
  t.ok(loadSotu({ from: 2000, to: 2009 }).every((s) => s.year >= 2000 && s.year <= 2009));
});
