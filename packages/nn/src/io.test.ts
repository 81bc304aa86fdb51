// The byte helpers: atomic writes (success, replacement, cleanup on failure), byte swapping,
// little-endian copies and the padded JSON header.
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import t from 'tap';
import {
  alignedCopy,
  maxHeaderBytes,
  paddedJson,
  putLittleEndian,
  swapBytes,
  temporaryPath,
  writeFileAtomic,
} from './io.js';

t.test('writeFileAtomic writes, replaces, and leaves no temporary file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-io-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'f.bin');
  await writeFileAtomic(path, Uint8Array.from([1, 2, 3]));
  await writeFileAtomic(path, Uint8Array.from([4]));
  t.same([...(await readFile(path))], [4]);
  t.same(await readdir(dir), ['f.bin']);
});

t.test('writeFileAtomic removes its temporary file when the rename fails', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'recur-io-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'folder'));
  await t.rejects(writeFileAtomic(join(dir, 'folder'), Uint8Array.from([1])));
  t.same(await readdir(dir), ['folder']);
  t.same(await readdir(join(dir, 'folder')), []);
});

t.test('temporary names are in the target folder and differ per call', async (t) => {
  const [a, b] = [temporaryPath('/x/y.ckpt'), temporaryPath('/x/y.ckpt')];
  t.equal(dirname(a), '/x');
  t.match(a, new RegExp(`^/x/y\\.ckpt\\.tmp-${process.pid}-[0-9a-f]{12}$`));
  t.not(a, b);
});

t.test('swapBytes reverses each item; copies are little-endian', async (t) => {
  const bytes = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  swapBytes(bytes, 4);
  t.same([...bytes], [4, 3, 2, 1, 8, 7, 6, 5]);
  const target = new Uint8Array(6);
  putLittleEndian(target, 2, Uint32Array.from([0x04030201]));
  t.same([...target], [0, 0, 1, 2, 3, 4]);
  t.same([...new Uint32Array(alignedCopy(target.subarray(2), 4))], [0x04030201]);
});

t.test('paddedJson pads with spaces to a multiple of 8 bytes, counting UTF-8 bytes', async (t) => {
  const padded = paddedJson({ a: 'é' });
  t.equal(padded.length, 16);
  t.same(JSON.parse(new TextDecoder().decode(padded)), { a: 'é' });
  t.equal(paddedJson('1234567').length, 16, '9 bytes of JSON pad to 16');
  t.equal(paddedJson('123456').length, 8);
});

t.test('maxHeaderBytes takes the fallback or a positive integer', async (t) => {
  t.equal(maxHeaderBytes({}, 10), 10);
  t.equal(maxHeaderBytes({ maxHeaderBytes: 3 }, 10), 3);
  t.throws(() => maxHeaderBytes({ maxHeaderBytes: -1 }, 10), {
    code: 'ERR_NN_BAD_OPTION',
    message: /options.maxHeaderBytes must be a positive integer, got -1/,
  });
});
