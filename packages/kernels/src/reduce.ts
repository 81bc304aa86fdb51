// The rank-ordered gradient all-reduce of one chunk (DESIGN.md, Note [step phases], phase 3):
// the reference that every backend's `reduceSlots` gives bit for bit. @recur/parallel calls it
// through the kernel backend (native runs the C++ twin, native/src/isa/reduce.cc).
//
// Dimension letters: W slots (one per rank), [start, end) the chunk of the P parameters.
import { squaredNorm } from './optim.js';

/**
 * slots[0][i] = (Σ_r slots[r][i]) / count over [start, end), summed in rank order in float64
 * (bit-identical run to run); returns the chunk's squared norm as squaredNorm adds it (float64
 * lanes: Note [norm lanes], optim.ts): "sum the slots, round to float32, scale by 1 / count,
 * round", then the norm of the result (count 0 scales by 0).
 */
export function reduceSlots(
  slots: readonly Float32Array[],
  start: number,
  end: number,
  count: number,
): number {
  const first = slots[0];
  const W = slots.length;
  const factor = count > 0 ? 1 / count : 0;
  for (let i = start; i < end; i++) {
    let acc = first[i];
    for (let r = 1; r < W; r++) acc += slots[r][i];
    first[i] = Math.fround(Math.fround(acc) * factor);
  }
  return squaredNorm(first, start, end);
}
