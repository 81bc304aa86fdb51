// The step phases as plain functions (issue 5): the chunks of P cover it exactly once on
// 64-byte boundaries, and the one-pass reduce is bit for bit "sum the slots in rank order, then
// @recur/nn's reduceRange" — what one thread does with the whole batch's gradient.

import { reduceRange } from '@recur/nn';
import t from 'tap';
import { chunkOf, reduceChunk } from './phases.js';

t.test('chunks cover [0, P) exactly once, in rank order, on 16-float boundaries', (t) => {
  for (const P of [1, 15, 16, 17, 1000, 83_457]) {
    for (const W of [1, 2, 3, 7]) {
      let next = 0;
      for (let r = 0; r < W; r++) {
        const [start, end] = chunkOf(P, r, W);
        if (start !== next || end < start || (end !== P && end % 16 !== 0)) {
          t.fail(`P=${P} W=${W} rank ${r}: [${start}, ${end}) after ${next}`);
        }
        next = end;
      }
      if (next !== P) t.fail(`P=${P} W=${W}: covered up to ${next}`);
    }
  }
  t.pass('every (P, W) tried');
  t.end();
});

t.test('the one-pass reduce equals summing in rank order then reduceRange, bit for bit', (t) => {
  const P = 1037;
  for (const W of [1, 2, 3]) {
    const slots = Array.from({ length: W }, (_, r) =>
      Float32Array.from({ length: P }, (_, i) => Math.sin(i * 0.37 + r) * 10 ** (i % 5)),
    );
    const expected = new Float32Array(P);
    for (let i = 0; i < P; i++) {
      let acc = 0;
      for (let r = 0; r < W; r++) acc += slots[r][i];
      expected[i] = acc;
    }
    const expectedNorm = reduceRange(expected, 0, P, 77);
    let norm = 0;
    for (let r = 0; r < W; r++) {
      const [start, end] = chunkOf(P, r, W);
      norm += reduceChunk(slots, start, end, 77);
    }
    t.same(Array.from(slots[0]), Array.from(expected), `W = ${W}: the same mean gradient`);
    t.ok(Math.abs(norm - expectedNorm) <= 1e-12 * expectedNorm, `W = ${W}: the same squared norm`);
  }
  t.end();
});
