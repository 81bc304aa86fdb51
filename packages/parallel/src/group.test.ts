// A thread group's `sums` step (issue 5, for cluster nodes): it leaves the machine's gradient
// SUMS over its parts of the global batch in slot 0 and does not touch the parameters; the
// parts of two groups add up to one group's whole batch.

import { ArraySource, batchOf, dense, gru, sequential } from '@recur/nn';
import t from 'tap';
import { ThreadGroup } from './group.js';
import { resolveOptions } from './threads.js';

const N = 20;
const T = 4;
const x = Float32Array.from({ length: N * T }, (_, i) => Math.sin(0.7 * i));
const y = Float32Array.from({ length: N }, (_, i) => Math.cos(0.3 * i));

function setup() {
  const model = sequential([gru({ units: 5 }), dense({ units: 1 })], { inputShape: [T, 1], seed: 4 });
  model.compile({ loss: 'mse' });
  const source = new ArraySource(
    { data: x, shape: [N, T, 1] },
    { data: y, shape: [N, 1] },
    { shuffle: true, seed: 2 },
  );
  return { model, source };
}

/** Gradient sums of one batch computed on the calling thread, the reference. */
function referenceSums(batchSize: number): { grads: Float32Array; sum: number; count: number } {
  const { model, source } = setup();
  const memory = model.ensureMemory(batchSize, 2);
  const buffers = {
    x: new Float32Array(batchSize * T),
    ids: null,
    lengths: new Int32Array(batchSize),
    target: new Float32Array(batchSize),
    sampleIndex: new Int32Array(batchSize),
  };
  const B = source.fill(buffers, 0, 1, batchSize, 0, 1);
  const ctx = { training: true, seed: model.seed, epoch: 0, sampleIndex: buffers.sampleIndex };
  const r = model.computeGradients(batchOf(buffers, B, T, false), 'mse', ctx);
  return { grads: memory.gradients.slice(), ...r };
}

t.test('sums over parts: slot 0 holds gradient sums, parameters untouched', async (t) => {
  const batchSize = 8;
  const reference = referenceSums(batchSize);
  // two "machines" of 2 threads each: parts {0, 1} and {2, 3} of 4
  const halves = [];
  for (const offset of [0, 2]) {
    const { model, source } = setup();
    const before = model.params.slice();
    const group = await ThreadGroup.start(model, source, batchSize, 2, resolveOptions(2, {}));
    try {
      const out = await group.sums(0, 1, { offset, total: 4 });
      halves.push({ ...out, gradients: out.gradients.slice() });
      t.same(Array.from(model.params), Array.from(before), `parts from ${offset}: parameters unchanged`);
    } finally {
      await group.close();
    }
  }
  t.equal(halves[0].count + halves[1].count, reference.count, 'the counts add up');
  t.ok(
    Math.abs(halves[0].sum + halves[1].sum - reference.sum) <= 1e-6 * reference.sum,
    'the loss sums add up',
  );
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < reference.grads.length; i++) {
    diff += (halves[0].gradients[i] + halves[1].gradients[i] - reference.grads[i]) ** 2;
    norm += reference.grads[i] ** 2;
  }
  t.ok(Math.sqrt(diff / norm) <= 1e-6, 'the gradient sums add up to the whole batch');
});
