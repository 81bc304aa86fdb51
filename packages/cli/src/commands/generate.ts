// recur generate <run>: sample text from a trained language model (one-to-many).
import { charTokenizer, tokenizerFromJSON, vocabularyFromJSON } from '@recur/data';
import { loadModel } from '@recur/nn';
import type { Command } from 'commander';
import { CliErrorCode, fail } from '../errors.js';
import { checkpointOf, openRun } from '../run/folder.js';
import { sampleTexts } from '../tasks/language-model.js';
import { type CliCommand, integerFlag, positiveNumberFlag } from './command.js';

interface GenerateFlags {
  prompt?: string;
  steps?: number;
  temperature?: number;
  topK?: number;
  seed: number;
  samples: number;
  checkpoint: string;
}

export const generateCommand: CliCommand = {
  name: 'generate',
  register(program: Command, context) {
    program
      .command('generate')
      .description('sample text from a trained language model, token by token')
      .argument('<run>', 'a run folder of a language-model config')
      .option('--prompt <text>', "text to start from (default: the config's generate.prompt)")
      .option('--steps <n>', 'tokens to generate (default generate.steps)', integerFlag(1))
      .option(
        '--temperature <t>',
        'below 1 sharpens, above 1 flattens (default generate.temperature)',
        positiveNumberFlag,
      )
      .option('--top-k <k>', 'sample among the k most likely tokens; 0 keeps all', integerFlag(0))
      .option('--seed <n>', 'sampling seed', integerFlag(0), 1)
      .option('--samples <n>', 'how many texts', integerFlag(1), 1)
      .option('--checkpoint <which>', 'best or last', 'best')
      .action(async (folder: string, flags: GenerateFlags) => {
        const { paths, config } = openRun(folder);
        if (config.task !== 'language-model') {
          fail(
            CliErrorCode.UNSUPPORTED,
            `${folder} is a ${config.task} run; generate needs a language-model run`,
          );
        }
        const { model, preprocessing } = await loadModel(checkpointOf(paths, flags.checkpoint));
        const pre = preprocessing as { tokenizer: unknown; vocabulary: unknown; kind: 'char' | 'word' };
        const g = config.generate;
        const texts = sampleTexts(
          model,
          vocabularyFromJSON(pre.vocabulary),
          pre.tokenizer === undefined ? charTokenizer() : tokenizerFromJSON(pre.tokenizer),
          pre.kind,
          {
            prompt: flags.prompt ?? g.prompt,
            steps: flags.steps ?? g.steps,
            temperature: flags.temperature ?? g.temperature,
            topK: flags.topK ?? g.topK,
            samples: flags.samples,
            seed: flags.seed,
          },
        );
        texts.forEach((text, i) => {
          if (texts.length > 1) context.write(`--- sample ${i + 1} of ${texts.length}`);
          context.write(text);
        });
      });
  },
};
