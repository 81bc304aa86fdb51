// Runs of real samples at one step: a fast cell computes a block of consecutive real (unpadded)
// batch rows in one call, so a step splits into maximal runs [start, end) of samples b with
// t < lengths[b], and the padded rows between them get their zero output or gradient apart
// (Note [time-major sequences] in sequence.ts). Finding the runs allocates nothing per step: they
// go into one Int32Array per owner, grown only when a larger batch arrives.
import { isRealStep, type SequenceDims } from './sequence.js';

export class RealRuns {
  /** (runs, 2): [start, end) of each run of step `find` was last called for */
  bounds = new Int32Array(0);

  /** Finds the runs of real samples at step t into `bounds`; returns how many there are. */
  find(dims: SequenceDims, t: number): number {
    const { B } = dims;
    // At most ⌈B/2⌉ runs (a run ends at a padded row or at B): B + 1 entries hold them.
    if (this.bounds.length < B + 1) this.bounds = new Int32Array(B + 1);
    const bounds = this.bounds;
    let runs = 0;
    for (let b = 0; b < B; ) {
      if (!isRealStep(dims, t, b)) {
        b++;
        continue;
      }
      let e = b + 1;
      while (e < B && isRealStep(dims, t, e)) e++;
      bounds[2 * runs] = b;
      bounds[2 * runs + 1] = e;
      runs++;
      b = e;
    }
    return runs;
  }
}

/** view (T, B, width): zeroes step t's rows of the samples for which t is a padded step. */
export function zeroPaddedRows(view: Float32Array, t: number, dims: SequenceDims, width: number): void {
  if (dims.lengths === null) return;
  const { B } = dims;
  for (let b = 0; b < B; b++) {
    if (!isRealStep(dims, t, b)) view.fill(0, (t * B + b) * width, (t * B + b + 1) * width);
  }
}
