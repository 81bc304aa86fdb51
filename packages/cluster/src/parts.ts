// The assignment of one optimizer step to the members (DESIGN.md, "Machines"): the global batch
// `batchIndex` is split into Σ threads parts (`rankShare`), and member r, in rank order, computes
// parts [offset_r, offset_r + threads_r). A pure function: the same members and step give the
// same assignments, so the global batch does not change when members come and go.
import { rankShare } from '@recur/nn';
import type { Assignment } from '@recur/protocol';

export interface StepPosition {
  /** the optimizer step being computed (the first is 1) */
  step: number;
  /** a step is assigned again (attempt + 1) when a member of it leaves */
  attempt: number;
  epoch: number;
  batchIndex: number;
  batchSize: number;
  /** samples in the data set: the last batch of an epoch may be short */
  dataSize: number;
}

/** One assignment per member, in the order given (rank order); `threads` of each, ≥ 1. */
export function assignParts(members: readonly { threads: number }[], at: StepPosition): Assignment[] {
  const first = at.batchIndex * at.batchSize;
  const count = Math.max(0, Math.min(at.batchSize, at.dataSize - first));
  const total = members.reduce((a, m) => a + m.threads, 0);
  const out: Assignment[] = [];
  let offset = 0;
  for (const m of members) {
    out.push({
      step: at.step,
      epoch: at.epoch,
      batchIndex: at.batchIndex,
      partOffset: offset,
      partTotal: total,
      rangeStart: first + rankShare(count, offset, total)[0],
      rangeEnd: first + rankShare(count, offset + m.threads - 1, total)[1],
      attempt: at.attempt,
    });
    offset += m.threads;
  }
  return out;
}

/** Samples an assignment covers. */
export const assignedSamples = (a: Assignment): number => a.rangeEnd - a.rangeStart;
