// The pack race (issue 14): a coordinator and its workers on one machine all write
// <run folder>/pack. ensurePack writes aside and renames the whole pack into place, so the folder
// never holds a half-written pack, and a process that finds the same pack published while it
// wrote drops its copy. The interleaving is forced with the beforePublish seam: a second
// ensurePack runs to the end while the first one's pack is written but not yet published.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nextTokenDataset } from '@recur/data';
import t from 'tap';
import { splitOf } from './tasks/common.js';
import { ensurePack, type LanguagePreprocessing, openLanguagePack } from './tasks/language-pack.js';
import { tempFolder } from './testing/recur.js';

const T = 4;
const ids = (n: number) => Int32Array.from({ length: n }, (_, i) => 2 + (i % 5));
const splitsOf = (n: number) => ({
  train: splitOf(nextTokenDataset(ids(n), { sequenceLength: T })),
  validation: splitOf(nextTokenDataset(ids(21), { sequenceLength: T })),
  test: splitOf(nextTokenDataset(ids(21), { sequenceLength: T })),
});
const preprocessing: LanguagePreprocessing = {
  task: 'language-model',
  tokenizer: { kind: 'word' },
  vocabulary: { tokens: [] },
  sequenceLength: T,
  kind: 'word',
};

async function trainSize(folder: string): Promise<number> {
  const pack = await openLanguagePack(folder, 'data.pack.path');
  return pack.train.size;
}

t.test('two writers of one pack: the folder holds no pack or a whole one, and one copy wins', async (t) => {
  const dir = tempFolder('pack-race');
  const folder = join(dir, 'pack');
  const splits = splitsOf(401);
  let inner = 0;
  ensurePack(folder, splits, preprocessing, 16, {
    beforePublish: () => {
      t.notOk(existsSync(folder), 'while the first writer writes, the folder has no pack');
      ensurePack(folder, splits, preprocessing, 16, {
        beforePublish: () => {
          inner++;
          t.notOk(existsSync(folder), 'nor while the second one does');
        },
      });
      t.ok(existsSync(join(folder, 'pack-of.json')), 'the second writer published a whole pack');
    },
  });
  t.equal(inner, 1);
  t.equal(await trainSize(folder), 100, 'the pack reads back');
  t.same(readdirSync(dir), ['pack'], 'no folder left aside');
  // the same pack again is not rewritten
  const stamp = readFileSync(join(folder, 'pack-of.json'), 'utf8');
  ensurePack(folder, splits, preprocessing, 16, { beforePublish: () => t.fail('not rewritten') });
  t.equal(readFileSync(join(folder, 'pack-of.json'), 'utf8'), stamp);
});

t.test('a pack of other data is replaced whole, even when another writer publishes meanwhile', async (t) => {
  const dir = tempFolder('pack-race-replace');
  const folder = join(dir, 'pack');
  ensurePack(folder, splitsOf(201), preprocessing, 16);
  t.equal(await trainSize(folder), 50);
  ensurePack(folder, splitsOf(401), preprocessing, 16, {
    beforePublish: () => {
      t.equal(readdirSync(join(folder, 'train')).length > 0, true, 'the old pack is whole meanwhile');
      ensurePack(folder, splitsOf(301), preprocessing, 16); // a writer with other data wins the race
    },
  });
  t.equal(await trainSize(folder), 100, 'the last writer to publish is the pack');
  t.same(readdirSync(dir), ['pack'], 'no folder left aside');
});
