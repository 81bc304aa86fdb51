// The coordinator's checks of a member's gradient and of the step it makes (issue 16): a
// gradient must belong to the current step and attempt, come once from a member with a part in
// it, and carry the samples assigned to that member with a loss-term count those samples can
// have; the sum of the gradients and the updated parameters and optimizer state must be finite,
// or the step is refused and the model is left as it was.
import type { Compiled, Model, ModelMemory } from '@recur/nn';
import { reduceChunk, updateChunk } from '@recur/parallel';
import { type Assignment, allFinite, type Gradient } from '@recur/protocol';
import { ClusterErrorCode } from './errors.js';
import { assignedSamples } from './parts.js';

/** What a gradient is checked against: the round in flight (null: none). */
export interface RoundView<M> {
  step: number;
  attempt: number;
  parts: Map<M, Assignment>;
  received: Map<M, Gradient>;
}

/**
 * Why a gradient is refused ([code, message]), or null when it is accepted. `maxTermsPerSample`:
 * the most loss terms one sample can add (output steps × features).
 */
export function gradientRefusal<M extends { nodeId: string }>(
  r: RoundView<M> | null,
  member: M,
  g: Gradient,
  maxTermsPerSample: number,
): [string, string] | null {
  if (r === null || g.step !== r.step || g.attempt !== r.attempt) {
    const current = r === null ? 'none' : `step ${r.step} attempt ${r.attempt}`;
    return [
      ClusterErrorCode.STALE_STEP,
      `gradient for step ${g.step} attempt ${g.attempt}; the current is ${current}`,
    ];
  }
  const part = r.parts.get(member);
  if (part === undefined)
    return [ClusterErrorCode.UNEXPECTED, `node ${member.nodeId} has no part in step ${r.step}`];
  if (r.received.has(member))
    return [ClusterErrorCode.DUPLICATE_STEP, `a second gradient for step ${r.step}`];
  return countRefusal(g, assignedSamples(part), maxTermsPerSample);
}

/**
 * A gradient's samples must be those assigned, and its count (loss terms) an integer with at
 * least one term per sample and at most maxTermsPerSample per sample (0 for an empty part).
 */
export function countRefusal(
  g: Gradient,
  samples: number,
  maxTermsPerSample: number,
): [string, string] | null {
  if (g.samples !== samples) {
    return [
      ClusterErrorCode.BAD_COUNT,
      `gradient for step ${g.step} covers ${g.samples} samples; ${samples} were assigned`,
    ];
  }
  const most = samples * maxTermsPerSample;
  if (!Number.isInteger(g.count) || g.count < samples || g.count > most) {
    return [
      ClusterErrorCode.BAD_COUNT,
      `gradient for step ${g.step}: count ${g.count} is not an integer in [${samples}, ${most}] for ${samples} assigned samples`,
    ];
  }
  return null;
}

/** The most loss terms one sample adds: its output steps (1 for a vector) times its features. */
export const maxTermsPerSample = (model: Model): number =>
  (model.outputSpec.steps ?? 1) * model.outputSpec.features;

/** Copies of the parameters and the optimizer state, to put back when an update is refused. */
export class UpdateGuard {
  private readonly params: Float32Array;
  private readonly state: Float32Array[];

  constructor(private readonly memory: ModelMemory) {
    this.params = new Float32Array(memory.params.length);
    this.state = memory.state.map((s) => new Float32Array(s.length));
  }

  /**
   * Sums `gradients` (rank order) into the gradient slot, divides by `count`, clips and applies
   * the optimizer; returns null, or why the step is refused (the model is then as before).
   */
  apply(compiled: Compiled, gradients: Float32Array[], count: number): string | null {
    const m = this.memory;
    const grads = m.slots[0];
    grads.set(gradients[0]);
    const P = grads.length;
    const norm = reduceChunk([grads, ...gradients.slice(1)], 0, P, count);
    if (!Number.isFinite(norm)) return 'the sum of the gradients is not finite';
    this.params.set(m.params);
    for (let s = 0; s < m.state.length; s++) this.state[s].set(m.state[s]);
    updateChunk(m, compiled, 0, P, norm);
    if (allFinite(m.params) && m.state.every(allFinite)) return null;
    m.params.set(this.params);
    for (let s = 0; s < m.state.length; s++) m.state[s].set(this.state[s]);
    compiled.step -= 1;
    return 'the update made the parameters or the optimizer state non-finite';
  }
}
