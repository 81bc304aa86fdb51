// Streaming metrics against hand-computed values, with masks, and two batches streamed against
// the same rows in one batch; the validation messages.
import t, { type Test } from 'tap';
import { NnErrorCode, RecurError } from '../errors.js';
import type { LossName } from './loss.js';
import { createMetric, type MetricName, type MetricTarget } from './metrics.js';

const f32 = (...values: number[]) => Float32Array.from(values);
const i32 = (...values: number[]) => Int32Array.from(values);

/** The metric's result over one batch. */
function once(
  name: MetricName,
  loss: LossName,
  pred: Float32Array,
  target: MetricTarget,
  mask: Float32Array | null,
  N: number,
  D: number,
): number {
  const metric = createMetric(name, loss);
  metric.update(pred, target, mask, N, D);
  return metric.result();
}

function near(t: Test, got: number, expected: number, rtol = 1e-12): void {
  t.ok(Math.abs(got - expected) <= rtol * Math.abs(expected), `got ${got}, expected ${expected}`);
}

function expectError(t: Test, run: () => unknown, code: string, message: string): void {
  let error: unknown = null;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof RecurError, 'a RecurError');
  t.equal((error as RecurError).code, code);
  t.equal((error as RecurError).message, message);
}

// pred − target = [1, 0, −2, 0]: squared 1, 0, 4, 0; absolute 1, 0, 2, 0
const REG_PRED = f32(1, 2, 3, 4);
const REG_TARGET = f32(0, 2, 5, 4);

t.test('mse and mae are means over every element', async (t) => {
  near(t, once('mse', 'mse', REG_PRED, REG_TARGET, null, 2, 2), 5 / 4);
  near(t, once('mae', 'mse', REG_PRED, REG_TARGET, null, 2, 2), 3 / 4);
});

t.test('mse and mae count only unmasked rows', async (t) => {
  near(t, once('mse', 'mae', REG_PRED, REG_TARGET, f32(1, 0), 2, 2), 1 / 2);
  near(t, once('mae', 'mae', REG_PRED, REG_TARGET, f32(0, 1), 2, 2), 2 / 2);
});

// argmax per row: 1, 0, 2, 0 (row 3 ties between 0 and 1: the first wins)
const CLASS_LOGITS = f32(0.1, 2, -1, 3, 0, 0, 0, 0, 5, 1, 1, 0);
const LABELS = i32(1, 2, 2, 0);
const ONE_HOT = f32(0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0);

t.test('categorical accuracy compares argmax with labels or dense targets', async (t) => {
  near(t, once('accuracy', 'sparseCategoricalCrossentropy', CLASS_LOGITS, LABELS, null, 4, 3), 3 / 4);
  near(t, once('accuracy', 'categoricalCrossentropy', CLASS_LOGITS, ONE_HOT, null, 4, 3), 3 / 4);
  near(
    t,
    once('accuracy', 'sparseCategoricalCrossentropy', CLASS_LOGITS, LABELS, f32(1, 1, 0, 0), 4, 3),
    1 / 2,
  );
});

t.test('binary accuracy thresholds logits at 0 and targets at 0.5', async (t) => {
  // (2 > 0, 1 ≥ .5) hit; (−1, 0) hit; (0.5, 0) miss; (−3, 0.6) miss; (0, 0.5) miss: logit 0 is negative
  const logits = f32(2, -1, 0.5, -3, 0);
  const target = f32(1, 0, 0, 0.6, 0.5);
  near(t, once('accuracy', 'binaryCrossentropy', logits, target, null, 5, 1), 2 / 5);
  near(t, once('accuracy', 'binaryCrossentropy', logits, target, f32(1, 1, 1, 0, 0), 5, 1), 2 / 3);
  near(t, once('accuracy', 'sparseCategoricalCrossentropy', f32(2, 1), i32(1, 0), null, 2, 1), 1 / 2);
});

t.test('binary accuracy is elementwise for binaryCrossentropy with D > 1', async (t) => {
  // rows [1, −1] vs [1, 1] (1 hit), [1, 1] vs [1, 1] (2 hits)
  near(t, once('accuracy', 'binaryCrossentropy', f32(1, -1, 1, 1), f32(1, 1, 1, 1), null, 2, 2), 3 / 4);
});

t.test('accuracy with a regression loss and D = 1 thresholds predictions at 0.5', async (t) => {
  near(t, once('accuracy', 'mse', f32(0.7, 0.2, 0.4), f32(1, 1, 0), null, 3, 1), 2 / 3);
});

t.test('perplexity is exp of the mean cross entropy of the softmax', async (t) => {
  // uniform logits over 4 classes: cross entropy ln 4, perplexity 4
  near(
    t,
    once('perplexity', 'sparseCategoricalCrossentropy', new Float32Array(8), i32(0, 3), null, 2, 4),
    4,
    1e-6,
  );
  // row 0: softmax [1/4, 3/4], label 1: ln(4/3); row 1: [1/2, 1/2]: ln 2; exp of the mean = √(8/3)
  const logits = f32(0, Math.log(3), 0, 0);
  const expected = Math.sqrt(8 / 3);
  near(t, once('perplexity', 'sparseCategoricalCrossentropy', logits, i32(1, 0), null, 2, 2), expected, 1e-6);
  near(t, once('perplexity', 'categoricalCrossentropy', logits, f32(0, 1, 1, 0), null, 2, 2), expected, 1e-6);
  near(t, once('perplexity', 'sparseCategoricalCrossentropy', logits, i32(1, 0), f32(0, 1), 2, 2), 2, 1e-6);
});

/** Seeded values in [-1, 1) (mulberry32). */
function randomArray(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    out[i] = (((z ^ (z >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const STREAM_CASES: [MetricName, LossName, boolean][] = [
  ['mse', 'mse', false],
  ['mae', 'mae', false],
  ['accuracy', 'categoricalCrossentropy', false],
  ['accuracy', 'sparseCategoricalCrossentropy', true],
  ['accuracy', 'binaryCrossentropy', false],
  ['perplexity', 'sparseCategoricalCrossentropy', true],
  ['perplexity', 'categoricalCrossentropy', false],
];

for (const [name, loss, sparse] of STREAM_CASES) {
  t.test(`${name} (${loss}): two batches stream to the result of one`, async (t) => {
    const [N, D, split] = [11, 4, 6];
    const pred = randomArray(N * D, 1);
    const dense = randomArray(N * D, 2).map((x) => (x + 1) / 2);
    const target = sparse ? Int32Array.from({ length: N }, (_, n) => (n * 7) % D) : dense;
    const mask = Float32Array.from({ length: N }, (_, n) => (n % 4 === 2 ? 0 : 1));
    const whole = once(name, loss, pred, target, mask, N, D);
    const metric = createMetric(name, loss);
    const rows = sparse ? 1 : D;
    metric.update(
      pred.subarray(0, split * D),
      target.subarray(0, split * rows),
      mask.subarray(0, split),
      split,
      D,
    );
    metric.update(
      pred.subarray(split * D),
      target.subarray(split * rows),
      mask.subarray(split),
      N - split,
      D,
    );
    near(t, metric.result(), whole);
    t.ok(Number.isFinite(whole), `finite: ${whole}`);
  });
}

t.test('result is NaN before any row counts, and reset forgets', async (t) => {
  const metric = createMetric('mse', 'mse');
  t.ok(Number.isNaN(metric.result()), 'NaN before updates');
  metric.update(REG_PRED, REG_TARGET, f32(0, 0), 2, 2);
  t.ok(Number.isNaN(metric.result()), 'NaN with every row masked');
  metric.update(REG_PRED, REG_TARGET, null, 2, 2);
  metric.reset();
  t.ok(Number.isNaN(metric.result()), 'NaN after reset');
  metric.update(REG_PRED, REG_TARGET, null, 2, 2);
  near(t, metric.result(), 5 / 4);
});

t.test('bad names and pairings are rejected with coded errors', async (t) => {
  const bad = NnErrorCode.BAD_OPTION;
  expectError(
    t,
    () => createMetric('acc' as MetricName, 'mse'),
    bad,
    "metric: name must be one of 'mse', 'mae', 'accuracy', 'perplexity', got 'acc'",
  );
  expectError(
    t,
    () => createMetric('mse', 'huber' as LossName),
    bad,
    "metric 'mse': loss must be one of 'mse', 'mae', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', got 'huber'",
  );
  expectError(
    t,
    () => createMetric('perplexity', 'binaryCrossentropy'),
    bad,
    "metric 'perplexity': needs loss 'categoricalCrossentropy' or 'sparseCategoricalCrossentropy', got 'binaryCrossentropy'",
  );
});

t.test('integer labels where floats are needed are bad data', async (t) => {
  expectError(
    t,
    () => createMetric('mae', 'mae').update(f32(1, 2), i32(1, 2), null, 2, 1),
    NnErrorCode.BAD_DATA,
    "metric 'mae': targets must be floats (N, D), got integer labels",
  );
});
