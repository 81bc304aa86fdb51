// The node's data view: a part inside the assigned range is read from exactly those positions of
// the epoch's order (the same samples as the plain source's fill); a part outside it, another
// epoch, or no assignment yet is ERR_CLUSTER_BAD_FRAME; a source without fillRange is refused.
import { ArraySource, allocateBatchBuffers } from '@recur/nn';
import t from 'tap';
import { AssignedRangeSource, type RangeSource } from './assigned-source.js';

const N = 10;
const source = new ArraySource(
  { data: Float32Array.from({ length: N }, (_, i) => i), shape: [N, 1, 1] },
  { data: Float32Array.from({ length: N }, (_, i) => 100 + i), shape: [N, 1] },
  { shuffle: true, seed: 7 },
);
const buffers = () => allocateBatchBuffers(4, 1, false, 1, false);

t.test('parts inside the assigned range read what fill reads', async (t) => {
  const view = new AssignedRangeSource(source);
  // batch 1 of size 4 (positions 4..8), 4 parts; this node holds parts 1 and 2: positions [5, 7)
  view.assign({ epoch: 3, start: 5, end: 7 });
  for (const part of [1, 2]) {
    const a = buffers();
    const b = buffers();
    const n = view.fill(a, 3, 1, 4, part, 4);
    t.equal(n, source.fill(b, 3, 1, 4, part, 4));
    t.same(Array.from(a.x?.subarray(0, n) ?? []), Array.from(b.x?.subarray(0, n) ?? []));
    t.same(Array.from(a.sampleIndex.subarray(0, n)), Array.from(b.sampleIndex.subarray(0, n)));
  }
});

t.test('a part outside the assigned range is refused', async (t) => {
  const view = new AssignedRangeSource(source);
  t.throws(() => view.fill(buffers(), 3, 1, 4, 0, 4), { code: 'ERR_CLUSTER_BAD_FRAME' }, 'no assignment yet');
  view.assign({ epoch: 3, start: 5, end: 7 });
  t.throws(() => view.fill(buffers(), 3, 1, 4, 0, 4), { code: 'ERR_CLUSTER_BAD_FRAME' }, 'position 4');
  t.throws(() => view.fill(buffers(), 3, 1, 4, 3, 4), { code: 'ERR_CLUSTER_BAD_FRAME' }, 'position 7');
  t.throws(() => view.fill(buffers(), 2, 1, 4, 1, 4), { code: 'ERR_CLUSTER_BAD_FRAME' }, 'another epoch');
  const noRange = { size: N, hasLengths: false, fill: () => 0 } as unknown as RangeSource;
  t.throws(() => new AssignedRangeSource(noRange), { code: 'ERR_CLUSTER_BAD_OPTION' });
});
