// The streaming reader's memory bound: reading every sample of a data set many times larger than
// the block cache, in several orders, never lets the cache grow past its limit; and the reader's
// options are checked.
import t from 'tap';
import { openShards } from './shard-reader.js';
import { buffersFor, makeData, readAll, sameBytes, spec, writeData } from './testing/shard-fixtures.js';

t.test('reading a data set 30× the cache limit three times keeps the cache within its limit', async (t) => {
  const s = spec({ steps: 32, features: 8, targetPerSample: 4 }); // 1 KiB of x per sample
  const N = 2000;
  const data = makeData(s, N, 11);
  const folder = t.testdir();
  writeData(folder, s, data, 300, 'batch'); // 7 shards, about 2.1 MB
  const limit = 64 << 10;
  const ds = await openShards(folder, { cacheBytes: limit, blockBytes: 4 << 10, maxOpenFiles: 2 });
  t.teardown(() => ds.close());
  t.equal(ds.cacheLimitBytes, limit);
  const buffers = buffersFor(ds, 1);
  const orders = [
    Array.from({ length: N }, (_, i) => i),
    Array.from({ length: N }, (_, i) => N - 1 - i),
    Array.from({ length: N }, (_, i) => (i * 7919) % N),
  ];
  let peak = 0;
  for (const order of orders) {
    for (const i of order) {
      ds.read(i, buffers, 0);
      peak = Math.max(peak, ds.cachedBytes);
    }
  }
  t.ok(N * 1024 > 30 * limit, 'the data set is over 30× the cache');
  t.equal(peak, limit, `the cache filled up to its limit and no further (peak ${peak} bytes)`);
  const r = sameBytes(data.x, readAll(ds, orders[2]).x);
  t.ok(r.ok, `data still right after evictions: ${r.message}`);
  ds.close();
  t.equal(ds.cachedBytes, 0, 'close frees the cache');
});

t.test('a sample larger than a block is read across blocks', async (t) => {
  const s = spec({ steps: 50, features: 10 }); // 2000 bytes of x per sample
  const data = makeData(s, 9);
  const folder = t.testdir();
  writeData(folder, s, data, 4);
  const ds = await openShards(folder, { blockBytes: 256, cacheBytes: 1024 });
  t.teardown(() => ds.close());
  const back = readAll(ds);
  t.ok(sameBytes(data.x, back.x).ok, 'x');
  t.ok(sameBytes(data.target, back.target).ok, 'target');
  t.ok(ds.cachedBytes <= 1024, 'cache within 1 KiB');
});

t.test('the reader checks its options', async (t) => {
  const folder = t.testdir();
  writeData(folder, spec(), makeData(spec(), 2), 2);
  const bad = (o: object, message: RegExp) =>
    t.rejects(openShards(folder, o as never), { code: 'ERR_DATA_BAD_OPTION', message });
  await bad({ blockBytes: 6 }, /blockBytes must be a positive multiple of 4/);
  await bad({ blockBytes: 4096, cacheBytes: 4092 }, /cacheBytes must be an integer ≥ blockBytes/);
  await bad({ maxOpenFiles: 0 }, /maxOpenFiles/);
  await bad({ verify: 'yes' }, /verify/);
});

t.test('a missing folder or manifest is ERR_DATA_NOT_FOUND', async (t) => {
  await t.rejects(openShards(`${t.testdir()}/nothing-here`), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /manifest.json: no manifest/,
  });
});
