// The one random number generator of recur: counter-based Philox4x32-10, keyed by
// (seed, purpose) and addressed by (epoch, index, block).
//
// Why counter-based (DESIGN.md "Sequences and randomness"): the numbers for sample i of epoch e
// are a pure function of (seed, purpose, e, i), not of how many numbers were drawn before. So
// results do not depend on how samples are split across threads or machines, any worker can
// produce any sample's dropout mask without a shared generator state, and a checkpoint restores
// the stream exactly by storing nothing but the seed and the step.
//
// Is: the Philox4x32-10 block function (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011), checked against Random123's known-answer vectors, and allocation-
// free fills built on it: uniform, normal (Box–Muller), dropout masks, permutations.
// Is not: a cryptographic generator, nor a replica of PyTorch's or TensorFlow's streams (same
// seed ≠ same numbers as there).
//
// Key: k0 = low 32 bits of the seed, k1 = high 21 bits of the seed + purpose·2^21, so every
// (seed < 2^53, purpose < 2^11) pair has its own key. Counter: (epoch, index, block, 0), each
// word taken modulo 2^32; block b holds words 4b..4b+3 of the stream (seed, purpose, epoch, index).
// Seeds must be non-negative integers below 2^53 (validated by the caller).

/** The purpose word of the key: each use of randomness draws from its own streams. */
export const RandomPurpose = { init: 1, shuffle: 2, dropout: 3, sample: 4, split: 5 } as const;

// Philox4x32 multipliers and Weyl key increments (Random123's PHILOX_M4x32_*, PHILOX_W32_*).
const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW_32 = 4294967296;
const TWO_POW_21 = 2097152;

/** The high 32 bits of the 64-bit product of two unsigned 32-bit integers, via 16-bit halves. */
function mulHi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  // Every partial product is below 2^32, so it stays exact in a double.
  const middle = (loLo >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff);
  return (aHi * bHi + (hiLo >>> 16) + (loHi >>> 16) + (middle >>> 16)) >>> 0;
}

/**
 * out[0..3] = Philox4x32-10(counter (c0, c1, c2, c3), key (k0, k1)); every argument is taken
 * modulo 2^32. out needs at least 4 elements.
 */
export function philox4x32(
  out: Uint32Array,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
): void {
  c0 >>>= 0;
  c1 >>>= 0;
  c2 >>>= 0;
  c3 >>>= 0;
  k0 >>>= 0;
  k1 >>>= 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulHi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulHi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// One block of scratch, reused by every call (each worker thread has its own module instance).
const words = new Uint32Array(4);

/** Fills `words` with block `block` of the stream (seed, purpose, epoch, index). */
function streamBlock(seed: number, purpose: number, epoch: number, index: number, block: number): void {
  const k0 = seed >>> 0;
  const k1 = Math.floor(seed / TWO_POW_32) + purpose * TWO_POW_21;
  philox4x32(words, epoch, index, block, 0, k0, k1);
}

/** The j-th (0-based) 32-bit word of the stream (seed, purpose, epoch, index), as an unsigned integer. */
export function randomUint32(seed: number, purpose: number, epoch: number, index: number, j: number): number {
  streamBlock(seed, purpose, epoch, index, Math.floor(j / 4));
  return words[j % 4];
}

/**
 * out[i] = lo + (hi − lo)·u_i, u_i = (word i >>> 8)·2^−24 in [0, 1): 24 bits, which float32 holds
 * exactly, so u never rounds up to 1 (the stored value can still round to hi when |lo| ≫ |hi − lo|).
 */
export function fillUniform(
  out: Float32Array,
  seed: number,
  purpose: number,
  epoch: number,
  index: number,
  lo: number,
  hi: number,
): void {
  const width = (hi - lo) / 16777216;
  for (let i = 0; i < out.length; i += 4) {
    streamBlock(seed, purpose, epoch, index, i / 4);
    const n = Math.min(4, out.length - i);
    for (let k = 0; k < n; k++) out[i + k] = lo + width * (words[k] >>> 8);
  }
}

/**
 * out[i] ~ N(mean, std²) by Box–Muller: words 2p and 2p+1 give u1 in (0, 1) and u2 in [0, 1),
 * then out[2p] = r·cos(2πu2) and out[2p+1] = r·sin(2πu2) with r = sqrt(−2·ln u1). 32-bit u1
 * bounds |z| below 6.8.
 */
export function fillNormal(
  out: Float32Array,
  seed: number,
  purpose: number,
  epoch: number,
  index: number,
  mean: number,
  std: number,
): void {
  for (let i = 0; i < out.length; i += 4) {
    streamBlock(seed, purpose, epoch, index, i / 4);
    for (let k = 0; k < 4 && i + k < out.length; k += 2) {
      const u1 = (words[k] + 0.5) / TWO_POW_32;
      const angle = (2 * Math.PI * words[k + 1]) / TWO_POW_32;
      const r = std * Math.sqrt(-2 * Math.log(u1));
      out[i + k] = mean + r * Math.cos(angle);
      if (i + k + 1 < out.length) out[i + k + 1] = mean + r * Math.sin(angle);
    }
  }
}

/**
 * Inverted dropout: out[i] = 1/keepProbability with probability keepProbability, else 0, from the
 * stream (seed, RandomPurpose.dropout, epoch, index). keepProbability 1 keeps everything; 0 drops
 * everything (and never divides by it).
 * Porting note: as PyTorch's and Keras' dropout, kept units are scaled by 1/keep in training.
 */
export function fillDropoutMask(
  out: Float32Array,
  keepProbability: number,
  seed: number,
  epoch: number,
  index: number,
): void {
  const scale = keepProbability > 0 ? 1 / keepProbability : 0;
  for (let i = 0; i < out.length; i += 4) {
    streamBlock(seed, RandomPurpose.dropout, epoch, index, i / 4);
    const n = Math.min(4, out.length - i);
    for (let k = 0; k < n; k++) out[i + k] = words[k] / TWO_POW_32 < keepProbability ? scale : 0;
  }
}

/** An unbiased integer in [0, m) from stream (seed, shuffle, epoch, index), by rejection. */
function uniformBelow(m: number, seed: number, epoch: number, index: number): number {
  const limit = TWO_POW_32 - (TWO_POW_32 % m);
  for (let j = 0; ; j++) {
    const word = randomUint32(seed, RandomPurpose.shuffle, epoch, index, j);
    if (word < limit) return word % m;
  }
}

/**
 * out (n) = a permutation of 0..n−1 for (seed, epoch), n = out.length ≤ 2^31: Fisher–Yates from
 * the back, where position i swaps with a uniform j in [0, i] drawn from stream
 * (seed, RandomPurpose.shuffle, epoch, i).
 */
export function permutation(out: Int32Array, seed: number, epoch: number): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = uniformBelow(i + 1, seed, epoch, i);
    const held = out[i];
    out[i] = out[j];
    out[j] = held;
  }
}
