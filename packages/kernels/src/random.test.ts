// The counter-based generator: Random123's known-answer vectors for Philox4x32-10, determinism,
// stream addressing, distribution statistics (uniform mean, variance and chi-square; normal
// moments), independence of keys and counters, dropout masks and permutations.
//
// Statistical bounds are about 5 standard errors wide; the streams are fixed, so each check is
// deterministic (it cannot flake), and a broken generator misses them by far.
import t from 'tap';
import {
  fillDropoutMask,
  fillNormal,
  fillUniform,
  permutation,
  philox4x32,
  RandomPurpose,
  randomUint32,
} from './random.js';

const SAMPLES = 100_000;

function mean(a: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i];
  return sum / a.length;
}

/** The k-th central moment. */
function moment(a: ArrayLike<number>, k: number): number {
  const mu = mean(a);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - mu) ** k;
  return sum / a.length;
}

function correlation(a: Float32Array, b: Float32Array): number {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  for (let i = 0; i < a.length; i++) ab += (a[i] - ma) * (b[i] - mb);
  return ab / a.length / Math.sqrt(moment(a, 2) * moment(b, 2));
}

/** Pearson's chi-square of counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/** Under the null hypothesis chi-square has mean df and standard deviation sqrt(2·df). */
const chiSquareBound = (df: number) => df + 5 * Math.sqrt(2 * df);

t.test('philox4x32 reproduces the Random123 known-answer vectors', async (t) => {
  const out = new Uint32Array(4);
  const hex = () => Array.from(out, (w) => w.toString(16).padStart(8, '0')).join(' ');
  philox4x32(out, 0, 0, 0, 0, 0, 0);
  t.equal(hex(), '6627e8d5 e169c58d bc57ac4c 9b00dbd8', 'zero counter and key');
  const ones = 0xffffffff;
  philox4x32(out, ones, ones, ones, ones, ones, ones);
  t.equal(hex(), '408f276d 41c83b0e a20bc7c6 6d5451fd', 'all-ones counter and key');
  philox4x32(out, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0);
  t.equal(hex(), 'd16cfe09 94fdcceb 5001e420 24126ea1', 'digits of pi');
});

t.test('a stream is a pure function of (seed, purpose, epoch, index)', async (t) => {
  const a = new Float32Array(37);
  const b = new Float32Array(37);
  fillUniform(a, 42, RandomPurpose.init, 3, 9, -1, 1);
  fillUniform(new Float32Array(5), 7, RandomPurpose.sample, 0, 0, 0, 1); // unrelated draw in between
  fillUniform(b, 42, RandomPurpose.init, 3, 9, -1, 1);
  t.same(b, a);
  const words = Array.from({ length: 9 }, (_, j) => randomUint32(42, RandomPurpose.init, 3, 9, j) >>> 8);
  const raw = new Float32Array(9);
  fillUniform(raw, 42, RandomPurpose.init, 3, 9, 0, 2 ** 24);
  t.same(Array.from(raw), words, 'fillUniform element i uses word i of the stream (top 24 bits)');
});

t.test('a shorter fill is a prefix of a longer one', async (t) => {
  const long = new Float32Array(11);
  const short = new Float32Array(6);
  fillNormal(long, 5, RandomPurpose.init, 0, 1, 0, 1);
  fillNormal(short, 5, RandomPurpose.init, 0, 1, 0, 1);
  t.same(short, long.subarray(0, 6), 'normal');
  fillUniform(long, 5, RandomPurpose.init, 0, 1, 0, 1);
  fillUniform(short, 5, RandomPurpose.init, 0, 1, 0, 1);
  t.same(short, long.subarray(0, 6), 'uniform');
});

t.test('uniform values: range, mean, variance and chi-square over 64 bins', async (t) => {
  const u = new Float32Array(SAMPLES);
  fillUniform(u, 123, RandomPurpose.init, 0, 0, 0, 1);
  t.ok(
    u.every((v) => v >= 0 && v < 1),
    'all in [0, 1)',
  );
  const meanError = Math.abs(mean(u) - 0.5);
  t.ok(meanError < 5 * Math.sqrt(1 / 12 / SAMPLES), `mean off by ${meanError}`);
  const varianceError = Math.abs(moment(u, 2) - 1 / 12);
  t.ok(varianceError < 5 * Math.sqrt(1 / 180 / SAMPLES), `variance off by ${varianceError}`);
  const counts = new Array<number>(64).fill(0);
  for (const v of u) counts[Math.floor(v * 64)]++;
  const chi = chiSquare(counts);
  t.ok(chi < chiSquareBound(63), `chi-square ${chi.toFixed(1)} with 63 degrees of freedom`);
});

t.test('uniform values scale to [lo, hi)', async (t) => {
  const u = new Float32Array(1000);
  fillUniform(u, 1, RandomPurpose.init, 0, 0, -0.25, 0.25);
  t.ok(
    u.every((v) => v >= -0.25 && v < 0.25),
    'all in [-0.25, 0.25)',
  );
  t.ok(Math.max(...u) > 0.24 && Math.min(...u) < -0.24, 'and spread over it');
});

t.test('normal values: mean, variance, skewness and kurtosis', async (t) => {
  const z = new Float32Array(SAMPLES);
  fillNormal(z, 99, RandomPurpose.init, 2, 0, 0, 1);
  const m = mean(z);
  const variance = moment(z, 2);
  const skew = moment(z, 3) / variance ** 1.5;
  const kurtosis = moment(z, 4) / variance ** 2;
  t.ok(Math.abs(m) < 5 / Math.sqrt(SAMPLES), `mean ${m}`);
  t.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / SAMPLES), `variance ${variance}`);
  t.ok(Math.abs(skew) < 5 * Math.sqrt(6 / SAMPLES), `skewness ${skew}`);
  t.ok(Math.abs(kurtosis - 3) < 5 * Math.sqrt(24 / SAMPLES), `kurtosis ${kurtosis}`);
});

t.test('normal values take mean and std', async (t) => {
  const z = new Float32Array(SAMPLES);
  fillNormal(z, 3, RandomPurpose.sample, 0, 0, 10, 0.5);
  t.ok(Math.abs(mean(z) - 10) < (5 * 0.5) / Math.sqrt(SAMPLES), `mean ${mean(z)}`);
  t.ok(Math.abs(Math.sqrt(moment(z, 2)) - 0.5) < 0.01, `std ${Math.sqrt(moment(z, 2))}`);
});

t.test('streams of different seeds, purposes, epochs and indices are uncorrelated', async (t) => {
  const base = new Float32Array(SAMPLES);
  fillUniform(base, 1, RandomPurpose.init, 0, 0, 0, 1);
  const variants: [string, number, number, number, number][] = [
    ['seed + 1', 2, RandomPurpose.init, 0, 0],
    ['seed + 2^32 (high key word)', 1 + 2 ** 32, RandomPurpose.init, 0, 0],
    ['purpose', 1, RandomPurpose.dropout, 0, 0],
    ['epoch', 1, RandomPurpose.init, 1, 0],
    ['index', 1, RandomPurpose.init, 0, 1],
  ];
  const other = new Float32Array(SAMPLES);
  const bound = 5 / Math.sqrt(SAMPLES);
  for (const [name, seed, purpose, epoch, index] of variants) {
    fillUniform(other, seed, purpose, epoch, index, 0, 1);
    const r = correlation(base, other);
    t.ok(Math.abs(r) < bound, `${name}: correlation ${r.toFixed(5)}`);
  }
});

t.test('neighbouring keys give unrelated words bit by bit', async (t) => {
  // Each output bit of two streams whose seeds differ in one bit should agree half of the time.
  let agree = 0;
  const words = 4096;
  for (let j = 0; j < words; j++) {
    const x =
      randomUint32(2 ** 40, RandomPurpose.split, 0, 0, j) ^
      randomUint32(2 ** 40 + 1, RandomPurpose.split, 0, 0, j);
    for (let bit = 0; bit < 32; bit++) agree += (x >>> bit) & 1 ? 0 : 1;
  }
  const bits = words * 32;
  t.ok(Math.abs(agree / bits - 0.5) < 5 * Math.sqrt(0.25 / bits), `agreement ${(agree / bits).toFixed(4)}`);
});

t.test('seeds up to 2^53 are usable and distinct', async (t) => {
  const top = 2 ** 53 - 1;
  const a = randomUint32(top, RandomPurpose.init, 0, 0, 0);
  const b = randomUint32(top - 1, RandomPurpose.init, 0, 0, 0);
  const c = randomUint32(top - 2 ** 32, RandomPurpose.init, 0, 0, 0);
  t.ok(a !== b && a !== c && b !== c, `${a} ${b} ${c}`);
  t.ok(Number.isInteger(a) && a >= 0 && a < 2 ** 32, 'an unsigned 32-bit word');
});

t.test('dropout masks keep the given fraction and scale by 1/keep', async (t) => {
  const mask = new Float32Array(SAMPLES);
  fillDropoutMask(mask, 0.8, 17, 4, 2);
  const kept = mask.filter((v) => v !== 0);
  t.ok(
    kept.every((v) => v === Math.fround(1 / 0.8)),
    'kept values are 1/keep',
  );
  const fraction = kept.length / SAMPLES;
  t.ok(Math.abs(fraction - 0.8) < 5 * Math.sqrt(0.16 / SAMPLES), `kept ${fraction}`);
  fillDropoutMask(mask, 1, 17, 4, 2);
  t.ok(
    mask.every((v) => v === 1),
    'keep 1 keeps everything',
  );
  fillDropoutMask(mask, 0, 17, 4, 2);
  t.ok(
    mask.every((v) => v === 0),
    'keep 0 drops everything',
  );
});

t.test('dropout masks come from the dropout purpose', async (t) => {
  const mask = new Float32Array(8);
  fillDropoutMask(mask, 0.5, 17, 4, 2);
  const expected = Array.from({ length: 8 }, (_, j) =>
    randomUint32(17, RandomPurpose.dropout, 4, 2, j) / 2 ** 32 < 0.5 ? 2 : 0,
  );
  t.same(Array.from(mask), expected);
});

t.test('permutation is a deterministic permutation that changes with the epoch', async (t) => {
  const a = new Int32Array(1000);
  const b = new Int32Array(1000);
  permutation(a, 8, 0);
  permutation(b, 8, 0);
  t.same(b, a, 'deterministic');
  t.same(
    Array.from(a).sort((x, y) => x - y),
    Array.from({ length: 1000 }, (_, i) => i),
    'every index once',
  );
  permutation(b, 8, 1);
  t.notSame(b, a, 'another epoch, another order');
  permutation(new Int32Array(0), 8, 0);
  const one = new Int32Array(1);
  permutation(one, 8, 0);
  t.same(Array.from(one), [0], 'n = 0 and n = 1 work');
});

t.test('permutations of 4 are uniform over the 24 orders', async (t) => {
  const counts = new Map<string, number>();
  const p = new Int32Array(4);
  const draws = 24_000;
  for (let epoch = 0; epoch < draws; epoch++) {
    permutation(p, 31, epoch);
    const key = p.join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  t.equal(counts.size, 24, 'every order occurs');
  const chi = chiSquare([...counts.values()]);
  t.ok(chi < chiSquareBound(23), `chi-square ${chi.toFixed(1)} with 23 degrees of freedom`);
});
