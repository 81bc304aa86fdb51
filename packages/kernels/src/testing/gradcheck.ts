// Finite-difference gradient checks for backward kernels.
//
// Kernels work in float32, so central differences use a step of a few 1e-3 and a tolerance of
// about 1e-2 relative: float32 rounding of a loss near 1 is ~1e-7, divided by the step gives
// ~1e-4 of noise in each estimated derivative. Bit-level agreement is the job of the PyTorch
// fixtures (computed in float64), not of these checks.
import { allClose, type Closeness } from './arrays.js';

export interface GradcheckOptions {
  /** finite-difference step */
  epsilon?: number;
  rtol?: number;
  atol?: number;
  /** check at most this many elements of the input (spread evenly), to keep tests fast */
  maxElements?: number;
}

/**
 * Compares `analytic` (the backward kernel's gradient of `loss` w.r.t. `input`) with central
 * differences of `loss()` while nudging elements of `input` in place. `loss` must recompute the
 * forward pass from scratch and return a scalar (accumulated in float64).
 */
export function gradcheck(
  input: Float32Array,
  analytic: ArrayLike<number>,
  loss: () => number,
  options: GradcheckOptions = {},
): Closeness {
  const { epsilon = 3e-3, rtol = 2e-2, atol = 2e-3, maxElements = 64 } = options;
  const stride = Math.max(1, Math.floor(input.length / maxElements));
  const numeric: number[] = [];
  const picked: number[] = [];
  for (let i = 0; i < input.length; i += stride) {
    const saved = input[i];
    input[i] = saved + epsilon;
    const up = loss();
    input[i] = saved - epsilon;
    const down = loss();
    input[i] = saved;
    // The step actually taken in float32 may differ slightly from epsilon.
    const step = Math.fround(saved + epsilon) - Math.fround(saved - epsilon);
    numeric.push((up - down) / step);
    picked.push(analytic[i]);
  }
  return allClose(picked, numeric, rtol, atol);
}

/** A fixed random projection of an output, so that sum(out * weights) is the scalar loss. */
export function dot(values: ArrayLike<number>, weights: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * weights[i];
  return sum;
}
