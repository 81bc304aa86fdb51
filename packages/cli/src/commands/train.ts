// recur train <config>: train the config's model on its data, with a progress bar, a run folder
// and a report. Ctrl-C (SIGINT) stops after the current step and writes last.ckpt.
import type { Command } from 'commander';
import { applyOverrides, loadConfig, type Overrides } from '../config/load.js';
import { DEFAULT_SERVE } from '../run/live.js';
import { trainRun } from '../run/train.js';
import { type CliCommand, integerFlag } from './command.js';

interface TrainFlags extends Overrides {
  resume?: boolean;
  smoke?: boolean;
  serve?: string | true;
}

/** --smoke: one epoch on at most 64 samples per split, batches of 16: checks a config end to end in seconds. */
export const SMOKE = { epochs: 1, limit: 64, batchSize: 16 } as const;

export const train: CliCommand = {
  name: 'train',
  register(program: Command, context) {
    program
      .command('train')
      .description(
        'train the model a config describes, on its data; writes a run folder with checkpoints, metrics.jsonl and report.html',
      )
      .argument('<config>', 'a JSON config (see configs/)')
      .option(
        '--threads <n>',
        'worker threads (training.threads); > 1 trains on @recur/parallel threads',
        integerFlag(1),
      )
      .option('--epochs <n>', 'epochs (training.epochs)', integerFlag(1))
      .option('--batch-size <n>', 'samples per step (training.batchSize)', integerFlag(1))
      .option('--seed <n>', 'seed of initialisation, shuffling and dropout (training.seed)', integerFlag(0))
      .option('--output <folder>', 'run folder (output; default runs/<name>)')
      .option('--limit <n>', 'at most n samples per split (data.limit)', integerFlag(1))
      .option(
        '--smoke',
        `a smoke run: ${SMOKE.epochs} epoch, --limit ${SMOKE.limit}, --batch-size ${SMOKE.batchSize} (flags given win)`,
      )
      .option('--resume', "continue from the run folder's last.ckpt")
      .option(
        '--serve [host:port]',
        `serve the live page (progress, charts, threads, events; JSON at /status) while training; loopback only, default ${DEFAULT_SERVE}`,
      )
      .addHelpText(
        'after',
        '\nExamples:\n  recur train configs/seattle-temperature.json\n  recur train configs/imdb-sentiment.json --threads 2 --epochs 1\n  recur train my.json --smoke --output /tmp/try\n\nCtrl-C stops after the current step and writes last.ckpt; --resume continues from it.\nExit codes: 0 done, 1 failed, 2 bad flag or config, 130 stopped by Ctrl-C.',
      )
      .action(async (path: string, flags: TrainFlags) => {
        const smoke = flags.smoke === true ? SMOKE : {};
        const overrides: Overrides = { ...smoke };
        for (const key of ['threads', 'epochs', 'batchSize', 'seed', 'output', 'limit'] as const) {
          if (flags[key] !== undefined) (overrides as Record<string, unknown>)[key] = flags[key];
        }
        const config = applyOverrides(loadConfig(path), overrides, path);
        const controller = new AbortController();
        const onSigint = () => {
          context.write('stopping after the current step (Ctrl-C again to quit at once)…');
          controller.abort();
          process.once('SIGINT', () => process.exit(130));
        };
        process.once('SIGINT', onSigint);
        try {
          await trainRun(config, {
            resume: flags.resume === true,
            signal: controller.signal,
            write: context.write,
            ...(flags.serve === undefined
              ? {}
              : { serve: flags.serve === true ? DEFAULT_SERVE : flags.serve }),
          });
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
      });
  },
};
