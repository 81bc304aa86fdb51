// RealRuns and zeroPaddedRows: the runs of real samples a fast cell computes in one call each.
import t from 'tap';
import { RealRuns, zeroPaddedRows } from './real-runs.js';
import type { SequenceDims } from './sequence.js';

const dimsOf = (B: number, lengths: number[] | null): SequenceDims => ({
  T: 4,
  B,
  I: 1,
  H: 2,
  reverse: false,
  lengths: lengths === null ? null : Int32Array.from(lengths),
});

const runsAt = (runs: RealRuns, dims: SequenceDims, t: number) => {
  const n = runs.find(dims, t);
  return Array.from({ length: n }, (_, r) => [runs.bounds[2 * r], runs.bounds[2 * r + 1]]);
};

t.test('maximal runs of consecutive real samples at each step', async (t) => {
  const runs = new RealRuns();
  const dims = dimsOf(6, [4, 0, 2, 3, 4, 1]);
  t.same(runsAt(runs, dims, 0), [
    [0, 1],
    [2, 6],
  ]);
  t.same(runsAt(runs, dims, 1), [
    [0, 1],
    [2, 5],
  ]);
  t.same(runsAt(runs, dims, 2), [
    [0, 1],
    [3, 5],
  ]);
  t.same(runsAt(runs, dims, 3), [
    [0, 1],
    [4, 5],
  ]);
  t.same(runsAt(runs, dimsOf(3, [0, 0, 0]), 0), [], 'no real sample, no run');
  t.same(runsAt(runs, dimsOf(3, null), 2), [[0, 3]], 'no lengths: one run over the batch');
});

t.test('the most runs a batch can have fit, and a larger batch grows the buffer once', async (t) => {
  const runs = new RealRuns();
  t.same(runsAt(runs, dimsOf(5, [1, 0, 1, 0, 1]), 0), [
    [0, 1],
    [2, 3],
    [4, 5],
  ]);
  const grown = runs.bounds;
  t.same(runsAt(runs, dimsOf(4, [1, 0, 1, 0]), 0), [
    [0, 1],
    [2, 3],
  ]);
  t.equal(runs.bounds, grown, 'a smaller batch reuses the buffer');
  t.same(runsAt(runs, dimsOf(9, [1, 0, 1, 0, 1, 0, 1, 0, 1]), 0).length, 5);
  t.not(runs.bounds, grown, 'a larger batch gets a larger buffer');
});

t.test('zeroPaddedRows zeroes exactly the padded rows of one step', async (t) => {
  const dims = dimsOf(3, [2, 0, 1]);
  const view = new Float32Array(4 * 3 * 2).fill(7); // (T, B, 2)
  zeroPaddedRows(view, 1, dims, 2);
  const expected = new Float32Array(24).fill(7);
  expected.fill(0, (1 * 3 + 1) * 2, (1 * 3 + 3) * 2); // step 1: samples 1 and 2 are padded
  t.same(Array.from(view), Array.from(expected));
  zeroPaddedRows(view, 0, dimsOf(3, null), 2);
  t.same(Array.from(view), Array.from(expected), 'no lengths: nothing is padded');
});
