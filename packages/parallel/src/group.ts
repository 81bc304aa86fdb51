// A thread group: W rank threads (a pinned Piscina pool, one long task each) over one shared
// arena, for one model, batch source and batch size. The main thread fills every rank's batch
// buffers from the source and commands each step through the control block; the ranks compute,
// all-reduce in shared memory and (for a full step) update; the main thread wakes when the last
// one finishes. No message per step.
//
// Two kinds of step: `step` is the whole of Note [step phases] (threads() uses it); `sums`
// stops after the reduce and leaves the machine's gradient SUMS in slot 0 with the loss sum and
// count, for a cluster node to send to its coordinator, which applies the optimizer.
//
// The pool is pinned (minThreads = maxThreads = W) and runs exactly one task per rank, because
// a barrier across tasks would deadlock on a task still waiting in the queue. How a rank's
// failure becomes the group's coded error: rank-failures.ts.

import { kernelBackend, wasmKernelsFor } from '@recur/kernels';
import {
  Arena,
  type BatchBuffers,
  type BatchSource,
  buffersFor,
  type Compiled,
  layerWithInitialState,
  type Model,
  NnErrorCode,
  RecurError,
  SizeCounter,
} from '@recur/nn';
import { Piscina } from 'piscina';
import { resetClaims, slotCount } from './balance.js';
import { type Bucket, checkBuckets, reduceBuckets, type SummedBucket } from './buckets.js';
import {
  abortAll,
  aborted,
  Command,
  type ControlBlock,
  controlBlock,
  Field,
  Stat,
  stat,
  stepTotal,
  waitAsyncWhile,
} from './control.js';
import { ParallelError, ParallelErrorCode } from './errors.js';
import { RankFailures, withTimeout } from './rank-failures.js';
import type { FaultInjection, RankInit, RankOutcome } from './rank-init.js';

/** Resolved thread-group options (threads() validates them). */
export interface GroupOptions {
  accumulate: number;
  /** Note [balanced micro-batches] (balance.ts) */
  balance: boolean;
  barrierTimeoutMs: number;
  stepTimeoutMs: number;
  startTimeoutMs: number;
  idleTimeoutMs: number;
  closeTimeoutMs: number;
  inject: FaultInjection | null;
}

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
  /** micro-batches it computed from other ranks' parts (balanced) */
  stolen: number;
}

/** Which parts of a global batch a group computes: parts [offset, offset + W) of `total`. */
export interface Parts {
  offset: number;
  total: number;
}

/** The compiled rank worker; from src/ (tests) and dist/ alike it lies in the package's dist/. */
const WORKER_URL = new URL('../dist/rank-worker.js', import.meta.url).href;

/** W rank threads over one shared arena, for one model, source and batch size. */
export class ThreadGroup {
  private readonly failures: RankFailures;
  /** ends this group's hold on the model's memory (Note [inference in a held memory], @recur/nn) */
  private readonly releaseMemory: () => void;

  private constructor(
    private readonly model: Model,
    private readonly source: BatchSource,
    private readonly batchSize: number,
    private readonly control: ControlBlock,
    private readonly buffers: BatchBuffers[], // (W·accumulate) micro-batch buffers, rank-major
    private readonly pool: Piscina,
    tasks: Promise<RankOutcome>[],
    private readonly o: GroupOptions,
  ) {
    // The ranks share the model's memory: evaluate and predict must not replace it while they run.
    this.releaseMemory = model.holdMemory();
    this.failures = new RankFailures(tasks, control);
  }

  static async start(
    model: Model,
    source: BatchSource,
    batchSize: number,
    world: number,
    o: GroupOptions,
  ): Promise<ThreadGroup> {
    const compiled = model.compiled as Compiled;
    if (model.compileSpec === null) {
      throw new ParallelError(ParallelErrorCode.BAD_MODEL, 'threads: compile the model before fit');
    }
    const stated = layerWithInitialState(model);
    if (stated >= 0) {
      throw new ParallelError(
        ParallelErrorCode.BAD_MODEL,
        `threads: layer ${stated} has an initial state (setInitialState), which worker threads, rebuilding ` +
          `the model from its config, would not see; clear it with setInitialState(${stated}, null) or train on the calling thread`,
      );
    }
    const Q = world * o.accumulate;
    const microBatch = Math.ceil(batchSize / Q);
    const batchBytes = measureBatchBuffers(model, compiled, microBatch);
    const stateCount = compiled.optimizer.stateCount();
    const slots = slotCount(world, o.accumulate, o.balance);
    const memory = model.ensureMemory(batchSize, stateCount, slots, {
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
    control.ints[Field.BALANCED] = o.balance ? 1 : 0; // published to the ranks with their task
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
      balance: o.balance,
      config: model.config(),
      compile: model.compileSpec as NonNullable<Model['compileSpec']>,
      layoutHash: model.layout.hash(),
      step: compiled.step,
      trainingSeed: model.trainingSeed,
      arena,
      kernelMemory: wasmKernelsFor(arena)?.memory ?? null,
      kernels: kernelBackend().name,
      coreOffset: memory.arena.base,
      regions: memory.rankRegions,
      stateCount,
      microBatch,
      hasLengths: source.hasLengths,
      control: control.buffer,
      barrierTimeoutMs: o.barrierTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      inject: o.inject,
    });
    const tasks = Array.from({ length: world }, (_, rank) => pool.run(init(rank)) as Promise<RankOutcome>);
    const run = new ThreadGroup(model, source, batchSize, control, buffers, pool, tasks, o);
    await run.waitReady();
    return run;
  }

  /** Whether this group was started for exactly these (a fit with others needs a new group). */
  serves(model: Model, source: BatchSource, batchSize: number): boolean {
    return this.model === model && this.source === source && this.batchSize === batchSize;
  }

  /** One optimizer step over global batch `batchIndex` of `epoch`: the loss sum and count. */
  async step(epoch: number, batchIndex: number): Promise<{ sum: number; count: number }> {
    await this.command(Command.STEP, epoch, batchIndex, { offset: 0, total: this.control.world });
    const sum = this.lossSum(epoch, batchIndex);
    (this.model.compiled as Compiled).step += 1;
    return { sum, count: stepTotal(this.control, Stat.COUNT) };
  }

  /**
   * The machine's share of a step without the update: `parts` of global batch `batchIndex`
   * (rank r computes part offset + r of total). Returns the loss sum, the count, and slot 0,
   * which holds the gradient SUMS until the next command; the parameters are untouched (write
   * new ones into `model.params` before the next command).
   */
  async sums(
    epoch: number,
    batchIndex: number,
    parts: Parts,
  ): Promise<{ sum: number; count: number; gradients: Float32Array }> {
    await this.command(Command.SUMS, epoch, batchIndex, parts);
    const sum = this.lossSum(epoch, batchIndex);
    const memory = this.model.memory as NonNullable<Model['memory']>;
    return { sum, count: stepTotal(this.control, Stat.COUNT), gradients: memory.slots[0] };
  }

  /**
   * The machine's share of a step as `sums` gives it, reduced bucket by bucket while the ranks'
   * backward goes on (Note [bucketed sums]): when every rank has finished `buckets[j]` (from
   * planBuckets, top first), its range of slot 0 holds the machine's sums, bit for bit those of
   * `sums`, and `onBucket` gets it with the machine's loss sum and count (slot 0 changes again at
   * the next command). The whole of slot 0 is final when the promise resolves.
   */
  async sumsInBuckets(
    epoch: number,
    batchIndex: number,
    parts: Parts,
    buckets: readonly Bucket[],
    onBucket: (bucket: SummedBucket) => void,
  ): Promise<{ sum: number; count: number; gradients: Float32Array }> {
    const memory = this.model.memory as NonNullable<Model['memory']>;
    if (this.o.balance) {
      throw new ParallelError(
        ParallelErrorCode.BAD_OPTION,
        'threads: balance cannot be combined with bucketed sums (a bucket is final only once every micro-batch is)',
      );
    }
    checkBuckets(buckets, this.model.layout.size, this.model.layers.length);
    const seen = this.startCommand(Command.BUCKETS, epoch, batchIndex, parts);
    const deadline = performance.now() + this.o.stepTimeoutMs;
    let thrown: { error: unknown } | null = null;
    const reduced = await reduceBuckets(this.control, memory.slots, buckets, deadline, onBucket).catch(
      (error: unknown) => {
        thrown = { error };
        return 'thrown' as const;
      },
    );
    if (reduced === 'timeout') this.timedOut(epoch, batchIndex);
    await this.awaitDone(seen, deadline, epoch, batchIndex);
    if (thrown !== null) throw (thrown as { error: unknown }).error;
    const sum = this.lossSum(epoch, batchIndex);
    return { sum, count: stepTotal(this.control, Stat.COUNT), gradients: memory.slots[0] };
  }

  /** Fills the batch buffers, commands `kind` and waits for the last rank to finish. */
  private async command(kind: number, epoch: number, batchIndex: number, parts: Parts): Promise<void> {
    const seen = this.startCommand(kind, epoch, batchIndex, parts);
    const deadline = performance.now() + this.o.stepTimeoutMs;
    await this.awaitDone(seen, deadline, epoch, batchIndex);
  }

  /** Fills the batch buffers and commands `kind`; returns DONE_GEN as it was before. */
  private startCommand(kind: number, epoch: number, batchIndex: number, parts: Parts): number {
    const { control: c, o } = this;
    const k = o.accumulate;
    const Q = this.buffers.length; // W·k micro-batches: part offset + r is split into k
    for (let q = 0; q < Q; q++) {
      const part = parts.offset * k + q;
      c.counts[q] = this.source.fill(
        this.buffers[q],
        epoch,
        batchIndex,
        this.batchSize,
        part,
        parts.total * k,
      );
    }
    const seen = Atomics.load(c.ints, Field.DONE_GEN);
    for (let r = 0; r < c.world; r++) Atomics.store(c.progress, r, 0);
    if (o.balance) resetClaims(c);
    c.lrScale[0] = (this.model.compiled as Compiled).lrScale; // published by the COMMAND_GEN bump below
    Atomics.store(c.ints, Field.EPOCH, epoch);
    Atomics.store(c.ints, Field.COMMAND, kind);
    Atomics.add(c.ints, Field.COMMAND_GEN, 1);
    Atomics.notify(c.ints, Field.COMMAND_GEN);
    return seen;
  }

  /** Waits until the last rank finished the command (DONE_GEN moved from `seen`) or the deadline. */
  private async awaitDone(seen: number, deadline: number, epoch: number, batchIndex: number): Promise<void> {
    const c = this.control;
    const left = Math.max(0, deadline - performance.now());
    const done = await waitAsyncWhile(c.ints, Field.DONE_GEN, seen, left);
    if (!done) this.timedOut(epoch, batchIndex);
    if (aborted(c)) throw await this.failures.error(this.o.closeTimeoutMs);
  }

  private timedOut(epoch: number, batchIndex: number): never {
    abortAll(this.control, -1);
    throw new ParallelError(
      ParallelErrorCode.STEP_TIMEOUT,
      `threads: step ${batchIndex} of epoch ${epoch} took over ${this.o.stepTimeoutMs} ms; raise stepTimeoutMs for longer steps`,
    );
  }

  /** The step's loss sum over every rank (rank order); a non-finite one is ERR_NN_NON_FINITE. */
  private lossSum(epoch: number, batchIndex: number): number {
    const sum = stepTotal(this.control, Stat.LOSS_SUM);
    if (!Number.isFinite(sum)) {
      throw new RecurError(
        NnErrorCode.NON_FINITE,
        `loss became ${sum} at epoch ${epoch}, batch ${batchIndex}: lower the learning rate or set clipNorm`,
      );
    }
    return sum;
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
      stolen: stat(c, rank, Stat.STOLEN),
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
      if (!(await withTimeout(this.failures.settled, this.o.closeTimeoutMs))) abortAll(c, -1);
    }
    try {
      await this.pool.destroy();
    } finally {
      this.releaseMemory();
    }
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
      const error = await this.failures.error(this.o.closeTimeoutMs);
      await this.close();
      throw error;
    }
  }
}

/** Bytes of one micro-batch's buffers in an arena. */
function measureBatchBuffers(model: Model, compiled: Compiled, microBatch: number): number {
  const counter = new SizeCounter();
  buffersFor(model, compiled, microBatch, counter);
  return Math.ceil(counter.bytes / 64) * 64;
}
