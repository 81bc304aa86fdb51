// Test helpers: a seeded generator for test data, an elementwise closeness check that reports the
// worst element, and a central-difference gradient check. Not part of the built package
// (tsconfig.build.json excludes src/testing). The same logic as @recur/kernels'
// src/testing/{arrays,gradcheck}.ts, which the build does not export and which lies outside this
// package's rootDir, so it is restated here.
//
// Float32 forward passes: a step of a few 1e-3 and about 2e-2 relative tolerance (rounding of a
// loss near 1 is ~1e-7; divided by the step, ~1e-4 of noise per estimated derivative).

/** A small seeded generator for test data (mulberry32), in [0, 1). */
export function testRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Closeness {
  ok: boolean;
  message: string;
}

/** |actual − expected| ≤ atol + rtol·|expected| elementwise; NaN never passes. */
export function allClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): Closeness {
  if (actual.length !== expected.length) {
    return { ok: false, message: `length ${actual.length} != expected length ${expected.length}` };
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worstExcess = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
      worst = i;
    }
  }
  if (worst === -1)
    return { ok: true, message: `all ${actual.length} elements within atol ${atol} + rtol ${rtol}` };
  return {
    ok: false,
    message: `element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`,
  };
}

export interface GradcheckOptions {
  epsilon?: number;
  rtol?: number;
  atol?: number;
  /** check at most this many elements of `input` (spread evenly) */
  maxElements?: number;
}

/**
 * Compares `analytic` (d loss / d input) with central differences of `loss()`, nudging elements
 * of `input` in place. `loss` must recompute the forward pass from scratch.
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
