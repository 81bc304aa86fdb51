// recur worker <config> --connect ws://host:port: one node of a cluster run (@recur/cluster):
// it prepares the config's data locally, joins the coordinator and trains its share of every
// step on its threads until the run ends; it reconnects with backoff when the connection drops.
import { type Command, Option } from 'commander';
import { applyOverrides, loadConfig, type Overrides } from '../config/load.js';
import { workerRun } from '../run/cluster.js';
import { type CliCommand, integerFlag } from './command.js';

interface WorkerFlags extends Overrides {
  connect?: string;
  tokenFile?: string;
  precision?: 'fp32' | 'fp16';
  bucketBytes?: number;
  ca?: string;
}

export const worker: CliCommand = {
  name: 'worker',
  register(program: Command, context) {
    program
      .command('worker')
      .description(
        "train as one node of a cluster run: the coordinator hands out the steps; this machine's threads compute them",
      )
      .argument('<config>', 'the same JSON config as the coordinator (the data is read here)')
      .option('--connect <url>', 'ws:// or wss:// address of the coordinator (cluster.coordinator)')
      .option(
        '--threads <n>',
        'threads on this machine (cluster.threadsPerNode, else training.threads)',
        integerFlag(1),
      )
      .option('--limit <n>', 'at most n samples per split (data.limit; as the coordinator)', integerFlag(1))
      .addOption(
        new Option('--precision <p>', 'gradients on the wire').choices(['fp32', 'fp16']).default('fp32'),
      )
      .option(
        '--bucket-bytes <n>',
        "send finished layers' gradients in pieces of at least n bytes while the backward goes on (cluster.bucketBytes; 0: one piece)",
        integerFlag(0),
      )
      .option(
        '--token-file <file>',
        'a file holding the cluster token (default: the RECUR_TOKEN environment variable)',
      )
      .option('--ca <file>', 'a CA certificate (PEM) to trust for a wss:// coordinator')
      .addHelpText(
        'after',
        '\nExample:\n  RECUR_TOKEN=change-me-0123456789 recur worker configs/seattle-temperature-cluster.json --connect ws://10.0.0.5:7070 --threads 4\n\nExit codes: 0 the run ended, 1 failed (e.g. ERR_CLUSTER_REFUSED, ERR_CLUSTER_CONNECT_FAILED), 2 bad flag or config.',
      )
      .action(async (path: string, flags: WorkerFlags) => {
        const overrides: Overrides = flags.limit === undefined ? {} : { limit: flags.limit };
        const config = applyOverrides(loadConfig(path), overrides, path);
        await workerRun(config, {
          ...(flags.connect === undefined ? {} : { connect: flags.connect }),
          ...(flags.threads === undefined ? {} : { threads: flags.threads }),
          ...(flags.tokenFile === undefined ? {} : { tokenFile: flags.tokenFile }),
          ...(flags.ca === undefined ? {} : { ca: flags.ca }),
          ...(flags.bucketBytes === undefined ? {} : { bucketBytes: flags.bucketBytes }),
          precision: flags.precision ?? 'fp32',
          write: context.write,
        });
      });
  },
};
