// The rank-ordered gradient all-reduce of one chunk (DESIGN.md, Note [step phases], phase 3):
// the reference that every backend's `reduceSlots` gives bit for bit. @recur/parallel calls it
// through the kernel backend (native runs the C++ twin, native/src/isa/reduce.cc).
//
// Dimension letters: W slots (one per rank), [start, end) the chunk of the P parameters.
import { NORM_LANES } from './optim.js';

/**
 * slots[0][i] = (Σ_r slots[r][i]) / count over [start, end), summed in rank order in float64
 * (bit-identical run to run); returns the chunk's squared norm as squaredNorm adds it (float64
 * lanes: Note [norm lanes], optim.ts). One pass: the result is bit for bit "sum the slots, round
 * to float32, scale by 1 / count, round", then the norm of the result (count 0 scales by 0).
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
  let l0 = 0;
  let l1 = 0;
  let l2 = 0;
  let l3 = 0;
  let l4 = 0;
  let l5 = 0;
  let l6 = 0;
  let l7 = 0;
  let i = start;
  for (; i + NORM_LANES <= end; i += NORM_LANES) {
    l0 += meanSquared(first, slots, W, factor, i);
    l1 += meanSquared(first, slots, W, factor, i + 1);
    l2 += meanSquared(first, slots, W, factor, i + 2);
    l3 += meanSquared(first, slots, W, factor, i + 3);
    l4 += meanSquared(first, slots, W, factor, i + 4);
    l5 += meanSquared(first, slots, W, factor, i + 5);
    l6 += meanSquared(first, slots, W, factor, i + 6);
    l7 += meanSquared(first, slots, W, factor, i + 7);
  }
  // the last end − i < 8 values go to lanes 0, 1, … (as in squaredNorm)
  if (i < end) l0 += meanSquared(first, slots, W, factor, i);
  if (i + 1 < end) l1 += meanSquared(first, slots, W, factor, i + 1);
  if (i + 2 < end) l2 += meanSquared(first, slots, W, factor, i + 2);
  if (i + 3 < end) l3 += meanSquared(first, slots, W, factor, i + 3);
  if (i + 4 < end) l4 += meanSquared(first, slots, W, factor, i + 4);
  if (i + 5 < end) l5 += meanSquared(first, slots, W, factor, i + 5);
  if (i + 6 < end) l6 += meanSquared(first, slots, W, factor, i + 6);
  return l0 + l1 + (l2 + l3) + (l4 + l5 + (l6 + l7));
}

/** Writes element i's mean over the slots into slots[0]; returns its square (float64, exact). */
function meanSquared(
  first: Float32Array,
  slots: readonly Float32Array[],
  W: number,
  factor: number,
  i: number,
): number {
  let acc = first[i];
  for (let r = 1; r < W; r++) acc += slots[r][i];
  const v = Math.fround(Math.fround(acc) * factor);
  first[i] = v;
  return v * v;
}
