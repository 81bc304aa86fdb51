// threads(W): a TrainingStrategy for @recur/nn's fit that trains one model on W worker threads
// (DESIGN.md, "Threads"). The main thread owns the shared arena (parameters, one gradient slot
// per rank, optimizer moments, each rank's workspace and batch buffers), fills every rank's
// batch buffers from the batch source (so any source works, and the data stays in one place),
// and commands each step through the control block; the ranks compute, all-reduce in shared
// memory and update, and the main thread wakes when the last one finishes. No message per step.
//
// The Piscina pool is pinned (minThreads = maxThreads = W) and runs exactly one long task per
// rank, because a barrier across tasks would deadlock on a task still waiting in the queue.
import { availableParallelism } from 'node:os';
import {
  Arena,
  type BatchBuffers,
  type BatchSource,
  buffersFor,
  type Compiled,
  type Model,
  NnErrorCode,
  RecurError,
  SizeCounter,
  type TrainingStrategy,
} from '@recur/nn';
import { Piscina } from 'piscina';
import {
  abortAll,
  aborted,
  Command,
  type ControlBlock,
  controlBlock,
  Field,
  Stat,
  stat,
  sumStat,
  waitAsyncWhile,
} from './control.js';
import { ParallelError, ParallelErrorCode } from './errors.js';
import type { FaultInjection, RankInit, RankOutcome } from './rank-init.js';

export interface ThreadsOptions {
  /** micro-batches per rank per optimizer step (gradient accumulation); default 1 */
  accumulate?: number;
  /** the longest a rank waits at a barrier for the others; default 60 000 ms */
  barrierTimeoutMs?: number;
  /** the longest the main thread waits for one step; default 600 000 ms */
  stepTimeoutMs?: number;
  /** the longest the threads may take to start and attach; default 30 000 ms */
  startTimeoutMs?: number;
  /** the longest a rank waits for the next command (validation, callbacks); default 3 600 000 ms */
  idleTimeoutMs?: number;
  /** the longest closing may take before the threads are terminated; default 10 000 ms */
  closeTimeoutMs?: number;
  /** test-only fault injection (see README) */
  inject?: FaultInjection;
}

export const THREADS_LIMITS = {
  /** most threads threads() accepts */
  maxWorld: 256,
  /** most micro-batches per rank */
  maxAccumulate: 1024,
} as const;

/** Samples and steps so far, read from shared counters (no messages). */
export interface ThreadsProgress {
  steps: number;
  samples: number;
}

/** Milliseconds each rank spent per phase, summed over the steps it ran. */
export interface RankTimings {
  rank: number;
  steps: number;
  computeMs: number;
  waitMs: number;
  reduceMs: number;
  updateMs: number;
}

export interface ThreadsStrategy extends TrainingStrategy {
  readonly world: number;
  progress(): ThreadsProgress;
  timings(): RankTimings[];
}

const DEFAULTS = {
  accumulate: 1,
  barrierTimeoutMs: 60_000,
  stepTimeoutMs: 600_000,
  startTimeoutMs: 30_000,
  idleTimeoutMs: 3_600_000,
  closeTimeoutMs: 10_000,
};

/** The compiled rank worker; from src/ (tests) and dist/ alike it lies in the package's dist/. */
const WORKER_URL = new URL('../dist/rank-worker.js', import.meta.url).href;

/** A strategy that trains on `world` threads (default: the available cores). */
export function threads(
  world: number = availableParallelism(),
  options: ThreadsOptions = {},
): ThreadsStrategy {
  const o = resolveOptions(world, options);
  let run: Run | null = null;
  let lastProgress: ThreadsProgress = { steps: 0, samples: 0 };
  let lastTimings: RankTimings[] = [];
  const closeRun = async () => {
    if (run === null) return;
    const ending = run;
    run = null;
    lastProgress = ending.progress();
    lastTimings = ending.timings();
    await ending.close();
  };
  return {
    name: `threads(${world})`,
    world,
    async step(model, source, epoch, batchIndex, batchSize) {
      if (run !== null && !run.serves(model, source, batchSize)) await closeRun();
      run ??= await Run.start(model, source, batchSize, world, o);
      try {
        return await run.step(epoch, batchIndex);
      } catch (error) {
        await closeRun();
        throw error;
      }
    },
    close: closeRun,
    progress: () => run?.progress() ?? lastProgress,
    timings: () => run?.timings() ?? lastTimings,
  };
}

type Resolved = typeof DEFAULTS & { inject: FaultInjection | null };

function resolveOptions(world: number, options: ThreadsOptions): Resolved {
  const bad = (what: string, got: unknown, rule: string): never => {
    throw new ParallelError(
      ParallelErrorCode.BAD_OPTION,
      `threads: ${what} must be ${rule}, got ${JSON.stringify(got)}`,
    );
  };
  if (!Number.isInteger(world) || world < 1 || world > THREADS_LIMITS.maxWorld) {
    bad('the thread count', world, `an integer in [1, ${THREADS_LIMITS.maxWorld}] (THREADS_LIMITS.maxWorld)`);
  }
  if (typeof options !== 'object' || options === null) bad('options', options, 'an object');
  const known = new Set([...Object.keys(DEFAULTS), 'inject']);
  for (const key of Object.keys(options))
    if (!known.has(key)) bad(`option '${key}'`, key, `one of ${[...known].join(', ')}`);
  const out: Resolved = { ...DEFAULTS, inject: options.inject ?? null };
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const value = options[key];
    if (value === undefined) continue;
    const max = key === 'accumulate' ? THREADS_LIMITS.maxAccumulate : 2 ** 31 - 1;
    if (!Number.isInteger(value) || value < 1 || value > max) bad(key, value, `an integer in [1, ${max}]`);
    out[key] = value;
  }
  return out;
}

/** One pool of W rank threads over one shared arena, for one model, source and batch size. */
class Run {
  private failure: { rank: number; outcome: RankOutcome | Error } | null = null;
  /** resolves when the first failure is recorded */
  private readonly failed: Promise<void>;
  private onFailure: () => void = () => {};
  private readonly settled: Promise<unknown>;

  private constructor(
    private readonly model: Model,
    private readonly source: BatchSource,
    private readonly batchSize: number,
    private readonly control: ControlBlock,
    private readonly buffers: BatchBuffers[], // (W·accumulate) micro-batch buffers, rank-major
    private readonly pool: Piscina,
    tasks: Promise<RankOutcome>[],
    private readonly o: Resolved,
  ) {
    tasks.forEach((task, rank) => {
      task.then(
        (outcome) => {
          if (!outcome.ok && outcome.code !== ParallelErrorCode.PEER_FAILED)
            this.recordFailure(rank, outcome);
        },
        (error: Error) => this.recordFailure(rank, error),
      );
    });
    this.settled = Promise.allSettled(tasks);
    this.failed = new Promise((resolve) => {
      this.onFailure = resolve;
    });
  }

  static async start(
    model: Model,
    source: BatchSource,
    batchSize: number,
    world: number,
    o: Resolved,
  ): Promise<Run> {
    const compiled = model.compiled as Compiled;
    if (model.compileSpec === null) {
      throw new ParallelError(ParallelErrorCode.BAD_MODEL, 'threads: compile the model before fit');
    }
    const Q = world * o.accumulate;
    const microBatch = Math.ceil(batchSize / Q);
    const batchBytes = measureBatchBuffers(model, compiled, microBatch);
    const stateCount = compiled.optimizer.stateCount();
    const memory = model.ensureMemory(batchSize, stateCount, world, {
      shared: true,
      ranks: { count: world, maxBatch: microBatch, extraBytes: o.accumulate * batchBytes },
    });
    const arena = memory.arena.buffer as SharedArrayBuffer;
    const buffers = memory.rankRegions.flatMap((region) => {
      const batchArena = new Arena(
        arena,
        region.offset + region.workspaceBytes,
        region.bytes - region.workspaceBytes,
      );
      return Array.from({ length: o.accumulate }, () => buffersFor(model, compiled, microBatch, batchArena));
    });
    const control = controlBlock(world, o.accumulate);
    const pool = new Piscina({
      filename: WORKER_URL,
      minThreads: world,
      maxThreads: world,
      execArgv: [],
      idleTimeout: 2 ** 31 - 1,
      atomics: 'disabled',
    });
    const init = (rank: number): RankInit => ({
      rank,
      world,
      accumulate: o.accumulate,
      config: model.config(),
      compile: model.compileSpec as NonNullable<Model['compileSpec']>,
      layoutHash: model.layout.hash(),
      step: compiled.step,
      trainingSeed: model.trainingSeed,
      arena,
      coreOffset: memory.arena.base,
      region: memory.rankRegions[rank],
      stateCount,
      microBatch,
      hasLengths: source.hasLengths,
      control: control.buffer,
      barrierTimeoutMs: o.barrierTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      inject: o.inject,
    });
    const tasks = Array.from({ length: world }, (_, rank) => pool.run(init(rank)) as Promise<RankOutcome>);
    const run = new Run(model, source, batchSize, control, buffers, pool, tasks, o);
    await run.waitReady();
    return run;
  }

  serves(model: Model, source: BatchSource, batchSize: number): boolean {
    return this.model === model && this.source === source && this.batchSize === batchSize;
  }

  /** One optimizer step over global batch `batchIndex` of `epoch`. */
  async step(epoch: number, batchIndex: number): Promise<{ sum: number; count: number }> {
    const { control: c, o } = this;
    const Q = this.buffers.length;
    for (let q = 0; q < Q; q++) {
      c.counts[q] = this.source.fill(this.buffers[q], epoch, batchIndex, this.batchSize, q, Q);
    }
    const seen = Atomics.load(c.ints, Field.DONE_GEN);
    Atomics.store(c.ints, Field.EPOCH, epoch);
    Atomics.store(c.ints, Field.COMMAND, Command.STEP);
    Atomics.add(c.ints, Field.COMMAND_GEN, 1);
    Atomics.notify(c.ints, Field.COMMAND_GEN);
    const done = await waitAsyncWhile(c.ints, Field.DONE_GEN, seen, o.stepTimeoutMs);
    if (!done) {
      abortAll(c, -1);
      throw new ParallelError(
        ParallelErrorCode.STEP_TIMEOUT,
        `threads: step ${batchIndex} of epoch ${epoch} took over ${o.stepTimeoutMs} ms; raise stepTimeoutMs for longer steps`,
      );
    }
    if (aborted(c)) throw await this.failureError();
    const compiled = this.model.compiled as Compiled;
    const sum = sumStat(c, Stat.LOSS_SUM);
    if (!Number.isFinite(sum)) {
      throw new RecurError(
        NnErrorCode.NON_FINITE,
        `loss became ${sum} at epoch ${epoch}, batch ${batchIndex}: lower the learning rate or set clipNorm`,
      );
    }
    compiled.step += 1;
    return { sum, count: sumStat(c, Stat.COUNT) };
  }

  progress(): ThreadsProgress {
    return {
      steps: Atomics.load(this.control.ints, Field.STEPS_DONE),
      samples: Number(Atomics.load(this.control.samples, 0)),
    };
  }

  timings(): RankTimings[] {
    const c = this.control;
    return Array.from({ length: c.world }, (_, rank) => ({
      rank,
      steps: stat(c, rank, Stat.STEPS),
      computeMs: stat(c, rank, Stat.COMPUTE_MS),
      waitMs: stat(c, rank, Stat.WAIT_MS),
      reduceMs: stat(c, rank, Stat.REDUCE_MS),
      updateMs: stat(c, rank, Stat.UPDATE_MS),
    }));
  }

  /**
   * Stops every rank and closes the pool; no thread is left. After a clean run the ranks get
   * STOP and end their tasks (within closeTimeoutMs); after a failure, or past that timeout,
   * the threads are terminated, which also ends a rank that is stuck.
   */
  async close(): Promise<void> {
    const c = this.control;
    if (!aborted(c)) {
      Atomics.store(c.ints, Field.COMMAND, Command.STOP);
      Atomics.add(c.ints, Field.COMMAND_GEN, 1);
      Atomics.notify(c.ints, Field.COMMAND_GEN);
      if (!(await withTimeout(this.settled, this.o.closeTimeoutMs))) abortAll(c, -1);
    }
    await this.pool.destroy();
  }

  private recordFailure(rank: number, outcome: RankOutcome | Error): void {
    this.failure ??= { rank, outcome };
    abortAll(this.control, rank);
    this.onFailure();
  }

  private async waitReady(): Promise<void> {
    const c = this.control;
    const deadline = performance.now() + this.o.startTimeoutMs;
    for (let ready = Atomics.load(c.ints, Field.READY); ready < c.world && !aborted(c); ) {
      const left = deadline - performance.now();
      if (left <= 0 || !(await waitAsyncWhile(c.ints, Field.READY, ready, left))) {
        abortAll(c, -1);
        await this.close();
        throw new ParallelError(
          ParallelErrorCode.START_TIMEOUT,
          `threads: ${Atomics.load(c.ints, Field.READY)} of ${c.world} threads started within ${this.o.startTimeoutMs} ms`,
        );
      }
      ready = Atomics.load(c.ints, Field.READY);
    }
    if (aborted(c)) {
      const error = await this.failureError();
      await this.close();
      throw error;
    }
  }

  /** The coded error for the first failure, once it is recorded (or all ranks ended). */
  private async failureError(): Promise<Error> {
    await withTimeout(Promise.race([this.failed, this.settled]), this.o.closeTimeoutMs);
    const f = this.failure;
    if (f === null) {
      return new ParallelError(
        ParallelErrorCode.RANK_FAILED,
        'threads: the run was aborted with no rank reporting a cause',
      );
    }
    if (f.outcome instanceof Error) {
      return new ParallelError(
        ParallelErrorCode.THREAD_EXITED,
        `threads: rank ${f.rank}'s thread ended: ${f.outcome.message}`,
        {
          rank: f.rank,
          cause: f.outcome,
        },
      );
    }
    const outcome = f.outcome as Extract<RankOutcome, { ok: false }>;
    const code = outcome.code === null ? '' : ` (${outcome.code})`;
    const passThrough =
      outcome.code === ParallelErrorCode.BARRIER_TIMEOUT ||
      outcome.code === ParallelErrorCode.LAYOUT_MISMATCH;
    return new ParallelError(
      passThrough
        ? (outcome.code as typeof ParallelErrorCode.BARRIER_TIMEOUT)
        : ParallelErrorCode.RANK_FAILED,
      passThrough ? outcome.message : `threads: rank ${f.rank} failed${code}: ${outcome.message}`,
      {
        rank: f.rank,
        cause: Object.assign(new Error(outcome.message), { code: outcome.code, stack: outcome.stack }),
      },
    );
  }
}

/** Bytes of one micro-batch's buffers in an arena. */
function measureBatchBuffers(model: Model, compiled: Compiled, microBatch: number): number {
  const counter = new SizeCounter();
  buffersFor(model, compiled, microBatch, counter);
  return Math.ceil(counter.bytes / 64) * 64;
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
