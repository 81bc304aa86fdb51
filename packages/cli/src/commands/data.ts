// recur data pack <config> --out <folder>: the config's three splits as shard sets
// (@recur/data's format: train/, validation/, test/ each with manifest.json), plus the
// preprocessing JSON, so large data sets are read once and then streamed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writePack } from '@recur/data';
import type { Command } from 'commander';
import { applyOverrides, loadConfig } from '../config/load.js';
import { prepareTask } from '../tasks/index.js';
import { type CliCommand, integerFlag } from './command.js';

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
        // Each split's samples are made and written a shard at a time (writePack's bounded memory).
        const counts = writePack(
          flags.out,
          { train: task.train.dataset, validation: task.validation.dataset, test: task.test.dataset },
          task.preprocessing,
          { samplesPerShard: flags.samplesPerShard, overwrite: true },
        );
        for (const name of ['train', 'validation', 'test'] as const) {
          context.write(`${name}: ${counts[name]} samples → ${join(flags.out, name)}`);
        }
      });
  },
};
