// recur coordinator <config>: serve a cluster run (@recur/cluster): wait for workers, hand out
// the steps, apply the optimizer, checkpoint; at the end score the model on the test split.
// Ctrl-C or SIGTERM stops after the current step with a checkpoint; --resume continues from it.
import type { Command } from 'commander';
import { applyOverrides, loadConfig, type Overrides } from '../config/load.js';
import { CliErrorCode, fail } from '../errors.js';
import { coordinatorRun } from '../run/cluster.js';
import { type CliCommand, integerFlag } from './command.js';

interface CoordinatorFlags extends Overrides {
  listen?: string;
  minNodes?: number;
  checkpointEvery?: number;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  resume?: boolean;
  publicStatus?: boolean;
}

/** --tls-cert and --tls-key come together (half of them would serve plain ws://). */
function tlsFlags(flags: CoordinatorFlags): { tls?: { cert: string; key: string } } {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    fail(
      CliErrorCode.BAD_FLAG,
      `--${flags.tlsCert === undefined ? 'tls-key' : 'tls-cert'} needs --${flags.tlsCert === undefined ? 'tls-cert' : 'tls-key'} too`,
      {
        hint: 'give both to serve wss://, or neither for ws://',
      },
    );
  }
  return flags.tlsCert !== undefined && flags.tlsKey !== undefined
    ? { tls: { cert: flags.tlsCert, key: flags.tlsKey } }
    : {};
}

export const coordinator: CliCommand = {
  name: 'coordinator',
  register(program: Command, context) {
    program
      .command('coordinator')
      .description(
        'serve a cluster run of a config: workers connect, train on their threads, and this process owns the model',
      )
      .argument('<config>', 'a JSON config (see configs/seattle-temperature-cluster.json)')
      .option('--listen <host:port>', 'where to listen (cluster.listen; default 127.0.0.1:7070)')
      .option(
        '--min-nodes <n>',
        'workers to wait for before training (cluster.minNodes; default 1)',
        integerFlag(1),
      )
      .option('--checkpoint-every <n>', 'steps between checkpoints (default: one epoch)', integerFlag(1))
      .option('--epochs <n>', 'epochs (training.epochs)', integerFlag(1))
      .option('--batch-size <n>', 'samples per step (training.batchSize)', integerFlag(1))
      .option(
        '--limit <n>',
        'at most n samples per split (data.limit; give the workers the same)',
        integerFlag(1),
      )
      .option('--output <folder>', 'run folder (output; default runs/<name>)')
      .option(
        '--token-file <file>',
        'a file holding the cluster token (default: the RECUR_TOKEN environment variable)',
      )
      .option('--tls-cert <file>', 'serve wss:// with this certificate (PEM), with --tls-key')
      .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
      .option('--resume', "continue from the run folder's last.ckpt")
      .option(
        '--public-status',
        'serve the live page (GET /, /status, /events) without the token (default: token needed)',
      )
      .addHelpText(
        'after',
        '\nExample (two terminals, or two machines with --listen 0.0.0.0:7070):\n  RECUR_TOKEN=change-me-0123456789 recur coordinator configs/seattle-temperature-cluster.json\n  RECUR_TOKEN=change-me-0123456789 recur worker configs/seattle-temperature-cluster.json --connect ws://127.0.0.1:7070\n\nThe token never goes on the command line (at least 8 characters). http://<listen>/ is the live page (JSON at /status)\nfor holders of the token (Authorization: Bearer <token>, or a recur_token cookie) unless --public-status.\nExit codes: 0 done, 1 failed, 2 bad flag or config, 130 stopped by Ctrl-C or SIGTERM.',
      )
      .action(async (path: string, flags: CoordinatorFlags) => {
        const overrides: Overrides = {};
        for (const key of ['epochs', 'batchSize', 'output', 'limit'] as const) {
          if (flags[key] !== undefined) (overrides as Record<string, unknown>)[key] = flags[key];
        }
        const config = applyOverrides(loadConfig(path), overrides, path);
        const tls = tlsFlags(flags);
        const controller = new AbortController();
        const onSigint = () => {
          context.write('writing the checkpoint and stopping…');
          controller.abort();
        };
        process.once('SIGINT', onSigint);
        process.once('SIGTERM', onSigint);
        try {
          await coordinatorRun(config, {
            ...(flags.listen === undefined ? {} : { listen: flags.listen }),
            ...(flags.minNodes === undefined ? {} : { minNodes: flags.minNodes }),
            ...(flags.checkpointEvery === undefined ? {} : { checkpointEvery: flags.checkpointEvery }),
            ...(flags.tokenFile === undefined ? {} : { tokenFile: flags.tokenFile }),
            ...tls,
            resume: flags.resume === true,
            publicStatus: flags.publicStatus === true,
            signal: controller.signal,
            write: context.write,
          });
        } finally {
          process.removeListener('SIGINT', onSigint);
          process.removeListener('SIGTERM', onSigint);
        }
      });
  },
};
