// `recur coordinator` and `recur worker` as functions: one config describes the run; the
// coordinator prepares the data only to know its size and identity (data hash), owns the model,
// optimizer and checkpoints (last.ckpt in the run folder) and scores the result on the test
// split at the end; each worker prepares the same data locally and trains on its threads.
// The token comes from RECUR_TOKEN or a file, never from the command line. Both sides present
// the run hash of the config (runDescription), so a worker with another seed is refused.
import {
  ClusterError,
  type Coordinator,
  type CoordinatorOptions,
  MIN_TOKEN_LENGTH,
  runHashOf,
  runNode,
  startCoordinator,
} from '@recur/cluster';
import { dataHash } from '@recur/data';
import { loadModel, type Model } from '@recur/nn';
import type { Config } from '../config/schema.js';
import { CliErrorCode, fail } from '../errors.js';
import { formatScore } from '../report/html.js';
import { sourceOf } from '../tasks/common.js';
import { prepareTask, type Split } from '../tasks/index.js';
import { checkPort, checkWsUrl, readTlsPair } from './endpoints.js';
import { createRunFolder } from './folder.js';
import { kernelsUsed } from './kernels.js';
import { readUserFile } from './user-files.js';

export interface ClusterRunOptions {
  /** a file holding the token; default: the RECUR_TOKEN environment variable */
  tokenFile?: string;
  write?: (line: string) => void;
}

export interface CoordinatorRunOptions extends ClusterRunOptions {
  /** host:port to listen on; default the config's cluster.listen, else 127.0.0.1:7070 */
  listen?: string;
  minNodes?: number;
  /** steps between checkpoints; default one epoch */
  checkpointEvery?: number;
  resume?: boolean;
  tls?: { cert: string; key: string };
  /** serve GET /status and GET / without the token */
  publicStatus?: boolean;
  /** stops the run at a step boundary: a checkpoint is written first */
  signal?: AbortSignal;
}

export interface WorkerRunOptions extends ClusterRunOptions {
  /** ws:// or wss:// of the coordinator; default the config's cluster.coordinator */
  connect?: string;
  threads?: number;
  precision?: 'fp32' | 'fp16';
  /** pieces of the gradient sent as the backward finishes layers (runNode's bucketBytes) */
  bucketBytes?: number;
  /** a PEM file of the CA to trust for wss:// */
  ca?: string;
}

/** The cluster's shared secret, from a file or RECUR_TOKEN. */
export function readToken(tokenFile: string | undefined): string {
  const token =
    tokenFile === undefined
      ? process.env.RECUR_TOKEN
      : readUserFile('--token-file', tokenFile).toString('utf8').trim();
  if (token === undefined || token === '') {
    fail(CliErrorCode.BAD_FLAG, 'no cluster token: set RECUR_TOKEN or give --token-file <file>', {
      hint: 'the same token on the coordinator and every worker; never put it on the command line',
    });
  }
  return checkedToken(token);
}

/** The token if it is long enough for @recur/cluster (MIN_TOKEN_LENGTH), else a usage error. */
export function checkedToken(token: string): string {
  if (token.length < MIN_TOKEN_LENGTH) {
    fail(
      CliErrorCode.BAD_FLAG,
      `the cluster token has ${token.length} characters; at least ${MIN_TOKEN_LENGTH} are needed`,
      { hint: 'e.g. RECUR_TOKEN=$(openssl rand -hex 16), the same on the coordinator and every worker' },
    );
  }
  return token;
}

/**
 * What beyond the layout and the training data determines a cluster run: the task, the model
 * section (dropout, units, …), the training settings (seed, optimizer, learning rate,
 * clipping) and the data settings, without what the coordinator alone decides (epochs and batch
 * size, sent to every worker), the threads, and file paths (each machine has its own).
 */
export function runDescription(config: Config): unknown {
  const { epochs: _epochs, batchSize: _batchSize, threads: _threads, ...training } = config.training;
  const { path: _path, ...source } = config.data.source as { path?: string };
  return { task: config.task, model: config.model, training, data: { ...config.data, source } };
}

/** A library error of the coordinator's options or its port: a usage error (exit 2). */
async function startOrUsageError(options: CoordinatorOptions): Promise<Coordinator> {
  try {
    return await startCoordinator(options);
  } catch (error) {
    const code = (error as ClusterError).code;
    if (
      error instanceof ClusterError &&
      ['ERR_CLUSTER_BAD_OPTION', 'ERR_CLUSTER_LISTEN_FAILED'].includes(code)
    )
      fail(CliErrorCode.BAD_FLAG, `${code}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The training split's identity (@recur/data's dataHash of its samples, read a chunk at a time): coordinator and workers must agree on it. */
export function trainHash(split: Split): Promise<string> {
  return dataHash([{ kind: 'samples', dataset: split.dataset }]);
}

function hostPort(listen: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(listen);
  if (match === null) fail(CliErrorCode.BAD_FLAG, `--listen must be host:port, got '${listen}'`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port: checkPort(`--listen ${listen}`, Number(match[2])) };
}

export async function coordinatorRun(config: Config, options: CoordinatorRunOptions = {}) {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const token = readToken(options.tokenFile);
  const task = await prepareTask(config);
  const t = config.training;
  const paths = createRunFolder(config, options.resume === true);
  const model: Model = options.resume === true ? (await loadModel(paths.last)).model : task.buildModel();
  if (model.compiled === null) model.compile(task.compile);
  if (options.resume !== true) model.trainingSeed = t.seed;
  const steps = Math.ceil(task.train.size / t.batchSize);
  const { host, port } = hostPort(options.listen ?? config.cluster?.listen ?? '127.0.0.1:7070');
  const coordinator = await startOrUsageError({
    model,
    resume: options.resume === true,
    data: { size: task.train.size, hash: await trainHash(task.train) },
    runHash: runHashOf(runDescription(config)),
    batchSize: t.batchSize,
    epochs: t.epochs,
    token,
    publicStatus: options.publicStatus === true,
    host,
    port,
    minNodes: options.minNodes ?? config.cluster?.minNodes ?? 1,
    checkpoint: {
      path: paths.last,
      everySteps: options.checkpointEvery ?? steps,
      preprocessing: task.preprocessing,
    },
    ...(options.tls === undefined ? {} : { tls: readTlsPair(options.tls.cert, options.tls.key) }),
    log: write,
    dashboard: { title: config.name, kernels: kernelsUsed(1) },
    onStep: ({ step, loss, members }) => {
      if (step % steps === 0)
        write(`epoch ${step / steps}/${t.epochs}: loss ${loss.toPrecision(4)} (${members} nodes)`);
    },
  });
  write(`${config.name}: ${task.describe}; waiting for workers on ${coordinator.url} (status: GET /status)`);
  write(
    `live page: ${coordinator.url.replace(/^ws/, 'http')}/ (${options.publicStatus === true ? 'public' : 'with the token: Authorization: Bearer or a recur_token cookie'})`,
  );
  if (config.training.earlyStopping !== undefined || config.training.reduceLrOnPlateau !== undefined) {
    write(
      "training.earlyStopping and training.reduceLrOnPlateau apply to `recur train`; the coordinator trains every epoch at the schedule's rate",
    );
  }
  if (options.signal?.aborted) void coordinator.stop();
  options.signal?.addEventListener('abort', () => void coordinator.stop(), { once: true });
  const summary = await coordinator.done;
  if (summary.stopped) {
    // summary.steps is the step the coordinator's checkpoint holds
    fail(CliErrorCode.INTERRUPTED, `stopped at step ${summary.steps}; checkpoint written to ${paths.last}`, {
      hint: 'start it again with `recur coordinator <config> --resume`',
    });
  }
  const evaluation = await task.evaluate(model);
  write(formatScore(evaluation.score));
  write(`checkpoint: ${paths.last}`);
  return { paths, score: evaluation.score };
}

export async function workerRun(config: Config, options: WorkerRunOptions = {}) {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const token = readToken(options.tokenFile);
  const url = options.connect ?? config.cluster?.coordinator;
  if (url === undefined)
    fail(CliErrorCode.BAD_FLAG, 'give --connect ws://host:port (or cluster.coordinator in the config)');
  checkWsUrl(options.connect === undefined ? 'cluster.coordinator' : '--connect', url);
  const task = await prepareTask(config);
  const t = config.training;
  const source = sourceOf(task.train, { shuffle: true, seed: t.seed });
  const bucketBytes = options.bucketBytes ?? config.cluster?.bucketBytes ?? 0;
  if (t.balance && bucketBytes > 0) {
    fail(
      CliErrorCode.BAD_CONFIG,
      `training.balance cannot be combined with gradient pieces (bucketBytes ${bucketBytes}): a piece is final only once every micro-batch is`,
    );
  }
  const summary = await runNode({
    url,
    token,
    model: task.buildModel(),
    source,
    dataHash: await trainHash(task.train),
    runHash: runHashOf(runDescription(config)),
    threads: options.threads ?? config.cluster?.threadsPerNode ?? t.threads,
    threadsOptions: { accumulate: t.accumulate, balance: t.balance },
    precision: options.precision ?? 'fp32',
    bucketBytes,
    ...(options.ca === undefined ? {} : { ca: readUserFile('--ca', options.ca) }),
    log: write,
  });
  write(
    `worker done: ${summary.assignments} assignments over ${summary.connections} connection(s); the run ended at step ${summary.endStep}`,
  );
  return summary;
}
