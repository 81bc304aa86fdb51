// recur summary <config | run | checkpoint>: the model's layers, shapes and parameter counts.
import { existsSync, statSync } from 'node:fs';
import { loadModel } from '@recur/nn';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { CliErrorCode, fail } from '../errors.js';
import { openRun } from '../run/folder.js';
import { prepareTask } from '../tasks/index.js';
import type { CliCommand } from './command.js';

export const summary: CliCommand = {
  name: 'summary',
  register(program: Command, context) {
    program
      .command('summary')
      .description(
        'print the model of a config (its data is read to size the vocabulary), a run folder or a checkpoint',
      )
      .argument('<path>', 'a JSON config, a run folder, or a .ckpt file')
      .action(async (path: string) => {
        if (!existsSync(path)) fail(CliErrorCode.NOT_FOUND, `${path} does not exist`);
        if (statSync(path).isDirectory()) {
          const { paths, config } = openRun(path);
          const file = existsSync(paths.best) ? paths.best : paths.last;
          if (!existsSync(file)) fail(CliErrorCode.BAD_RUN, `${path} holds no checkpoint yet`);
          context.write(`${config.name} (${config.task}), ${file}`);
          context.write((await loadModel(file)).model.summary());
          return;
        }
        if (path.endsWith('.json')) {
          const config = loadConfig(path);
          const task = await prepareTask(config);
          context.write(`${config.name} (${config.task}): ${task.describe}`);
          context.write(task.buildModel().summary());
          return;
        }
        context.write((await loadModel(path)).model.summary());
      });
  },
};
