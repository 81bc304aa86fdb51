// recur eval <run>: score a run's checkpoint on its test (or validation) split beside the baseline.
import { loadModel } from '@recur/nn';
import type { Command } from 'commander';
import { CliErrorCode, fail } from '../errors.js';
import { formatScore } from '../report/html.js';
import { checkpointOf, openRun } from '../run/folder.js';
import { prepareTask } from '../tasks/index.js';
import type { CliCommand } from './command.js';

export const evaluate: CliCommand = {
  name: 'eval',
  register(program: Command, context) {
    program
      .command('eval')
      .description(
        "score a run's checkpoint on the test split of its config's data, beside the naive baseline",
      )
      .argument('<run>', 'a run folder (what `recur train` wrote)')
      .option('--checkpoint <which>', 'best or last', 'best')
      .option('--split <name>', 'test or validation', 'test')
      .option('--json', 'print the score as JSON')
      .action(async (folder: string, flags: { checkpoint: string; split: string; json?: boolean }) => {
        if (flags.split !== 'test' && flags.split !== 'validation') {
          fail(CliErrorCode.BAD_FLAG, `--split must be test or validation, got ${flags.split}`);
        }
        const { paths, config } = openRun(folder);
        const checkpoint = checkpointOf(paths, flags.checkpoint);
        const task = await prepareTask(config);
        const { model } = await loadModel(checkpoint);
        const { score } = await task.evaluate(model, flags.split === 'test' ? task.test : task.validation);
        context.write(
          flags.json === true
            ? JSON.stringify(score)
            : `${formatScore(score)} (${flags.split} split)`.replace(/^test /, ''),
        );
      });
  },
};
