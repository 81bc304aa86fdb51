// Packs: a data set made on the fly (next-token windows) is written as shards in bounded chunks,
// read back byte for byte through openPack with its preprocessing, optional splits may be
// missing, and a missing or broken preprocessing file is a coded error.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { type BatchBuffers, type SequenceDataset, datasetShape as shapeOf } from './dataset.js';
import { openPack, PACK_CHUNK_SAMPLES, writeDatasetShards, writePack } from './pack.js';
import { readAll, sameBytes } from './testing/shard-fixtures.js';
import { nextTokenDataset } from './text/datasets.js';

/** Wraps a data set and records every index read, in order. */
function recorded(dataset: SequenceDataset): SequenceDataset & { reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    ...shapeOf(dataset),
    read(i: number, into: BatchBuffers, b: number): number {
      reads.push(i);
      return dataset.read(i, into, b);
    },
  };
}

const corpus = Int32Array.from({ length: 3 * PACK_CHUNK_SAMPLES * 4 + 9 }, (_, k) => (k * 7919) % 50);
const windows = () => nextTokenDataset(corpus, { sequenceLength: 4 });

t.test('windows made on the fly are packed in chunks and read back byte for byte', async (t) => {
  const dir = t.testdir();
  const train = recorded(windows());
  const counts = writePack(dir, { train }, { vocabulary: ['a', 'b'] }, { samplesPerShard: 1000 });
  t.equal(counts.train, train.size);
  t.same(
    train.reads,
    Array.from({ length: train.size }, (_, i) => i),
    'each sample read once, in order (no copy of the split)',
  );
  const pack = await openPack(dir, { cacheBytes: 1 << 16, blockBytes: 1 << 12 });
  t.same(pack.preprocessing, { vocabulary: ['a', 'b'] });
  t.equal(pack.validation, null, 'a missing split is null');
  const want = readAll(windows());
  const got = readAll(pack.train);
  t.ok(sameBytes(got.x, want.x).ok, 'x');
  t.ok(sameBytes(got.target, want.target).ok, 'targets');
  t.ok(pack.train.cachedBytes <= 1 << 16, `cache ${pack.train.cachedBytes} bytes within its limit`);
  pack.close();
});

t.test('a pack without its preprocessing file, or with a broken one, is refused', async (t) => {
  const dir = t.testdir();
  writeDatasetShards(windows(), join(dir, 'train'), { samplesPerShard: 5000 });
  await t.rejects(openPack(dir), { code: 'ERR_DATA_NOT_FOUND', message: /preprocessing\.json/ });
  writeFileSync(join(dir, 'preprocessing.json'), '{"vocabulary": [');
  await t.rejects(openPack(dir), { code: 'ERR_DATA_BAD_JSON', message: /preprocessing\.json: not JSON/ });
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'preprocessing.json'), 'null\n');
  await t.rejects(openPack(empty), { code: 'ERR_DATA_NOT_FOUND', message: /manifest/ });
  t.throws(() => writeDatasetShards({} as never, join(dir, 'x'), { samplesPerShard: 1 }), {
    code: 'ERR_DATA_BAD_OPTION',
  });
});
