// recur predict <run> --input <file>: a run's model on new data, one JSON line per prediction.
import { writeFileSync } from 'node:fs';
import { loadModel } from '@recur/nn';
import type { Command } from 'commander';
import { checkpointOf, openRun } from '../run/folder.js';
import { predictFile } from '../run/predict.js';
import { pathProblem } from '../run/user-files.js';
import type { CliCommand } from './command.js';

export const predict: CliCommand = {
  name: 'predict',
  register(program: Command, context) {
    program
      .command('predict')
      .description('run a trained model on new input with the preprocessing saved in its checkpoint')
      .argument('<run>', 'a run folder (what `recur train` wrote)')
      .requiredOption(
        '--input <file>',
        'forecast/seq2seq: a CSV with the config\'s columns; classify: one text per line (or JSON lines with "text"); tag: one sentence per line',
      )
      .option('--output <file>', 'write JSON lines here instead of standard output')
      .option('--checkpoint <which>', 'best or last', 'best')
      .action(async (folder: string, flags: { input: string; output?: string; checkpoint: string }) => {
        const { paths, config } = openRun(folder);
        const { model, preprocessing } = await loadModel(checkpointOf(paths, flags.checkpoint));
        const out = await predictFile(model, config, preprocessing, flags.input);
        const text = out.map((line) => JSON.stringify(line)).join('\n');
        if (flags.output === undefined) context.write(text);
        else {
          try {
            writeFileSync(flags.output, `${text}\n`);
          } catch (error) {
            pathProblem('--output', flags.output, error);
          }
          context.write(`${out.length} predictions written to ${flags.output}`);
        }
      });
  },
};
