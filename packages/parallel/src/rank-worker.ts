// The body of one rank: the single long Piscina task each worker thread runs for a whole fit.
// It rebuilds the model from its config, checks the layout hash, attaches to the shared arena
// (parameters, gradient slots and optimizer moments are the main thread's, not copies), then
// runs step after step as the control block commands, with barriers between the phases
// (DESIGN.md, Note [step phases]). It never throws: it returns how it ended, so that error codes
// survive the trip back to the main thread.
import { attachKernelMemory, useKernelBackend } from '@recur/kernels';
import {
  Arena,
  type Batch,
  batchOf,
  buffersFor,
  type Compiled,
  type Model,
  modelFromConfig,
  type RankRegion,
  type StepContext,
} from '@recur/nn';
import { BalancedShare, rankSlot, slotCount } from './balance.js';
import { progressReporter, publishProgress } from './buckets.js';
import {
  abortAll,
  aborted,
  addStat,
  barrier,
  Command,
  type ControlBlock,
  controlBlock,
  Field,
  finishStep,
  peerFailed,
  Stat,
  setStat,
  stepTotal,
  sumStat,
  waitWhile,
} from './control.js';
import { fail, ParallelError, ParallelErrorCode } from './errors.js';
import { chunkOf, computeShare, reduceChunk, type ShareProgress, updateChunk } from './phases.js';
import type { FaultInjection, RankInit, RankOutcome } from './rank-init.js';

export default async function runRank(init: RankInit): Promise<RankOutcome> {
  const control = controlBlock(init.world, init.accumulate, init.control);
  try {
    const rank = new Rank(init, control);
    Atomics.add(control.ints, Field.READY, 1);
    Atomics.notify(control.ints, Field.READY);
    rank.loop();
    return { rank: init.rank, ok: true };
  } catch (error) {
    const peer = error instanceof ParallelError && error.code === ParallelErrorCode.PEER_FAILED;
    if (!peer) abortAll(control, init.rank);
    const e = error as { code?: unknown; message?: unknown; stack?: unknown };
    return {
      rank: init.rank,
      ok: false,
      code: typeof e?.code === 'string' ? e.code : null,
      message: String(e?.message ?? error),
      stack: typeof e?.stack === 'string' ? e.stack : '',
    };
  }
}

class Rank {
  private readonly model: Model;
  private readonly compiled: Compiled;
  /** (accumulate) this rank's micro-batches */
  private readonly batches: Batch[];
  /** balanced: every rank's micro-batches and the two-level reduce; null otherwise */
  private readonly balanced: BalancedShare | null;
  private readonly ctx: StepContext;
  private readonly chunk: [number, number];
  /** BUCKETS: reports the last micro-batch's final layers (Note [bucketed sums]) */
  private readonly reporter: ShareProgress;
  private commandsSeen: number;

  constructor(
    private readonly init: RankInit,
    private readonly control: ControlBlock,
  ) {
    // The main thread's kernels (native ranks each load their own addon instance, on any view).
    useKernelBackend(init.kernels);
    this.model = modelFromConfig(init.config, `rank ${init.rank}`);
    if (this.model.layout.hash() !== init.layoutHash) {
      fail(
        ParallelErrorCode.LAYOUT_MISMATCH,
        `rank ${init.rank}: the model rebuilt from its config has layout ${this.model.layout.hash().slice(0, 12)}…, ` +
          `the main thread's is ${init.layoutHash.slice(0, 12)}…`,
        init.rank,
      );
    }
    // compile before attaching: compile zeroes the optimizer state of the memory it has.
    this.model.compile(init.compile);
    this.compiled = this.model.compiled as Compiled;
    this.compiled.step = init.step;
    this.model.trainingSeed = init.trainingSeed;
    // The arena in a kernel memory: this thread's wasm instance on it (scratch slot 1 + rank), and
    // the views on this thread's object for its buffer, which is what the instance recognises.
    const arena =
      init.kernelMemory === null
        ? init.arena
        : (attachKernelMemory(init.kernelMemory, 1 + init.rank, 1 + init.world).buffer as SharedArrayBuffer);
    const { rank, world, accumulate, balance } = init;
    this.model.attachMemory(
      { buffer: arena, coreOffset: init.coreOffset, region: init.regions[rank] },
      rankSlot(rank, world, accumulate, balance),
      slotCount(world, accumulate, balance),
      init.stateCount,
      init.microBatch,
    );
    const steps = this.model.inputSpec.steps ?? 1;
    const batchesIn = (region: RankRegion): Batch[] => {
      const { offset, workspaceBytes, bytes } = region;
      const batchArena = new Arena(arena, offset + workspaceBytes, bytes - workspaceBytes);
      return Array.from({ length: accumulate }, () =>
        batchOf(
          buffersFor(this.model, this.compiled, init.microBatch, batchArena),
          0,
          steps,
          init.hasLengths,
        ),
      );
    };
    // balanced: every rank's micro-batches (rank-major), this rank's own among them
    const all = balance ? init.regions.flatMap(batchesIn) : null;
    this.batches =
      all === null ? batchesIn(init.regions[rank]) : all.slice(rank * accumulate, (rank + 1) * accumulate);
    this.balanced = all === null ? null : new BalancedShare(this.model, this.compiled, all, control, rank);
    this.ctx = { training: true, seed: init.trainingSeed, epoch: 0, sampleIndex: new Int32Array(0) };
    this.chunk = chunkOf(this.model.layout.size, init.rank, init.world);
    this.reporter = progressReporter(control, init.rank, this.model.layers.length);
    this.commandsSeen = Atomics.load(control.ints, Field.COMMAND_GEN);
  }

  /** Runs commands until STOP. */
  loop(): void {
    for (;;) {
      const command = this.nextCommand();
      if (command === Command.STOP) return;
      this.step(command);
    }
  }

  private nextCommand(): number {
    const c = this.control;
    if (!waitWhile(c, Field.COMMAND_GEN, this.commandsSeen, this.init.idleTimeoutMs)) {
      fail(
        ParallelErrorCode.IDLE_TIMEOUT,
        `rank ${this.init.rank} waited ${this.init.idleTimeoutMs} ms for a command from the main thread`,
        this.init.rank,
      );
    }
    if (aborted(c)) peerFailed(c, this.init.rank);
    this.commandsSeen = Atomics.load(c.ints, Field.COMMAND_GEN);
    return Atomics.load(c.ints, Field.COMMAND);
  }

  /**
   * One step: STEP is the whole step; SUMS stops after reducing to sums (a cluster node's share);
   * BUCKETS stops after the compute, reporting its final layers (Note [bucketed sums]).
   */
  private step(command: number): void {
    const update = command === Command.STEP;
    const buckets = command === Command.BUCKETS;
    const { control: c, init } = this;
    const { rank, barrierTimeoutMs: timeout } = init;
    const stepNumber = Atomics.load(c.ints, Field.STEPS_DONE) + 1;
    injectFault(init.inject, rank, stepNumber);
    let t = performance.now();
    const lap = (which: number) => {
      const now = performance.now();
      addStat(c, rank, which, now - t);
      t = now;
    };
    // Phase 1: compute into slot `rank` (balanced: into the micro-batches' slots); parameters
    // are read-only.
    this.ctx.epoch = Atomics.load(c.ints, Field.EPOCH);
    const samples = this.balanced === null ? this.computeOwn(buckets) : this.computeBalanced();
    Atomics.add(c.samples, 0, BigInt(samples));
    lap(Stat.COMPUTE_MS);
    if (buckets) {
      publishProgress(c, rank, this.model.layers.length); // every layer, also after empty micro-batches
      addStat(c, rank, Stat.STEPS, 1);
      finishStep(c);
      return;
    }
    barrier(c, rank, timeout, 'after compute');
    lap(Stat.WAIT_MS);
    // A non-finite loss stops the run on every rank alike (each sees the same sum): no update.
    if (Number.isFinite(stepTotal(c, Stat.LOSS_SUM))) {
      // Phase 3: reduce this rank's chunk over every slot.
      const memory = this.model.memory as NonNullable<Model['memory']>;
      const [start, end] = this.chunk;
      const count = update ? stepTotal(c, Stat.COUNT) : 1;
      const norm =
        this.balanced === null
          ? reduceChunk(memory.slots, start, end, count)
          : this.balanced.reduce(start, end, count);
      setStat(c, rank, Stat.NORM, norm);
      lap(Stat.REDUCE_MS);
      if (update) {
        // Only clipping needs every rank's chunk norm: without clipNorm a rank updates at once
        // the chunk that it alone reduced (no barrier, no other rank's memory touched).
        const clips = this.compiled.clipNorm !== null;
        if (clips) {
          barrier(c, rank, timeout, 'after reduce');
          lap(Stat.WAIT_MS);
        }
        // Phases 4–5: clip and update this rank's chunk, at the main thread's learning-rate scale.
        this.compiled.lrScale = c.lrScale[0];
        updateChunk(memory, this.compiled, start, end, clips ? sumStat(c, Stat.NORM) : 0);
        lap(Stat.UPDATE_MS);
      }
    }
    addStat(c, rank, Stat.STEPS, 1);
    finishStep(c);
  }

  /** Phase 1 on this rank's own micro-batches, into its slot; returns the samples. */
  private computeOwn(buckets: boolean): number {
    const { control: c, init } = this;
    const { rank } = init;
    let samples = 0;
    for (let j = 0; j < init.accumulate; j++) {
      this.batches[j].B = c.counts[rank * init.accumulate + j];
      samples += this.batches[j].B;
    }
    if (buckets) {
      // BUCKETS: the reporter writes the share's totals before the first progress it publishes
      // (the main thread reads them from then on, so they are not written again); with no
      // samples at all they stay these zeros
      setStat(c, rank, Stat.LOSS_SUM, 0);
      setStat(c, rank, Stat.COUNT, 0);
    }
    const own = computeShare(
      this.model,
      this.compiled,
      this.batches,
      this.ctx,
      buckets ? this.reporter : null,
    );
    if (!buckets) {
      setStat(c, rank, Stat.LOSS_SUM, own.sum);
      setStat(c, rank, Stat.COUNT, own.count);
    }
    return samples;
  }

  /** Phase 1 balanced (Note [balanced micro-batches]); returns the samples this rank computed. */
  private computeBalanced(): number {
    const c = this.control;
    const balanced = this.balanced as BalancedShare;
    const work = balanced.compute(this.ctx);
    addStat(c, this.init.rank, Stat.STOLEN, work.stolen);
    return work.samples;
  }
}

/** Fault injection for tests: make one rank throw, exit its thread or hang at a step, or be slow. */
function injectFault(inject: FaultInjection | null, rank: number, step: number): void {
  if (inject === null || inject.rank !== rank) return;
  if (inject.fault === 'slow') {
    if (step >= inject.step) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, inject.ms ?? 50);
    return;
  }
  if (inject.step !== step) return;
  if (inject.fault === 'throw') throw new Error(`injected fault at step ${step}`);
  if (inject.fault === 'exit') process.exit(3);
  // 'hang': block this thread far beyond every timeout; only terminating the thread ends it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_600_000);
}
