// Language-model splits from a shard pack (@recur/data's writePack/openPack): `data.source:
// { kind: 'shards', path }` trains from a pack that `recur data pack` wrote, and `data.pack`
// writes the corpus's splits as a pack once (again when its preprocessing or sizes change) and
// then trains from it. Either way the windows are streamed from the shards a block at a time;
// the preprocessing (tokenizer, vocabulary, sequence length) comes from the pack's JSON.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type OpenPack, openPack, type SequenceDataset, writePack } from '@recur/data';
import { CliErrorCode, fail } from '../errors.js';
import { type Split, splitOf } from './common.js';

export interface LanguagePreprocessing {
  task: 'language-model';
  tokenizer: unknown;
  vocabulary: unknown;
  sequenceLength: number;
  kind: 'char' | 'word';
}

export interface PackedSplits {
  train: Split;
  validation: Split;
  test: Split;
  preprocessing: LanguagePreprocessing;
}

/**
 * The block cache of each split's shard reader: training reads samples in a random order, so a
 * block of one page (4 KiB) reads little more than the sample it is read for, and 4 MiB a split
 * (12 MiB a pack) bound the memory whatever the pack's size. @recur/data's defaults (64 KiB
 * blocks, 64 MiB a split) let a pack's readers hold up to 192 MiB: the peak RSS of `recur train`
 * grew 29% from a 4 MiB pack to a 64 MiB one (scripts/bench-data.mjs, 2026-12-07).
 */
export const PACK_READER = { cacheBytes: 4 << 20, blockBytes: 4 << 10 } as const;

/** Opens the pack at `path` (`what` names the config key) and checks it holds a language model's splits. */
export async function openLanguagePack(path: string, what: string, limit?: number): Promise<PackedSplits> {
  let pack: OpenPack;
  try {
    pack = await openPack(path, PACK_READER);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return fail(
      code === 'ERR_DATA_NOT_FOUND' ? CliErrorCode.NOT_FOUND : CliErrorCode.BAD_CONFIG,
      `${what}: ${path} is not a readable shard pack (${code}: ${(error as Error).message})`,
      { hint: 'write one with `recur data pack <config> --out <folder>`' },
    );
  }
  const pre = pack.preprocessing as Partial<LanguagePreprocessing> | null;
  if (pre?.task !== 'language-model' || typeof pre.sequenceLength !== 'number') {
    pack.close();
    fail(
      CliErrorCode.BAD_CONFIG,
      `${what}: ${path}/preprocessing.json is not a language model's (task ${JSON.stringify(pre?.task)})`,
    );
  }
  const part = (name: 'validation' | 'test'): SequenceDataset => {
    const dataset = pack[name];
    if (dataset === null) {
      pack.close();
      return fail(CliErrorCode.BAD_CONFIG, `${what}: ${path} has no ${name}/ shard set`);
    }
    return dataset;
  };
  return {
    train: splitOf(pack.train, limit),
    validation: splitOf(part('validation'), limit),
    test: splitOf(part('test'), limit),
    preprocessing: pre as LanguagePreprocessing,
  };
}

/** Test seam (fault injection): runs between writing the pack aside and publishing it. */
export interface EnsurePackHooks {
  beforePublish?: () => void;
}

/**
 * Writes the splits to `folder` unless a pack with the same preprocessing and sizes is there.
 * Processes on one machine may do this at once (a coordinator and its workers share the run
 * folder), so the pack is written to a folder of its own beside `folder` and renamed into place
 * whole: `folder` holds either no pack, an older one, or a complete one with its stamp, never a
 * half-written one. When another process published the same pack first, this one's copy is dropped.
 */
export function ensurePack(
  folder: string,
  splits: { train: Split; validation: Split; test: Split },
  preprocessing: LanguagePreprocessing,
  samplesPerShard: number,
  hooks: EnsurePackHooks = {},
): void {
  const stamp = JSON.stringify({
    preprocessing,
    sizes: [splits.train.size, splits.validation.size, splits.test.size],
  });
  if (stampOf(folder) === stamp) return;
  const aside = `${folder}.writing-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writePack(
      aside,
      { train: splits.train.dataset, validation: splits.validation.dataset, test: splits.test.dataset },
      preprocessing,
      { samplesPerShard, overwrite: true },
    );
    writeFileSync(join(aside, PACK_STAMP), stamp);
    hooks.beforePublish?.();
    publish(aside, folder, stamp);
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
}

const PACK_STAMP = 'pack-of.json';

function stampOf(folder: string): string | null {
  try {
    return readFileSync(join(folder, PACK_STAMP), 'utf8');
  } catch {
    return null;
  }
}

/** Renames the complete pack `aside` to `folder`, moving an older pack out of the way first. */
function publish(aside: string, folder: string, stamp: string): void {
  mkdirSync(dirname(folder), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      renameSync(aside, folder);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    if (stampOf(folder) === stamp) return; // another process published the same pack
    const old = `${folder}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(folder, old);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error; // someone moved it: try again
    }
    rmSync(old, { recursive: true, force: true });
  }
  if (stampOf(folder) !== stamp) {
    fail(CliErrorCode.BAD_PATH, `${folder}: another process keeps writing a different pack here`);
  }
}
