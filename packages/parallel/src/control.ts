// The control block: a small SharedArrayBuffer through which the main thread and the W rank
// threads coordinate a step without messages (DESIGN.md, Note [step phases]). Int32 fields have
// named indices; per-rank numbers (loss sums, counts, chunk norms, timings) are Float64 slots
// that only their rank writes and that are read after a barrier; progress is a BigInt64 counter.
//
// Every wait here has a timeout and wakes on abort: a rank that fails sets ABORT, records
// itself in FAILED_RANK and bumps every generation counter, so no waiter can miss the wake-up
// (a waiter sleeps only while the value it read is unchanged).
import { fail, ParallelErrorCode } from './errors.js';

/** Int32 field indices. */
export const Field = {
  /** bumped by the main thread for each command (a step or stop) */
  COMMAND_GEN: 0,
  /** a Command */
  COMMAND: 1,
  /** the epoch of the step being run (keys dropout masks) */
  EPOCH: 2,
  /** ranks arrived at the current barrier */
  BARRIER_COUNT: 3,
  /** bumped when a barrier opens */
  BARRIER_GEN: 4,
  /** ranks finished with the current step */
  FINISHED_COUNT: 5,
  /** bumped by the last rank to finish a step: the main thread waits on it */
  DONE_GEN: 6,
  /** ranks that have started and attached their memory */
  READY: 7,
  /** 1 once any rank failed or the run is being torn down */
  ABORT: 8,
  /** the first rank that failed, or -1 */
  FAILED_RANK: 9,
  /** optimizer steps finished */
  STEPS_DONE: 10,
  /** bumped by a rank each time it publishes its `progress` (BUCKETS: Note [bucketed sums]) */
  PROGRESS_GEN: 11,
  /** 1 when the group balances micro-batches (Note [balanced micro-batches], balance.ts) */
  BALANCED: 12,
} as const;

/**
 * STEP: the whole step; SUMS: compute and reduce to gradient sums, no update; STOP: end;
 * BUCKETS: compute only, publishing the final layers as they come (the main thread reduces).
 */
export const Command = { STEP: 1, SUMS: 2, STOP: 3, BUCKETS: 4 } as const;

const INT_FIELDS = 16;

/** Float64 slots per rank. */
export const Stat = {
  LOSS_SUM: 0,
  COUNT: 1,
  /** the squared norm of the rank's chunk of the reduced gradient */
  NORM: 2,
  /** accumulated milliseconds per phase */
  COMPUTE_MS: 3,
  WAIT_MS: 4,
  REDUCE_MS: 5,
  UPDATE_MS: 6,
  /** steps this rank has timed */
  STEPS: 7,
  /** micro-batches this rank computed from other ranks' parts (balanced) */
  STOLEN: 8,
} as const;

export const STATS_PER_RANK = 9;

/** Views of one control block; built the same way on every thread from the same buffer. */
export interface ControlBlock {
  buffer: SharedArrayBuffer;
  world: number;
  /** micro-batches per rank per step */
  accumulate: number;
  ints: Int32Array; // (INT_FIELDS)
  /** samples of micro-batch q (= rank·accumulate + j) in the current step */
  counts: Int32Array; // (W·accumulate)
  /** barriers each rank has arrived at, to name the laggards when one times out */
  arrivals: Int32Array; // (W)
  /** BUCKETS: layers, from the top, whose gradients are final in each rank's slot */
  progress: Int32Array; // (W)
  stats: Float64Array; // (W, STATS_PER_RANK)
  /** balanced: each part's claimed micro-batches, front | back << 16 (balance.ts) */
  claims: Int32Array; // (W)
  /** balanced: the loss sum and count of micro-batch q, written by whichever rank computed it */
  batchLoss: Float64Array; // (W·accumulate)
  batchCount: Float64Array; // (W·accumulate)
  /** samples trained on so far, all ranks */
  samples: BigInt64Array; // (1)
  /**
   * the learning-rate scale of the commanded step (@recur/nn's Compiled.lrScale, which callbacks
   * such as reduceLROnPlateau change between epochs): the main thread writes it before bumping
   * COMMAND_GEN, each rank copies it into its own compiled model before its update
   */
  lrScale: Float64Array; // (1)
}

/** Lays out views over `buffer` (a new one when omitted) for `world` ranks. */
export function controlBlock(world: number, accumulate: number, buffer?: SharedArrayBuffer): ControlBlock {
  const Q = world * accumulate;
  const intCount = INT_FIELDS + Q + 3 * world;
  const statsOffset = Math.ceil((intCount * 4) / 8) * 8;
  const batchLossOffset = statsOffset + world * STATS_PER_RANK * 8;
  const batchCountOffset = batchLossOffset + Q * 8;
  const samplesOffset = batchCountOffset + Q * 8;
  const lrScaleOffset = samplesOffset + 8;
  const bytes = lrScaleOffset + 8;
  const sab = buffer ?? new SharedArrayBuffer(bytes);
  const ints = new Int32Array(sab, 0, INT_FIELDS);
  const lrScale = new Float64Array(sab, lrScaleOffset, 1);
  if (buffer === undefined) {
    ints[Field.FAILED_RANK] = -1;
    lrScale[0] = 1;
  }
  return {
    buffer: sab,
    world,
    accumulate,
    ints,
    counts: new Int32Array(sab, INT_FIELDS * 4, Q),
    arrivals: new Int32Array(sab, (INT_FIELDS + Q) * 4, world),
    progress: new Int32Array(sab, (INT_FIELDS + Q + world) * 4, world),
    stats: new Float64Array(sab, statsOffset, world * STATS_PER_RANK),
    claims: new Int32Array(sab, (INT_FIELDS + Q + 2 * world) * 4, world),
    batchLoss: new Float64Array(sab, batchLossOffset, Q),
    batchCount: new Float64Array(sab, batchCountOffset, Q),
    samples: new BigInt64Array(sab, samplesOffset, 1),
    lrScale,
  };
}

export const stat = (c: ControlBlock, rank: number, which: number): number =>
  c.stats[rank * STATS_PER_RANK + which];

export function setStat(c: ControlBlock, rank: number, which: number, value: number): void {
  c.stats[rank * STATS_PER_RANK + which] = value;
}

export function addStat(c: ControlBlock, rank: number, which: number, value: number): void {
  c.stats[rank * STATS_PER_RANK + which] += value;
}

/** Σ over ranks, in rank order (the same on every thread, bit for bit). */
export function sumStat(c: ControlBlock, which: number): number {
  let sum = 0;
  for (let r = 0; r < c.world; r++) sum += stat(c, r, which);
  return sum;
}

/**
 * The step's loss sum (Stat.LOSS_SUM) or count (Stat.COUNT), the same on every thread bit for
 * bit: the ranks' in rank order, or when balanced (balance.ts) each part's micro-batches in
 * order, then the parts in order — the same additions in the same order when A = 1.
 */
export function stepTotal(c: ControlBlock, which: typeof Stat.LOSS_SUM | typeof Stat.COUNT): number {
  if (Atomics.load(c.ints, Field.BALANCED) === 0) return sumStat(c, which);
  const values = which === Stat.LOSS_SUM ? c.batchLoss : c.batchCount;
  let total = 0;
  for (let p = 0; p < c.world; p++) {
    let part = 0;
    for (let j = 0; j < c.accumulate; j++) part += values[p * c.accumulate + j];
    total += part;
  }
  return total;
}

export const aborted = (c: ControlBlock): boolean => Atomics.load(c.ints, Field.ABORT) !== 0;

/**
 * Stops the run: the first caller is recorded as the failed rank (-1: the main thread), and
 * every generation counter moves so that all waiters wake and see ABORT.
 */
export function abortAll(c: ControlBlock, rank: number): void {
  Atomics.compareExchange(c.ints, Field.FAILED_RANK, -1, rank);
  Atomics.store(c.ints, Field.ABORT, 1);
  for (const field of [
    Field.COMMAND_GEN,
    Field.BARRIER_GEN,
    Field.DONE_GEN,
    Field.READY,
    Field.PROGRESS_GEN,
  ]) {
    Atomics.add(c.ints, field, 1);
    Atomics.notify(c.ints, field);
  }
}

/** A rank's view of its peers' failure: it stops, and is never reported as the cause. */
export function peerFailed(c: ControlBlock, rank: number): never {
  const failed = Atomics.load(c.ints, Field.FAILED_RANK);
  return fail(ParallelErrorCode.PEER_FAILED, `rank ${rank} stopped: rank ${failed} failed`, rank);
}

/**
 * Blocks while `ints[field] === seen`, for at most `timeoutMs`; returns false on timeout.
 * Only rank threads call it (Atomics.wait blocks the thread).
 */
export function waitWhile(c: ControlBlock, field: number, seen: number, timeoutMs: number): boolean {
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(c.ints, field) === seen) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(c.ints, field, seen, left);
  }
  return true;
}

/**
 * All W ranks meet here. The last to arrive opens the barrier; the others wait with a timeout
 * and leave with a coded error naming the ranks that never came. Throws PEER_FAILED on abort.
 */
export function barrier(c: ControlBlock, rank: number, timeoutMs: number, where: string): void {
  const gen = Atomics.load(c.ints, Field.BARRIER_GEN);
  if (aborted(c)) peerFailed(c, rank);
  const mine = Atomics.add(c.arrivals, rank, 1) + 1;
  if (Atomics.add(c.ints, Field.BARRIER_COUNT, 1) === c.world - 1) {
    Atomics.store(c.ints, Field.BARRIER_COUNT, 0);
    Atomics.add(c.ints, Field.BARRIER_GEN, 1);
    Atomics.notify(c.ints, Field.BARRIER_GEN);
  } else if (!waitWhile(c, Field.BARRIER_GEN, gen, timeoutMs)) {
    if (aborted(c)) peerFailed(c, rank);
    const late = Array.from(c.arrivals.keys()).filter((r) => Atomics.load(c.arrivals, r) < mine);
    fail(
      ParallelErrorCode.BARRIER_TIMEOUT,
      `rank ${rank} waited ${timeoutMs} ms at the barrier ${where} for rank(s) ${late.join(', ')}: ` +
        'a rank is stuck or much slower; raise barrierTimeoutMs if its steps are legitimately long',
      rank,
    );
  }
  if (aborted(c)) peerFailed(c, rank);
}

/**
 * Marks the step done for this rank; the last one bumps DONE_GEN and wakes the main thread.
 * Needs no barrier after it: the next command comes only once the main thread saw DONE_GEN.
 */
export function finishStep(c: ControlBlock): void {
  if (Atomics.add(c.ints, Field.FINISHED_COUNT, 1) === c.world - 1) {
    Atomics.store(c.ints, Field.FINISHED_COUNT, 0);
    Atomics.add(c.ints, Field.STEPS_DONE, 1);
    Atomics.add(c.ints, Field.DONE_GEN, 1);
    Atomics.notify(c.ints, Field.DONE_GEN);
  }
}

// Atomics.waitAsync is in Node 20 (V8) but not in TypeScript's ES2022 library.
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** The main thread's wait (it must not block): resolves true when ints[index] moved from `seen`. */
export async function waitAsyncWhile(
  ints: Int32Array,
  index: number,
  seen: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (Atomics.load(ints, index) === seen) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    const result = waitAsync(ints, index, seen, left);
    if (result.async) await result.value;
  }
  return true;
}
