// Test helpers: seeded random arrays and an elementwise closeness check that reports the worst
// element. Other packages' tests import them as @recur/kernels/testing.

/** A small seeded generator for test data (mulberry32); the kernels' own RNG is random.ts. */
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

/** Uniform values in [lo, hi). */
export function randomArray(length: number, random: () => number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * random();
  return out;
}

export interface Closeness {
  ok: boolean;
  worstIndex: number;
  worstExcess: number;
  message: string;
}

/** |a - b| <= atol + rtol * |b| elementwise (b is the reference); NaN never passes. */
export function allClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): Closeness {
  if (actual.length !== expected.length) {
    return {
      ok: false,
      worstIndex: -1,
      worstExcess: Number.POSITIVE_INFINITY,
      message: `length ${actual.length} != expected length ${expected.length}`,
    };
  }
  let worstIndex = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worstExcess = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
      worstIndex = i;
    }
  }
  const ok = worstIndex === -1;
  const message = ok
    ? `all ${actual.length} elements within atol ${atol} + rtol ${rtol}`
    : `element ${worstIndex}: got ${actual[worstIndex]}, expected ${expected[worstIndex]} (rtol ${rtol}, atol ${atol})`;
  return { ok, worstIndex, worstExcess, message };
}

/** ‖a − b‖ / ‖b‖ (b is the reference): how the equivalence tests compare whole parameter vectors. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}
