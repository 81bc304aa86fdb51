// Phases 3–5 of a step on one thread (DESIGN.md, Note [step phases]): turn the gradient sums
// into a mean, clip by global norm, and apply the optimizer over a range of the parameters.
// The threads strategy runs the same three pieces per chunk with barriers between them.
import { clipFactor, kernelBackend, scaleRange, squaredNorm } from '@recur/kernels';
import type { ModelMemory } from '../memory.js';
import type { Compiled } from './compile.js';

/** grads /= count over [start, end); returns the range's squared norm (after the division). */
export function reduceRange(grads: Float32Array, start: number, end: number, count: number): number {
  scaleRange(grads, start, end, count > 0 ? 1 / count : 0);
  return squaredNorm(grads, start, end);
}

/** Scales [start, end) for global-norm clipping, given the sum of every range's squared norm. */
export function clipRange(
  grads: Float32Array,
  start: number,
  end: number,
  totalSquaredNorm: number,
  clipNorm: number | null,
): void {
  if (clipNorm === null) return;
  const factor = clipFactor(Math.sqrt(totalSquaredNorm), clipNorm);
  if (factor < 1) scaleRange(grads, start, end, factor);
}

/**
 * One thread, the whole range: mean, clip, update. Advances the step counter. The mean and the
 * norm take one pass on the kernel backend (its reduceSlots over one slot: bit for bit
 * reduceRange, as a thread group's reduce is; native runs it vectorized).
 */
export function applyUpdate(memory: ModelMemory, compiled: Compiled, count: number): void {
  const grads = memory.gradients;
  const P = grads.length;
  const norm = kernelBackend().reduceSlots([grads], 0, P, count);
  clipRange(grads, 0, P, norm, compiled.clipNorm);
  compiled.step += 1;
  const lr = learningRate(compiled, compiled.step);
  compiled.optimizer.update(memory.params, grads, memory.state, 0, P, compiled.step, lr);
}

/**
 * The learning rate of the 1-based optimizer `step`: the schedule's, times `lrScale` (1 unless a
 * callback such as reduceLROnPlateau lowered it). Every strategy's update reads it here.
 */
export function learningRate(compiled: Compiled, step: number): number {
  return compiled.schedule(step) * compiled.lrScale;
}
