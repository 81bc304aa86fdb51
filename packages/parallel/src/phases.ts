// The phases of one data-parallel step on one rank (DESIGN.md, Note [step phases]), as plain
// functions over a model's memory, with no threads or barriers in them: the rank loop
// (rank-worker.ts) puts the barriers between them, and a cluster node can put its exchange with
// the coordinator between the reduce and the update.
//
//   compute — forward and backward of the rank's micro-batches into its own slot, as sums
//   reduce  — Σ slots over the rank's chunk of P, in rank order, ÷ the total count; chunk norm²
//   update  — global-norm clipping and the optimizer over the rank's chunk
//
// Dimension letters: P parameters, W ranks, B samples of a micro-batch.
import { kernelBackend } from '@recur/kernels';
import type { BackwardProgress, Batch, Compiled, LossSum, Model, ModelMemory, StepContext } from '@recur/nn';
import { clipRange, learningRate } from '@recur/nn';

/** Floats per chunk boundary: 16 floats = 64 bytes, so no two ranks write one cache line. */
const CHUNK_ALIGN = 16;

/** The chunk [start, end) of the P parameters that `rank` of `world` reduces and updates. */
export function chunkOf(P: number, rank: number, world: number): [number, number] {
  const units = Math.ceil(P / CHUNK_ALIGN);
  const start = Math.floor((units * rank) / world) * CHUNK_ALIGN;
  const end = Math.floor((units * (rank + 1)) / world) * CHUNK_ALIGN;
  return [Math.min(start, P), Math.min(end, P)];
}

/**
 * A listener for the backward of a share's last non-empty micro-batch (Note [bucketed sums]):
 * computeShare sets `before` to the share's loss sum and count over the micro-batches before it,
 * so that lossKnown can add that batch's own.
 */
export interface ShareProgress extends BackwardProgress {
  before: LossSum;
}

/**
 * Phase 1: zeroes the rank's slot, then adds the gradient sums of each non-empty micro-batch.
 * `batches[j].B` must hold micro-batch j's sample count (0 = none). With `progress`, the last
 * non-empty micro-batch's backward reports to it.
 */
export function computeShare(
  model: Model,
  compiled: Compiled,
  batches: readonly Batch[],
  ctx: StepContext,
  progress: ShareProgress | null = null,
): LossSum {
  (model.memory as ModelMemory).gradients.fill(0);
  let sum = 0;
  let count = 0;
  let last = batches.length - 1;
  while (last >= 0 && batches[last].B === 0) last--;
  for (let j = 0; j <= last; j++) {
    const batch = batches[j];
    if (batch.B === 0) continue;
    ctx.sampleIndex = batch.sampleIndex;
    ctx.backwardProgress = j === last ? progress : null;
    if (progress !== null && j === last) {
      progress.before.sum = sum;
      progress.before.count = count;
    }
    const result = model.computeGradients(batch, compiled.loss, ctx, true);
    sum += result.sum;
    count += result.count;
  }
  ctx.backwardProgress = null;
  return { sum, count };
}

/**
 * Phase 3: slots[0][i] = (Σ_r slots[r][i]) / count over [start, end), summed in rank order in
 * float64 (bit-identical run to run); returns the chunk's squared norm. One pass, on this
 * thread's kernel backend (@recur/kernels' reduceSlots: the same bits on every backend): the
 * result is bit for bit that of @recur/nn's reduceRange after the sum (round, scale, round, square).
 */
export function reduceChunk(
  slots: readonly Float32Array[],
  start: number,
  end: number,
  count: number,
): number {
  return kernelBackend().reduceSlots(slots, start, end, count);
}

/**
 * Phases 4–5: clips the chunk by the global norm (Σ of every chunk's norm², the same on every
 * rank) and applies the optimizer to it. Advances `compiled.step`, as every rank does.
 */
export function updateChunk(
  memory: ModelMemory,
  compiled: Compiled,
  start: number,
  end: number,
  totalSquaredNorm: number,
): void {
  const grads = memory.slots[0];
  clipRange(grads, start, end, totalSquaredNorm, compiled.clipNorm);
  compiled.step += 1;
  const lr = learningRate(compiled, compiled.step);
  compiled.optimizer.update(memory.params, grads, memory.state, start, end, compiled.step, lr);
}
