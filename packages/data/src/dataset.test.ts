// arrayDataset reads samples into batch rows, and rejects bad arrays with a coded error naming
// the field; allocateBatchBuffers sizes buffers from a data set.
import t from 'tap';
import { allocateBatchBuffers, arrayDataset } from './dataset.js';

const N = 3;
const T = 4;
const F = 2;
const floats = () => Float32Array.from({ length: N * T * F }, (_, k) => k);

t.test('a float data set copies sample i into row b, with its target and length', async (t) => {
  const data = arrayDataset({
    x: floats(),
    shape: [N, T, F],
    lengths: [4, 2, 3],
    target: Float32Array.from([10, 11, 12]),
    targetShape: [N, 1],
  });
  t.match(data, {
    size: N,
    steps: T,
    features: F,
    ids: false,
    targetPerSample: 1,
    targetKind: 'float',
    hasLengths: true,
  });
  const into = allocateBatchBuffers(data, 2);
  t.equal(data.read(1, into, 1), 2, 'the length of sample 1');
  t.same(
    Array.from((into.x as Float32Array).subarray(T * F)),
    [8, 9, 10, 11, 12, 13, 14, 15],
    'row 1 = sample 1',
  );
  t.equal((into.target as Float32Array)[1], 11, 'its target');
});

t.test('a token-id data set with labels per step', async (t) => {
  const data = arrayDataset({
    x: Int32Array.from({ length: N * T }, (_, k) => k),
    shape: [N, T],
    target: Int32Array.from({ length: N * T }, (_, k) => k % 3),
    targetShape: [N, T],
  });
  t.match(data, { ids: true, features: 1, targetPerSample: T, targetKind: 'labels', hasLengths: false });
  const into = allocateBatchBuffers(data, 1);
  t.equal(into.x, null, 'no float buffer');
  t.ok(into.target instanceof Int32Array, 'label targets');
  t.equal(data.read(2, into, 0), T, 'full length without lengths');
  t.same(Array.from(into.ids as Int32Array), [8, 9, 10, 11]);
});

t.test('a data set without targets has none to write', async (t) => {
  const data = arrayDataset({ x: floats(), shape: [N, T, F] });
  t.equal(data.targetPerSample, 0);
  t.equal(allocateBatchBuffers(data, 4).target, null);
});

const code = { code: 'ERR_DATA_BAD_OPTION' };

t.test('shapes that do not match the data are rejected, naming the field', async (t) => {
  t.throws(() => arrayDataset({ x: floats(), shape: [N, T, F + 1] }), {
    ...code,
    message: /needs 36 values in x, it has 24/,
  });
  t.throws(() => arrayDataset({ x: floats(), shape: [N * T, F] }), {
    ...code,
    message: /shape must be \[N, T, F\]/,
  });
  t.throws(() => arrayDataset({ x: floats(), shape: [N, 0, F] }), { ...code, message: /shape\[1\]/ });
  t.throws(() => arrayDataset({ x: [1, 2] as unknown as Float32Array, shape: [1, 2] }), {
    ...code,
    message: /x must be/,
  });
});

t.test('lengths must be one per sample, integers in [1, T]', async (t) => {
  const x = floats();
  t.throws(() => arrayDataset({ x, shape: [N, T, F], lengths: [1, 2] }), {
    ...code,
    message: /expected 3 lengths/,
  });
  t.throws(() => arrayDataset({ x, shape: [N, T, F], lengths: [1, 0, 2] }), {
    ...code,
    message: /sample 1 has length 0/,
  });
  t.throws(() => arrayDataset({ x, shape: [N, T, F], lengths: [1, 5, 2] }), { ...code, message: /\[1, 4\]/ });
  t.throws(() => arrayDataset({ x, shape: [N, T, F], lengths: [1, 1.5, 2] }), {
    ...code,
    message: /lengths/,
  });
});

t.test('non-finite floats and negative ids are rejected with their sample', async (t) => {
  const x = floats();
  x[T * F * 2 + 3] = Number.NaN;
  t.throws(() => arrayDataset({ x, shape: [N, T, F] }), { ...code, message: /x: sample 2 has NaN/ });
  const ids = new Int32Array(N * T);
  ids[5] = -1;
  t.throws(() => arrayDataset({ x: ids, shape: [N, T] }), { ...code, message: /x: sample 1 has -1/ });
  const target = Float32Array.from([1, Number.POSITIVE_INFINITY, 3]);
  t.throws(() => arrayDataset({ x: floats(), shape: [N, T, F], target }), {
    ...code,
    message: /target: sample 1/,
  });
});

t.test('targets: shape, kind and array type must agree', async (t) => {
  const x = floats();
  t.throws(() => arrayDataset({ x, shape: [N, T, F], target: new Float32Array(4) }), {
    ...code,
    message: /targetShape/,
  });
  t.throws(() => arrayDataset({ x, shape: [N, T, F], target: new Float32Array(3), targetKind: 'labels' }), {
    ...code,
    message: /needs an Int32Array/,
  });
  t.throws(() => arrayDataset({ x, shape: [N, T, F], targetShape: [N, 1] }), {
    ...code,
    message: /without a target/,
  });
});

t.test('allocateBatchBuffers needs a positive maxBatch', async (t) => {
  const data = arrayDataset({ x: floats(), shape: [N, T, F] });
  t.throws(() => allocateBatchBuffers(data, 0), { ...code, message: /maxBatch/ });
  const b = allocateBatchBuffers(data, 5);
  t.equal((b.x as Float32Array).length, 5 * T * F, '(B, T, F)');
  t.equal(b.sampleIndex.length, 5);
});
