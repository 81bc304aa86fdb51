// Tests of the text source: files, folders (order, extensions, recursion), errors and the limit.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { readTextFile, readTextFolder, TEXT_MAX_FILE_BYTES } from './text.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/text/${name}`, import.meta.url));

t.test('reads a file as UTF-8 without its byte-order mark', async (t) => {
  t.equal(await readTextFile(fixture('bom.txt')), 'café\n');
});

t.test('a folder: its files sorted by relative path in code-unit order', async (t) => {
  const files = await readTextFolder(fixture('corpus'));
  t.same(
    files.map((f) => f.file),
    ['B.txt', 'a.txt', 'notes.md'],
  );
  t.equal(files[1].text, 'Call me Ishmael.\n');
});

t.test('extensions filter with or without the dot; recursive goes into sub-folders', async (t) => {
  const txt = await readTextFolder(fixture('corpus'), { extensions: ['txt'], recursive: true });
  t.same(
    txt.map((f) => f.file),
    ['B.txt', 'a.txt', 'sub/c.txt'],
  );
  const md = await readTextFolder(fixture('corpus'), { extensions: ['.md'] });
  t.same(
    md.map((f) => f.text),
    ['# notes\n'],
  );
});

t.test('missing paths and the wrong kind of path are ERR_DATA_NOT_FOUND', async (t) => {
  await t.rejects(readTextFile(fixture('nope.txt')), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /nope\.txt: cannot read \(ENOENT\)/,
  });
  await t.rejects(readTextFolder(fixture('nope')), { code: 'ERR_DATA_NOT_FOUND' });
  await t.rejects(readTextFolder(fixture('bom.txt')), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /bom\.txt: not a folder/,
  });
  await t.rejects(readTextFile(fixture('corpus')), {
    code: 'ERR_DATA_NOT_FOUND',
    message: /corpus: not a file/,
  });
});

t.test('bad options are ERR_DATA_BAD_OPTION', async (t) => {
  await t.rejects(readTextFolder(fixture('corpus'), { extensions: [''] }), { code: 'ERR_DATA_BAD_OPTION' });
  await t.rejects(readTextFile(fixture('bom.txt'), { maxBytes: 0 }), { code: 'ERR_DATA_BAD_OPTION' });
});

t.test('options.maxBytes: a file at the limit reads, one byte over it does not', async (t) => {
  const size = 'café\n'.length + 4; // 3 BOM bytes and a two-byte é
  t.equal(await readTextFile(fixture('bom.txt'), { maxBytes: size }), 'café\n');
  await t.rejects(readTextFile(fixture('bom.txt'), { maxBytes: size - 1 }), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /bom\.txt: 9 bytes, more than 8 \(TEXT_MAX_FILE_BYTES/,
  });
});

t.test('TEXT_MAX_FILE_BYTES: a file one byte over is refused before it is read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-text-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const big = join(dir, 'big.txt');
  writeFileSync(big, '');
  truncateSync(big, TEXT_MAX_FILE_BYTES + 1); // sparse: takes no disk space
  await t.rejects(readTextFile(big), {
    code: 'ERR_DATA_LIMIT_EXCEEDED',
    message: /big\.txt: 268435457 bytes, more than 268435456/,
  });
  await t.rejects(readTextFolder(dir), { code: 'ERR_DATA_LIMIT_EXCEEDED' });
});
