// dataHash: stable across calls, independent of paths and of object key order, and different as
// soon as a byte of a file, a shard's content, a sample or a preprocessing value changes.
import { createHash } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { arrayDataset } from './dataset.js';
import { canonicalJson, type DataHashPart, dataHash, SAMPLE_HASH_CHUNK } from './hash.js';
import { openShards } from './shard-reader.js';
import { makeData, spec, writeData } from './testing/shard-fixtures.js';

const scaler = { kind: 'z-score', mean: [1.5, -2], std: [0.5, 3], columns: ['temp', 'wind'] };

function setup(t: Test) {
  const dir = t.testdir({ 'train.csv': 'date,temp\n2020-01-01,3.5\n2020-01-02,4.25\n' });
  const shards = join(dir, 'shards');
  writeData(shards, spec(), makeData(spec(), 9, 4), 4);
  const parts: DataHashPart[] = [
    { kind: 'file', path: join(dir, 'train.csv') },
    { kind: 'shards', folder: shards },
    { kind: 'json', value: scaler },
  ];
  return { dir, shards, parts };
}

t.test('the hash is 64 hex digits and the same on every call', async (t) => {
  const { parts } = setup(t);
  const a = await dataHash(parts);
  t.match(a, /^[0-9a-f]{64}$/);
  t.equal(await dataHash(parts), a);
});

t.test('one changed byte of a file changes the hash; the path does not', async (t) => {
  const { dir, parts } = setup(t);
  const before = await dataHash(parts);
  const copy = join(dir, 'elsewhere.csv');
  copyFileSync(join(dir, 'train.csv'), copy);
  t.equal(await dataHash([{ kind: 'file', path: copy }, parts[1], parts[2]]), before, 'same bytes elsewhere');
  writeFileSync(copy, 'date,temp\n2020-01-01,3.5\n2020-01-02,4.26\n');
  t.not(await dataHash([{ kind: 'file', path: copy }, parts[1], parts[2]]), before, 'one digit changed');
});

t.test('a preprocessing value changes the hash; key order does not', async (t) => {
  const { parts } = setup(t);
  const before = await dataHash(parts);
  const reordered = { columns: ['temp', 'wind'], std: [0.5, 3], mean: [1.5, -2], kind: 'z-score' };
  t.equal(await dataHash([parts[0], parts[1], { kind: 'json', value: reordered }]), before, 'keys reordered');
  const changed = { ...scaler, std: [0.5, 3.0001] };
  t.not(await dataHash([parts[0], parts[1], { kind: 'json', value: changed }]), before, 'one value changed');
});

t.test('different shard content changes the hash', async (t) => {
  const { dir, parts } = setup(t);
  const before = await dataHash(parts);
  const other = join(dir, 'other-shards');
  writeData(other, spec(), makeData(spec(), 9, 5), 4);
  t.not(await dataHash([parts[0], { kind: 'shards', folder: other }, parts[2]]), before);
});

t.test('part order counts (it fixes sample indices)', async (t) => {
  const { parts } = setup(t);
  t.not(await dataHash([parts[2], parts[1], parts[0]]), await dataHash(parts));
});

t.test('canonical JSON sorts keys at every depth and writes typed arrays as arrays', async (t) => {
  t.equal(
    canonicalJson({ b: { d: [1, { z: 0, a: 'x' }], c: null }, a: new Float64Array([0.5, 2]) }),
    '{"a":[0.5,2],"b":{"c":null,"d":[1,{"a":"x","z":0}]}}',
  );
});

t.test('values JSON cannot hold exactly are refused, naming where', async (t) => {
  const bad = (value: unknown, message: RegExp) =>
    t.rejects(dataHash([{ kind: 'json', value }]), { code: 'ERR_DATA_BAD_OPTION', message });
  await bad({ mean: [1, Number.NaN] }, /parts\[0\]\.value\.mean\[1\] is NaN/);
  await bad({ vocab: new Map() }, /value\.vocab is a Map/);
  await bad({ f: undefined }, /value\.f is undefined, which JSON cannot hold/);
  const loop: Record<string, unknown> = {};
  loop.self = loop;
  await bad(loop, /refers back to itself/);
  await t.rejects(dataHash([{ kind: 'nope' } as never]), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /kind must be/,
  });
});

t.test('a missing file or shard folder is ERR_DATA_NOT_FOUND', async (t) => {
  const dir = t.testdir();
  await t.rejects(dataHash([{ kind: 'file', path: join(dir, 'missing.csv') }]), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /missing.csv/,
  });
  await t.rejects(dataHash([{ kind: 'shards', folder: dir }]), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /manifest/,
  });
});

t.test("'samples' hashes a data set's samples: the same in memory and streamed from shards", async (t) => {
  const dir = t.testdir();
  const s = spec();
  const n = SAMPLE_HASH_CHUNK + 44; // crosses a chunk boundary
  const data = makeData(s, n, 3);
  writeData(join(dir, 'shards'), s, data, 64);
  const inMemory = arrayDataset({
    x: data.x,
    shape: [n, s.steps, s.features],
    lengths: data.lengths,
    target: data.target,
  });
  const streamed = await openShards(join(dir, 'shards'), { cacheBytes: 1 << 16, blockBytes: 1 << 12 });
  const a = await dataHash([{ kind: 'samples', dataset: inMemory }]);
  t.equal(await dataHash([{ kind: 'samples', dataset: streamed }]), a, 'shards = arrays');
  streamed.close();
  const target = (data.target as Float32Array).slice();
  target[2 * n - 1] += 0.5;
  const changed = arrayDataset({ x: data.x, shape: [n, s.steps, s.features], lengths: data.lengths, target });
  t.not(await dataHash([{ kind: 'samples', dataset: changed }]), a, 'the last target value changed');
  const x = (data.x as Float32Array).slice();
  const lengths = data.lengths as Int32Array;
  const padded = lengths.findIndex((len) => len < s.steps);
  x[(padded * s.steps + s.steps - 1) * s.features] = 42; // past that sample's length
  const padding = arrayDataset({ x, shape: [n, s.steps, s.features], lengths, target: data.target });
  t.equal(await dataHash([{ kind: 'samples', dataset: padding }]), a, 'padding past a length does not count');
});

t.test("'samples' follows Note [data hash] byte for byte", async (t) => {
  const ids = Int32Array.from([4, 5, 6, 7, 8, 9]); // (N=2, T=3)
  const dataset = arrayDataset({ x: ids, shape: [2, 3], lengths: [3, 2], target: Int32Array.from([1, 0]) });
  const part = createHash('sha256');
  part.update(
    '{"features":1,"hasLengths":true,"ids":true,"size":2,"steps":3,"targetKind":"labels","targetPerSample":1}',
  );
  const le = (values: number[]) => new Uint8Array(Int32Array.from(values).buffer);
  for (const row of [le([4, 5, 6, 3, 1]), le([7, 8, 0, 2, 0])]) part.update(row);
  const expected = createHash('sha256')
    .update(`recur-data-hash/1\nsamples ${part.digest('hex')}\n`)
    .digest('hex');
  t.equal(await dataHash([{ kind: 'samples', dataset }]), expected);
  await t.rejects(dataHash([{ kind: 'samples', dataset: {} as never }]), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /parts\[0\]\.dataset must be a SequenceDataset/,
  });
});
