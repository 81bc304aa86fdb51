// `recur train --serve [host:port]`: the live page (@recur/dashboard) of a training on this
// machine. The fit callbacks tell LocalRun about each step and epoch (a push onto arrays,
// nothing more); the page's numbers are built from it at most once per second, and rendered in
// the dashboard's worker thread. Loopback only: no token (see the CLI README, "The live page").
import {
  type DashboardStatus,
  EventLog,
  eta,
  recentRate,
  SCHEMA_VERSION,
  type ServedDashboard,
  serveDashboard,
  thin,
  throughputSeries,
  type WorkerRow,
} from '@recur/dashboard';
import { type Logs, learningRate, type Model } from '@recur/nn';
import type { ThreadsStrategy } from '@recur/parallel';
import { CliErrorCode, fail } from '../errors.js';
import type { PreparedTask } from '../tasks/index.js';
import { type KernelsUsed, kernelsUsed } from './kernels.js';

/** Where `--serve` listens when given no host:port. */
export const DEFAULT_SERVE = '127.0.0.1:7071';

/** How long the page stays up after training, so open pages show the end (ms). */
const LINGER_MS = 1500;

/** Steps kept for the charts (older ones go). */
const HISTORY = 5000;

export interface LocalRunInfo {
  title: string;
  model: Model;
  epochs: number;
  batchesPerEpoch: number;
  kernels: KernelsUsed;
  strategy: ThreadsStrategy | undefined;
  resumed: boolean;
}

interface StepRecord {
  step: number;
  loss: number;
  at: number;
  samples: number;
}

export class LocalRun {
  readonly log = new EventLog();
  private readonly startedAt = performance.now();
  private readonly steps: StepRecord[] = [];
  private readonly validation: DashboardStatus['validation'] = [];
  private state: DashboardStatus['state'] = 'training';
  private samplesBefore = 0;
  private checkpoint: DashboardStatus['checkpoint'] = null;
  /** where training is (fit moves the model's trainingPosition only at checkpoints) */
  private position: { epoch: number; position: number };

  constructor(private readonly info: LocalRunInfo) {
    this.position = { ...info.model.trainingPosition };
    if (info.resumed) this.log.add('restart', `resumed at step ${info.model.compiled?.step ?? 0}`);
  }

  /** After batch `b` of an epoch; `samples`: the epoch's samples so far. */
  batch(b: number, loss: number, samples: number): void {
    if (b === 0) this.samplesBefore = 0;
    this.position.position = b + 1;
    const step = this.info.model.compiled?.step ?? 0;
    this.steps.push({ step, loss, at: performance.now(), samples: samples - this.samplesBefore });
    this.samplesBefore = samples;
    if (this.steps.length > HISTORY) this.steps.shift();
  }

  /** After epoch `e` (0-based): its validation numbers; `saved` the checkpoints it wrote. */
  epoch(e: number, logs: Logs, saved: string[]): void {
    this.position = { epoch: e + 1, position: 0 };
    for (const [name, value] of Object.entries(logs))
      if (name.startsWith('val_')) this.validation.push({ epoch: e + 1, name, value });
    const step = this.info.model.compiled?.step ?? 0;
    for (const name of saved) {
      this.log.add('checkpoint', `${name} at step ${step}`);
      this.checkpoint = { name, step };
    }
  }

  end(stopped: boolean): void {
    this.state = 'ended';
    this.log.add('end', stopped ? 'stopped (Ctrl-C)' : 'training ended');
  }

  snapshot(): DashboardStatus {
    const { model, epochs, batchesPerEpoch, kernels } = this.info;
    const compiled = model.compiled;
    const step = compiled?.step ?? 0;
    const { epoch, position } = this.position;
    const left = Math.max(0, epochs * batchesPerEpoch - (epoch * batchesPerEpoch + position));
    return {
      schemaVersion: SCHEMA_VERSION,
      kind: 'local',
      title: this.info.title,
      state: this.state,
      progress: {
        epoch,
        epochs,
        batch: position,
        batchesPerEpoch,
        step,
        steps: step + left,
        elapsedSeconds: (performance.now() - this.startedAt) / 1000,
        etaSeconds:
          this.state === 'ended'
            ? 0
            : eta(
                this.steps.map((s) => s.at),
                left,
              ),
      },
      samplesPerSecond: recentRate(this.steps),
      throughput: throughputSeries(this.steps, this.startedAt),
      loss: thin(this.steps.map(({ step: s, loss }) => ({ step: s, loss }))),
      validation: [...this.validation],
      learningRate: {
        current: compiled === null ? null : learningRate(compiled, step),
        history:
          compiled === null
            ? []
            : thin(this.steps.map((r) => ({ step: r.step, lr: compiled.schedule(r.step) }))),
      },
      workers: this.workers(),
      events: [...this.log.events],
      kernels: { backend: kernels.backend, isa: kernels.isa, threads: kernels.threads },
      checkpoint: this.checkpoint,
    };
  }

  /** One row per thread: threads(W)'s own timings, or this thread's step times. */
  private workers(): WorkerRow[] {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const row = (rank: number, steps: number, computeMs: number, waitMs: number): WorkerRow => ({
      id: `thread ${rank}`,
      rank,
      threads: 1,
      steps,
      stepsPerSecond: seconds > 0 ? steps / seconds : 0,
      computeMs,
      waitMs,
      bytesInPerStep: null,
      bytesOutPerStep: null,
      attempts: 0,
      evictions: 0,
      lastSeenMsAgo: null,
    });
    const strategy = this.info.strategy;
    if (strategy === undefined) {
      const n = this.steps.length;
      const ms = n > 1 ? (this.steps[n - 1].at - this.steps[0].at) / (n - 1) : 0;
      return [row(0, n, ms, 0)];
    }
    return strategy
      .timings()
      .map((t) =>
        row(t.rank, t.steps, t.steps > 0 ? t.computeMs / t.steps : 0, t.steps > 0 ? t.waitMs / t.steps : 0),
      );
  }
}

/** Starts the live page on `listen` (loopback host:port); a usage error if it cannot. */
export async function serveLocalRun(listen: string, run: LocalRun): Promise<ServedDashboard> {
  const match = /^(.*):(\d+)$/.exec(listen);
  if (match === null) fail(CliErrorCode.BAD_FLAG, `--serve must be host:port, got '${listen}'`);
  try {
    return await serveDashboard(match[1].replace(/^\[|\]$/g, ''), Number(match[2]), {
      snapshot: () => run.snapshot(),
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    return fail(CliErrorCode.BAD_FLAG, `--serve: ${code}: ${(error as Error).message}`, {
      hint: `the page listens on loopback (e.g. --serve ${DEFAULT_SERVE}); to watch from another machine, forward the port: ssh -L 7071:127.0.0.1:7071 <this host>`,
      cause: error,
    });
  }
}

/** The live page when `serve` is given (its URL written), else null. */
export async function startLive(
  serve: string | undefined,
  task: PreparedTask,
  model: Model,
  strategy: ThreadsStrategy | undefined,
  resumed: boolean,
  write: (line: string) => void,
): Promise<{ run: LocalRun; close: () => Promise<void> } | null> {
  if (serve === undefined) return null;
  const t = task.config.training;
  const run = new LocalRun({
    title: task.config.name,
    model,
    epochs: t.epochs,
    batchesPerEpoch: Math.ceil(task.train.size / t.batchSize),
    kernels: kernelsUsed(t.threads),
    strategy,
    resumed,
  });
  const served = await serveLocalRun(serve, run);
  write(`live page: ${served.url} (JSON at ${served.url}status)`);
  const close = async () => {
    run.end(model.trainingPosition.epoch < t.epochs);
    await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
    await served.close();
  };
  return { run, close };
}
