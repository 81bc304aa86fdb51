// What an error message says a caller gave ("got …"): `describe` names typed arrays by type and
// length and cuts everything at DESCRIBE_MAX_CHARS, so a whole data set handed to the wrong
// argument gives a line, not megabytes of JSON (found when a script passed fit { x, y, shape }).
import t from 'tap';
import { DESCRIBE_MAX_CHARS, dense, lstm, sequential } from './index.js';
import { describe } from './validate.js';

t.test('describe: short accounts of values', async (t) => {
  t.equal(describe('adam'), "'adam'");
  t.equal(describe(3), '3');
  t.equal(describe(Number.NaN), 'NaN');
  t.equal(describe(undefined), 'undefined');
  t.equal(describe(null), 'null');
  t.equal(describe(10n), '10n');
  t.equal(
    describe(() => 1),
    'function (anonymous)',
  );
  t.equal(describe(new Float32Array(15_360_000)), 'Float32Array(15360000)');
  t.equal(describe(new SharedArrayBuffer(16)), 'SharedArrayBuffer(16 bytes)');
  t.equal(describe([1, 'a', [2, 3]]), "[1, 'a', [2, 3]]");
  t.equal(describe({ units: 3, shape: [2, 4] }), '{ units: 3, shape: [2, 4] }');
  t.equal(describe({}), '{}');
  t.equal(describe(new Map()), 'Map {}');
  t.equal(describe({ s: '{  }' }), "{ s: '{  }' }", 'a string value is shown as it is');
  t.equal(describe(new Date(Date.UTC(2026, 11, 7))), '2026-12-07T00:00:00.000Z');
  t.equal(describe({ a: { b: { c: 1 } } }), '{ a: { b: {…} } }', 'nested one level, then elided');
  t.equal(
    describe(Array.from({ length: 20 }, (_, i) => i)),
    '[0, 1, 2, 3, 4, 5, 6, 7, … (20 items)]',
    'the first items of a long array and its length',
  );
});

t.test('describe: never more than DESCRIBE_MAX_CHARS characters', async (t) => {
  const fits = 'x'.repeat(DESCRIBE_MAX_CHARS - 2); // quoted: exactly the limit
  t.equal(describe(fits).length, DESCRIBE_MAX_CHARS);
  t.notOk(describe(fits).endsWith('…'), 'a value at the limit is whole');
  const over = describe(`${fits}x`); // one more
  t.equal(over.length, DESCRIBE_MAX_CHARS);
  t.ok(over.endsWith('…'), 'one character over is cut with …');
  const wide = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`key${i}`, 'v'.repeat(50)]));
  t.ok(describe(wide).length <= DESCRIBE_MAX_CHARS);
  const hostile = new Proxy(
    {},
    {
      ownKeys: () => {
        throw new Error('no keys');
      },
    },
  );
  t.equal(describe(hostile), '[object Object]', 'a value that throws when inspected');
});

t.test('fit given a data set where { data, shape } belongs: a short coded error', async (t) => {
  const model = sequential([lstm({ units: 4 }), dense({ units: 1 })], { inputShape: [50, 32], seed: 1 });
  model.compile({ loss: 'mse', optimizer: 'adam' });
  const x = new Float32Array(9600 * 50 * 32);
  const y = new Float32Array(9600);
  const misuse = { x, y, shape: [9600, 50, 32] } as never;
  const error = await model.fit(misuse, { epochs: 1 } as never).then(
    () => null,
    (e: Error & { code?: string }) => e,
  );
  t.equal(error?.code, 'ERR_NN_BAD_DATA');
  t.match(
    error?.message,
    /got \{ x: Float32Array\(15360000\), y: Float32Array\(9600\), shape: \[9600, 50, 32\] \}/,
  );
  t.ok((error?.message.length ?? Infinity) < 400, `one line (${error?.message.length} characters)`);
});
