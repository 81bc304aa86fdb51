// The SharedArrayBuffer variant: the same samples as the streaming reader, rebuilt from its
// description without copying (also in a real worker thread), and its description checked.
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { openShards } from './shard-reader.js';
import { fromShared, loadShardsShared } from './shard-shared.js';
import { buffersFor, makeData, readAll, sameBytes, spec, writeData } from './testing/shard-fixtures.js';

for (const over of [{}, { dtype: 'int32', features: 1, targetDtype: 'int32', hasLengths: false }] as const) {
  t.test(
    `the shared variant reads the same samples as the file variant (x ${over.dtype ?? 'float32'})`,
    async (t) => {
      const s = spec(over);
      const folder = t.testdir();
      writeData(folder, s, makeData(s, 17, 9), 5);
      const file = await openShards(folder);
      t.teardown(() => file.close());
      const shared = await loadShardsShared(folder);
      t.match(shared, {
        size: file.size,
        steps: file.steps,
        ids: file.ids,
        targetKind: file.targetKind,
        hasLengths: file.hasLengths,
      });
      const order = Array.from({ length: 17 }, (_, i) => (i * 5) % 17);
      const a = readAll(file, order);
      const b = readAll(shared, order);
      for (const key of ['x', 'lengths', 'target'] as const) t.ok(sameBytes(a[key], b[key]).ok, key);
    },
  );
}

t.test('fromShared(transferable()) reads the same memory, not a copy', async (t) => {
  const s = spec();
  const folder = t.testdir();
  writeData(folder, s, makeData(s, 6), 4);
  const shared = await loadShardsShared(folder);
  const desc = shared.transferable();
  t.ok(desc.buffers.x instanceof SharedArrayBuffer, 'x is shared');
  const twin = fromShared(structuredClone(desc));
  new Float32Array(desc.buffers.x)[0] = 42; // sample 0, step 0, feature 0
  const into = buffersFor(twin, 1);
  twin.read(0, into, 0);
  t.equal(into.x?.[0], 42, 'a write through one view is seen through the other');
});

t.test('a worker thread reads the shared samples from the posted description', async (t) => {
  const s = spec();
  const folder = t.testdir();
  const data = makeData(s, 8);
  writeData(folder, s, data, 3);
  const shared = await loadShardsShared(folder);
  // The worker sums x through its own view of the buffer and marks that it ran by writing -1.
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const x = new Float32Array(workerData.buffers.x);
    let sum = 0; for (let k = 0; k < x.length; k++) sum += x[k];
    new Int32Array(workerData.buffers.lengths)[0] = -1;
    parentPort.postMessage(sum);`;
  const worker = new Worker(code, { eval: true, workerData: shared.transferable() });
  const sum = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  let want = 0;
  for (let k = 0; k < data.x.length; k++) want += data.x[k];
  t.ok(Math.abs(sum - want) < 1e-9 * Math.max(1, Math.abs(want)), `same sum (${sum})`);
  t.equal(shared.read(0, buffersFor(shared, 1), 0), -1, 'the worker wrote into the one shared copy');
});

t.test('fromShared checks its description', async (t) => {
  const s = spec();
  const folder = t.testdir();
  writeData(folder, s, makeData(s, 4), 4);
  const desc = (await loadShardsShared(folder)).transferable();
  const bad = (d: object, message: RegExp) =>
    t.throws(() => fromShared(d as never), { code: 'ERR_DATA_BAD_OPTION', message });
  bad({ ...desc, size: 5 }, /buffers.x must be a SharedArrayBuffer of 300 bytes/);
  bad({ ...desc, buffers: { ...desc.buffers, x: new ArrayBuffer(240) } }, /buffers.x/);
  bad({ ...desc, buffers: { ...desc.buffers, lengths: null } }, /buffers.lengths/);
  bad({ ...desc, spec: { ...desc.spec, steps: -1 } }, /steps/);
});
