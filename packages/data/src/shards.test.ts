// Shard writer and reader round trips: every combination of x dtype, target dtype and lengths,
// several shards, random order, an empty set, leftover .tmp files, a crash before close, and the
// writer's refusals. Broken shards: shard-errors.test.ts; memory: shard-reader.test.ts.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openShards } from './shard-reader.js';
import { createShardWriter } from './shard-writer.js';
import { makeData, readAll, sameBytes, spec, writeData } from './testing/shard-fixtures.js';

for (const dtype of ['float32', 'int32'] as const) {
  for (const targetDtype of ['float32', 'int32'] as const) {
    for (const hasLengths of [true, false]) {
      const name = `x ${dtype}, targets ${targetDtype}, ${hasLengths ? 'with' : 'without'} lengths`;
      t.test(`round trip: ${name}, over several shards`, async (t) => {
        const s = spec({
          dtype,
          features: dtype === 'int32' ? 1 : 3,
          targetDtype,
          hasLengths,
          targetPerSample: 3,
        });
        const data = makeData(s, 23, 7);
        const folder = t.testdir();
        const manifest = writeData(folder, s, data, 5, hasLengths ? 'append' : 'batch');
        t.same(
          manifest.shards.map((e) => e.samples),
          [5, 5, 5, 5, 3],
          'five shards, the last one partial',
        );
        const ds = await openShards(folder);
        t.teardown(() => ds.close());
        t.match(ds, {
          size: 23,
          steps: 5,
          ids: dtype === 'int32',
          targetKind: targetDtype === 'int32' ? 'labels' : 'float',
          hasLengths,
        });
        const back = readAll(ds);
        for (const key of ['x', 'lengths', 'target'] as const) {
          const r = sameBytes(data[key], back[key]);
          t.ok(r.ok, `${key}: ${r.message}`);
        }
      });
    }
  }
}

t.test('without lengths every sample reports T steps', async (t) => {
  const s = spec({ hasLengths: false });
  const folder = t.testdir();
  writeData(folder, s, makeData(s, 4), 3);
  const ds = await openShards(folder);
  t.teardown(() => ds.close());
  const buffers = {
    x: new Float32Array(15),
    ids: null,
    lengths: new Int32Array(1),
    target: null,
    sampleIndex: new Int32Array(1),
  };
  t.equal(ds.read(2, buffers, 0), 5);
  t.equal(buffers.lengths[0], 5);
});

t.test('a data set with no targets round-trips and leaves target buffers alone', async (t) => {
  const s = spec({ targetPerSample: 0 });
  const data = makeData(s, 9);
  const folder = t.testdir();
  writeData(folder, s, data, 4);
  const ds = await openShards(folder);
  t.teardown(() => ds.close());
  t.equal(ds.targetPerSample, 0);
  const r = sameBytes(data.x, readAll(ds).x);
  t.ok(r.ok, r.message);
});

t.test('random order reads match the data (shard switches in both directions)', async (t) => {
  const s = spec();
  const data = makeData(s, 40, 3);
  const folder = t.testdir();
  writeData(folder, s, data, 6);
  const ds = await openShards(folder, { blockBytes: 64, cacheBytes: 256 });
  t.teardown(() => ds.close());
  const order = Array.from({ length: 40 }, (_, i) => (i * 17) % 40);
  const back = readAll(ds, order);
  const r = sameBytes(data.x, back.x);
  t.ok(r.ok, r.message);
  t.ok(sameBytes(data.target, back.target).ok, 'targets');
});

t.test('an empty data set writes a manifest with no shards and reads as size 0', async (t) => {
  const folder = t.testdir();
  const manifest = createShardWriter(folder, spec(), { samplesPerShard: 4 }).close();
  t.same(manifest.shards, []);
  const ds = await openShards(folder);
  t.equal(ds.size, 0);
  t.throws(() => readAll(ds, [0]), { code: 'ERR_DATA_BAD_OPTION' });
});

t.test('leftover .tmp files are ignored by the reader', async (t) => {
  const s = spec();
  const data = makeData(s, 10);
  const folder = t.testdir();
  writeData(folder, s, data, 4);
  writeFileSync(join(folder, 'shard-00003.rshd.tmp'), 'RSHD half a shard');
  writeFileSync(join(folder, 'shard-00000.rshd.tmp'), 'garbage');
  const ds = await openShards(folder);
  t.teardown(() => ds.close());
  t.ok(sameBytes(data.x, readAll(ds).x).ok, 'data read from the whole shards only');
});

t.test('a crash before close leaves finished shards, one .tmp and no manifest: nothing opens', async (t) => {
  const s = spec();
  const data = makeData(s, 7);
  const folder = t.testdir();
  const writer = createShardWriter(folder, s, { samplesPerShard: 3 });
  writer.appendBatch({ x: data.x, lengths: data.lengths, target: data.target }); // 3 + 3 + 1 open
  t.same(readdirSync(folder).sort(), ['shard-00000.rshd', 'shard-00001.rshd', 'shard-00002.rshd.tmp']);
  await t.rejects(openShards(folder), { code: 'ERR_DATA_NOT_FOUND', message: /no manifest/ });
  writer.abort();
  t.same(readdirSync(folder).sort(), ['shard-00000.rshd', 'shard-00001.rshd'], 'abort removes the .tmp');
});

t.test('the writer refuses to write over a shard set unless overwrite is set', async (t) => {
  const s = spec();
  const folder = t.testdir();
  writeData(folder, s, makeData(s, 5, 1), 2); // shards 0, 1, 2
  t.throws(() => createShardWriter(folder, s, { samplesPerShard: 2 }), {
    code: 'ERR_DATA_BAD_OPTION',
    message: /overwrite/,
  });
  const data = makeData(s, 3, 2);
  const writer = createShardWriter(folder, s, { samplesPerShard: 2, overwrite: true });
  writer.appendBatch({ x: data.x, lengths: data.lengths, target: data.target });
  writer.close();
  const ds = await openShards(folder);
  t.teardown(() => ds.close());
  t.equal(ds.size, 3);
  t.ok(sameBytes(data.x, readAll(ds).x).ok, 'the new data');
  t.same(
    readdirSync(folder).sort(),
    ['manifest.json', 'shard-00000.rshd', 'shard-00001.rshd'],
    'old shard 2 removed',
  );
});

t.test('the writer checks samples before writing anything', async (t) => {
  const s = spec({ dtype: 'int32', features: 1, targetDtype: 'int32', targetPerSample: 1 });
  const writer = createShardWriter(t.testdir(), s, { samplesPerShard: 2 });
  const x = new Int32Array(5);
  const bad = (sample: object, message: RegExp) =>
    t.throws(() => writer.append(sample as never), { code: 'ERR_DATA_BAD_OPTION', message });
  bad({ x: new Int32Array(4), length: 2, target: 1 }, /T·F = 5/);
  bad({ x, target: 1 }, /length is required/);
  bad({ x, length: 6, target: 1 }, /outside 1\.\.5/);
  bad({ x, length: 2 }, /needs 1 target/);
  bad({ x: [1, 2, 3.5, 4, 5], length: 2, target: 1 }, /not an int32/);
  bad({ x, length: 2, target: 0.5 }, /labels/);
  writer.append({ x, length: 2, target: 3 });
  t.equal(writer.samples, 1, 'only the good sample counted');
  writer.abort();
});

t.test('the writer checks its spec and options', async (t) => {
  const folder = t.testdir();
  const bad = (s: object, o: object, message: RegExp) =>
    t.throws(() => createShardWriter(folder, s as never, o as never), {
      code: 'ERR_DATA_BAD_OPTION',
      message,
    });
  bad(spec({ dtype: 'float64' as never }), { samplesPerShard: 1 }, /dtype/);
  bad(spec({ steps: 0 }), { samplesPerShard: 1 }, /steps/);
  bad(spec({ dtype: 'int32', features: 2 }), { samplesPerShard: 1 }, /features must be 1/);
  bad(spec(), { samplesPerShard: 0 }, /samplesPerShard/);
  bad(spec(), { samplesPerShard: 1, bufferBytes: 6 }, /bufferBytes/);
});

t.test('a write buffer smaller than a sample still writes it whole', async (t) => {
  const s = spec({ steps: 7, features: 5 });
  const data = makeData(s, 6);
  const folder = t.testdir();
  const writer = createShardWriter(folder, s, { samplesPerShard: 4, bufferBytes: 12 });
  writer.appendBatch({ x: data.x, lengths: data.lengths, target: data.target });
  writer.close();
  const ds = await openShards(folder);
  t.teardown(() => ds.close());
  t.ok(sameBytes(data.x, readAll(ds).x).ok, 'x');
});
