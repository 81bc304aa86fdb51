// recur data pack <config> --out <folder>: the config's three splits as shard sets
// (@recur/data's format: train/, validation/, test/ each with manifest.json), plus the
// preprocessing JSON, so large data sets are read once and then streamed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createShardWriter } from '@recur/data';
import type { Command } from 'commander';
import { applyOverrides, loadConfig } from '../config/load.js';
import { prepareTask, type Split } from '../tasks/index.js';
import { type CliCommand, integerFlag } from './command.js';

function pack(folder: string, split: Split, samplesPerShard: number): number {
  const x = split.x;
  const ids = x.data instanceof Int32Array;
  const T = x.shape[1];
  const F = ids ? 1 : x.shape[2];
  const labels = split.y.data instanceof Int32Array;
  const perSample = split.y.data.length / split.size;
  const writer = createShardWriter(
    folder,
    {
      dtype: ids ? 'int32' : 'float32',
      steps: T,
      features: F,
      targetDtype: labels ? 'int32' : 'float32',
      targetPerSample: perSample,
      hasLengths: x.lengths !== undefined,
    },
    { samplesPerShard, overwrite: true },
  );
  writer.appendBatch({
    x: x.data,
    ...(x.lengths === undefined ? {} : { lengths: x.lengths }),
    target: split.y.data,
  });
  writer.close();
  return split.size;
}

export const data: CliCommand = {
  name: 'data',
  register(program: Command, context) {
    const group = program.command('data').description('data tools');
    group
      .command('pack')
      .description(
        "write a config's train, validation and test splits as shard sets with the preprocessing JSON",
      )
      .argument('<config>', 'a JSON config')
      .requiredOption('--out <folder>', 'where to write train/, validation/, test/ and preprocessing.json')
      .option('--samples-per-shard <n>', 'samples per shard file', integerFlag(1), 10000)
      .option('--limit <n>', 'at most n samples per split', integerFlag(1))
      .action(async (path: string, flags: { out: string; samplesPerShard: number; limit?: number }) => {
        const config = applyOverrides(
          loadConfig(path),
          flags.limit === undefined ? {} : { limit: flags.limit },
          path,
        );
        const task = await prepareTask(config);
        mkdirSync(flags.out, { recursive: true });
        for (const name of ['train', 'validation', 'test'] as const) {
          const n = pack(join(flags.out, name), task[name], flags.samplesPerShard);
          context.write(`${name}: ${n} samples → ${join(flags.out, name)}`);
        }
        writeFileSync(join(flags.out, 'preprocessing.json'), `${JSON.stringify(task.preprocessing)}\n`);
      });
  },
};
