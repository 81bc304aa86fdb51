// Balanced micro-batches (threads(W, { accumulate: A, balance: true })): a rank that finishes
// its own micro-batches takes what is left of a slower rank's, and the step's result is bit for
// bit the same whoever computed what.
//
// Note [balanced micro-batches]
// Ranks of one machine are rarely equally fast for a whole run (another process, a core's
// frequency, the OS): without balancing the step waits for the slowest rank at the barrier
// after compute. With balancing, part p (rank p's share of the global batch) is split into A
// micro-batches as with `accumulate`, and each micro-batch q = p·A + j has a gradient slot of
// its own. Rank p takes its part's micro-batches from the front; once its part is empty, it
// takes another part's from the back (the part with the most left), so with equal speeds
// nothing moves. Each part has one Int32 of claims in the control block, `front | back << 16`:
// micro-batch j is free while front ≤ j < A − back, and a claim is one compareExchange.
//
// A rank computes a micro-batch into its own slot (its layers are bound to it), then copies the
// sums into the micro-batch's slot; its loss sum and count go to the micro-batch's cells. So
// where a micro-batch's numbers land depends only on q. The reduce is then hierarchical, over
// each rank's chunk as before: each part's A slots are summed in float64 and rounded (count 1),
// into the part's first slot; then the W part sums are summed in part order and divided by the
// count, into slot 0 (which is micro-batch 0's). Loss sums and counts are added the same way:
// per part in micro-batch order, then the parts in order. Hence:
//   - the same seed gives bitwise the same run whichever rank computed which micro-batch
//     (balance.test.ts slows one rank down to force stealing and compares the bits);
//   - a cluster node runs the same two levels, so 2 nodes × 1 thread ≡ threads(2) still holds
//     with the same A (the node's level 2 over its one part is exact);
//   - it differs from unbalanced `accumulate: A` in the last bits: there a rank's micro-batches
//     accumulate into its slot inside the kernels, in float32.
// Slots: W·A micro-batch slots, then the W ranks' own slots (rank r is bound to slot W·A + r).
// Costs per micro-batch: zeroing the rank's slot (as before) and one copy of P floats; the
// reduce reads W·A slots instead of W. Empty micro-batches (a short last batch) are claimed
// like the others; their slot is zeroed so that the reduce can read every slot.
import { kernelBackend } from '@recur/kernels';
import type { Batch, Compiled, Model, ModelMemory, StepContext } from '@recur/nn';
import type { ControlBlock } from './control.js';

/** Gradient slots a group needs: W, or W·A micro-batch slots and W rank slots when balanced. */
export const slotCount = (world: number, accumulate: number, balance: boolean): number =>
  balance ? world * accumulate + world : world;

/** The slot rank `rank`'s layers write. */
export const rankSlot = (rank: number, world: number, accumulate: number, balance: boolean): number =>
  balance ? world * accumulate + rank : rank;

const BACK_SHIFT = 16;
const FRONT_MASK = (1 << BACK_SHIFT) - 1;

/** Micro-batches of `part` not claimed yet. */
export function unclaimed(c: ControlBlock, part: number): number {
  const v = Atomics.load(c.claims, part);
  return c.accumulate - (v & FRONT_MASK) - (v >>> BACK_SHIFT);
}

/**
 * Claims the next micro-batch of `part`: from the front (the part's own rank) or from the back
 * (a rank taking another's work). Returns its index j in the part, or -1 when none is left.
 */
export function claim(c: ControlBlock, part: number, fromBack: boolean): number {
  for (;;) {
    const v = Atomics.load(c.claims, part);
    const front = v & FRONT_MASK;
    const back = v >>> BACK_SHIFT;
    if (front + back >= c.accumulate) return -1;
    const next = fromBack ? front | ((back + 1) << BACK_SHIFT) : (front + 1) | (back << BACK_SHIFT);
    if (Atomics.compareExchange(c.claims, part, v, next) === v) {
      return fromBack ? c.accumulate - 1 - back : front;
    }
  }
}

/** The main thread, before each command: every micro-batch free again. */
export function resetClaims(c: ControlBlock): void {
  for (let p = 0; p < c.world; p++) Atomics.store(c.claims, p, 0);
}

/** The part with the most micro-batches left, or -1 when every part is claimed. */
function busiestPart(c: ControlBlock): number {
  let best = -1;
  let most = 0;
  for (let p = 0; p < c.world; p++) {
    const left = unclaimed(c, p);
    if (left > most) {
      best = p;
      most = left;
    }
  }
  return best;
}

/** What a rank did in one balanced compute. */
export interface BalancedWork {
  samples: number;
  /** micro-batches it computed from other ranks' parts */
  stolen: number;
}

/**
 * One rank's side of balancing: its views of every micro-batch's buffers (all ranks' regions)
 * and of the micro-batch slots, the compute loop and the two-level reduce.
 */
export class BalancedShare {
  /** (W) each part's A micro-batch slots, in order; the first one receives the part's sum */
  private readonly partSlots: Float32Array[][];
  /** (W) each part's first slot: level 2 sums them into heads[0], which is slot 0 */
  private readonly heads: Float32Array[];

  constructor(
    private readonly model: Model,
    private readonly compiled: Compiled,
    /** (W·A) micro-batch q = p·A + j, in part p's rank region */
    private readonly batches: readonly Batch[],
    private readonly control: ControlBlock,
    private readonly rank: number,
  ) {
    const { world: W, accumulate: A } = control;
    const slots = (model.memory as ModelMemory).slots;
    this.partSlots = Array.from({ length: W }, (_, p) => slots.slice(p * A, p * A + A));
    this.heads = this.partSlots.map((part) => part[0]);
  }

  /** Phase 1: own micro-batches from the front, then others' from the back, until none is left. */
  compute(ctx: StepContext): BalancedWork {
    const work: BalancedWork = { samples: 0, stolen: 0 };
    for (let j = claim(this.control, this.rank, false); j >= 0; j = claim(this.control, this.rank, false)) {
      work.samples += this.run(this.rank, j, ctx);
    }
    for (let p = busiestPart(this.control); p >= 0; p = busiestPart(this.control)) {
      const j = claim(this.control, p, true);
      if (j < 0) continue; // taken meanwhile: look again
      work.samples += this.run(p, j, ctx);
      work.stolen += 1;
    }
    return work;
  }

  /** Micro-batch j of part p into its slot and cells; returns its samples. */
  private run(p: number, j: number, ctx: StepContext): number {
    const q = p * this.control.accumulate + j;
    const batch = this.batches[q];
    batch.B = this.control.counts[q];
    const memory = this.model.memory as ModelMemory;
    const target = memory.slots[q];
    const c = this.control;
    if (batch.B === 0) {
      target.fill(0);
      c.batchLoss[q] = 0;
      c.batchCount[q] = 0;
      return 0;
    }
    ctx.sampleIndex = batch.sampleIndex;
    const result = this.model.computeGradients(batch, this.compiled.loss, ctx, false);
    target.set(memory.gradients);
    c.batchLoss[q] = result.sum;
    c.batchCount[q] = result.count;
    return batch.B;
  }

  /**
   * Phase 3, in two levels over [start, end): each part's slots summed (count 1) into its first
   * slot, then the parts summed and divided by `count` into slot 0; returns the chunk's norm².
   */
  reduce(start: number, end: number, count: number): number {
    const kernels = kernelBackend();
    if (this.control.accumulate > 1) {
      for (const part of this.partSlots) kernels.reduceSlots(part, start, end, 1);
    }
    return kernels.reduceSlots(this.heads, start, end, count);
  }
}
