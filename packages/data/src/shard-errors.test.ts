// Broken shard sets: each is refused with a coded error naming the file and what differs — a
// truncated shard, a corrupted byte (checksum), manifest entries missing or wrong, a newer format
// version, a header over SHARD_MAX_HEADER_BYTES (and one exactly at it, accepted).
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { SHARD_MAX_HEADER_BYTES, SHARD_PREAMBLE_BYTES } from './shard-format.js';
import { openShards } from './shard-reader.js';
import { loadShardsShared } from './shard-shared.js';
import {
  buffersFor,
  editManifest,
  makeData,
  readAll,
  sameBytes,
  spec,
  writeData,
} from './testing/shard-fixtures.js';

const s = spec();

/** A shard set of 12 samples in 3 shards of 4; returns its folder and the data written. */
function fixture(t: Test) {
  const folder = t.testdir();
  const data = makeData(s, 12, 5);
  writeData(folder, s, data, 4);
  return { folder, data, shard: (k: number) => join(folder, `shard-0000${k}.rshd`) };
}

t.test('a truncated shard is refused at open, naming the file and where its data ends', async (t) => {
  const { folder, shard } = fixture(t);
  const bytes = readFileSync(shard(2)).length;
  truncateSync(shard(2), bytes - 10);
  await t.rejects(openShards(folder), {
    code: 'ERR_DATA_BAD_SHARD',
    message: new RegExp(`shard-00002.rshd: truncated: ${bytes - 10} bytes, the header says ${bytes}`),
  });
  await t.rejects(loadShardsShared(folder), { code: 'ERR_DATA_BAD_SHARD', message: /truncated/ });
});

t.test('a shard truncated inside its header is refused', async (t) => {
  const { folder, shard } = fixture(t);
  truncateSync(shard(0), 40);
  await t.rejects(openShards(folder), {
    code: 'ERR_DATA_BAD_SHARD',
    message: /shard-00000.rshd: truncated inside the header/,
  });
});

t.test('a corrupted payload byte fails the checksum on first use of that shard only', async (t) => {
  const { folder, data, shard } = fixture(t);
  const bytes = readFileSync(shard(1));
  bytes[bytes.length - 20] ^= 0x40;
  writeFileSync(shard(1), bytes);
  const ds = await openShards(folder);
  t.teardown(() => ds.close());
  const one = buffersFor(ds, 1);
  t.throws(() => ds.read(5, one, 0), {
    code: 'ERR_DATA_BAD_SHARD',
    message: /shard-00001.rshd: payload \(bytes \d+\.\.\d+\) has SHA-256 [0-9a-f]{64}, the header says/,
  });
  const back = readAll(ds, [0, 1, 2, 3]);
  t.ok(sameBytes(data.x.subarray(0, 60), back.x.subarray(0, 60)).ok, 'shard 0 still reads');
  await t.rejects(loadShardsShared(folder), {
    code: 'ERR_DATA_BAD_SHARD',
    message: /shard-00001.rshd: .*SHA-256/,
  });
});

t.test('with verify: false a corrupted shard reads without a checksum pass', async (t) => {
  const { folder, shard } = fixture(t);
  const bytes = readFileSync(shard(1));
  bytes[bytes.length - 20] ^= 0x40;
  writeFileSync(shard(1), bytes);
  const ds = await openShards(folder, { verify: false });
  t.teardown(() => ds.close());
  t.equal(ds.read(5, buffersFor(ds, 1), 0) > 0, true);
});

t.test('a manifest entry missing a field is refused, naming the entry and the field', async (t) => {
  const { folder } = fixture(t);
  editManifest(folder, (m) => {
    delete (m.shards[1] as { sha256?: string }).sha256;
  });
  await t.rejects(openShards(folder), {
    code: 'ERR_DATA_BAD_SHARD',
    message: /manifest.json: shards\[1\]\.sha256 is missing/,
  });
});

t.test('a manifest listing a shard file that is not there is refused', async (t) => {
  const { folder, shard } = fixture(t);
  rmSync(shard(2));
  await t.rejects(openShards(folder), { code: 'ERR_DATA_NOT_FOUND', message: /shard-00002.rshd/ });
});

t.test('a manifest whose counts disagree with the shards is refused', async (t) => {
  const { folder } = fixture(t);
  editManifest(folder, (m) => {
    m.shards[0].samples = 5;
    m.samples = 13;
  });
  await t.rejects(openShards(folder), {
    code: 'ERR_DATA_BAD_SHARD',
    message: /shard-00000.rshd: header count 4, the manifest says 5/,
  });
});

t.test('a manifest dropping a shard entry fails its sample total', async (t) => {
  const { folder } = fixture(t);
  editManifest(folder, (m) => {
    m.shards.pop();
  });
  await t.rejects(openShards(folder), {
    code: 'ERR_DATA_BAD_SHARD',
    message: /samples is 12 but the shards hold 8/,
  });
});

t.test('a shard of format version 2 is refused as newer than this reader', async (t) => {
  const { folder, shard } = fixture(t);
  const bytes = readFileSync(shard(0));
  bytes.writeUInt32LE(2, 4);
  writeFileSync(shard(0), bytes);
  await t.rejects(openShards(folder), {
    code: 'ERR_DATA_BAD_SHARD',
    message: /version 2 is newer than this reader \(version 1\); upgrade/,
  });
});

t.test('a manifest of version 2 is refused', async (t) => {
  const { folder } = fixture(t);
  editManifest(folder, (m) => {
    m.version = 2;
  });
  await t.rejects(openShards(folder), { code: 'ERR_DATA_BAD_SHARD', message: /manifest version 2/ });
});

t.test('a file without the RSHD magic is not a shard', async (t) => {
  const { folder, shard } = fixture(t);
  const bytes = readFileSync(shard(0));
  bytes.write('RSHX', 0, 'latin1');
  writeFileSync(shard(0), bytes);
  await t.rejects(openShards(folder), { code: 'ERR_DATA_BAD_SHARD', message: /not a shard/ });
});

/** Rewrites shard k with its header JSON padded to `headerBytes` and fixes the manifest's size. */
function repad(folder: string, path: string, k: number, headerBytes: number): void {
  const old = readFileSync(path);
  const oldHeader = old.readUInt32LE(8);
  const json = old.toString('utf8', SHARD_PREAMBLE_BYTES, SHARD_PREAMBLE_BYTES + oldHeader).trimEnd();
  const out = Buffer.alloc(SHARD_PREAMBLE_BYTES + headerBytes, 0x20);
  old.copy(out, 0, 0, 8);
  out.writeUInt32LE(headerBytes, 8);
  out.write(json, SHARD_PREAMBLE_BYTES, 'utf8');
  const file = Buffer.concat([out, old.subarray(SHARD_PREAMBLE_BYTES + oldHeader)]);
  writeFileSync(path, file);
  editManifest(folder, (m) => {
    m.shards[k].bytes = file.length;
  });
}

t.test('a header of exactly SHARD_MAX_HEADER_BYTES is read', async (t) => {
  const { folder, data, shard } = fixture(t);
  repad(folder, shard(1), 1, SHARD_MAX_HEADER_BYTES);
  const ds = await openShards(folder);
  t.teardown(() => ds.close());
  t.ok(sameBytes(data.x, readAll(ds).x).ok, 'same data behind a 1 MiB header');
});

t.test('a header one byte over SHARD_MAX_HEADER_BYTES is refused before it is read', async (t) => {
  const { folder, shard } = fixture(t);
  repad(folder, shard(1), 1, SHARD_MAX_HEADER_BYTES + 1);
  await t.rejects(openShards(folder), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /shard-00001.rshd: header of 1048577 bytes .* exceeds SHARD_MAX_HEADER_BYTES = 1048576/,
  });
});

t.test('a header whose JSON does not parse is refused', async (t) => {
  const { folder, shard } = fixture(t);
  const bytes = readFileSync(shard(0));
  bytes.write('{"dtype":', SHARD_PREAMBLE_BYTES + 1, 'utf8');
  writeFileSync(shard(0), bytes);
  await t.rejects(openShards(folder), {
    code: 'ERR_DATA_BAD_SHARD',
    message: /header JSON at byte 12 does not parse/,
  });
});
