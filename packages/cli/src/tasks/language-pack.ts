// Language-model splits from a shard pack (@recur/data's writePack/openPack): `data.source:
// { kind: 'shards', path }` trains from a pack that `recur data pack` wrote, and `data.pack`
// writes the corpus's splits as a pack once (again when its preprocessing or sizes change) and
// then trains from it. Either way the windows are streamed from the shards a block at a time;
// the preprocessing (tokenizer, vocabulary, sequence length) comes from the pack's JSON.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** Opens the pack at `path` (`what` names the config key) and checks it holds a language model's splits. */
export async function openLanguagePack(path: string, what: string, limit?: number): Promise<PackedSplits> {
  let pack: OpenPack;
  try {
    pack = await openPack(path);
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

/** Writes the splits to `folder` unless a pack with the same preprocessing and sizes is there. */
export function ensurePack(
  folder: string,
  splits: { train: Split; validation: Split; test: Split },
  preprocessing: LanguagePreprocessing,
  samplesPerShard: number,
): void {
  const stamp = JSON.stringify({
    preprocessing,
    sizes: [splits.train.size, splits.validation.size, splits.test.size],
  });
  const stampPath = join(folder, 'pack-of.json');
  if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) return;
  rmSync(stampPath, { force: true });
  writePack(
    folder,
    { train: splits.train.dataset, validation: splits.validation.dataset, test: splits.test.dataset },
    preprocessing,
    { samplesPerShard, overwrite: true },
  );
  // written last: a pack interrupted while writing has no stamp and is written again
  writeFileSync(stampPath, stamp);
}
