// IEEE 754 half precision, for gradients sent as fp16 (half the bytes). Conversions round to
// nearest, ties to even, as hardware does; values past ±65504 become ±Infinity (the codec then
// refuses them, so a sender scales first: Precision.FP16 carries sum / count).
//
// The array conversions are the hot path (P values per step on both sides): encodeHalves works
// on the float32 bits through a reused scratch view (no allocation per element or per call once
// the scratch is large enough), decodeHalves looks every half up in a 65,536-entry table of its
// float32 value (every half is exact in float32). Both are pure functions of their inputs, so a
// native kernel can replace them (the seam: `halfConversions`) without changing a bit.
import { checkConversion } from './arguments.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float16 bits of float32 bits `x` (round to nearest, ties to even). */
function halfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const a = x & 0x7fffffff; // |x|
  if (a >= 0x47800000) {
    // ≥ 65536 (rounds past 65504), Inf, NaN
    return sign | (a > 0x7f800000 ? 0x7e00 : 0x7c00);
  }
  if (a >= 0x38800000) {
    // a normal half (≥ 2^-14): rebias the exponent by 127 − 15, round the 13 dropped bits to
    // nearest even; a carry out of the mantissa rightly bumps the exponent (up to Infinity)
    return sign | ((a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13);
  }
  const exponent = a >>> 23;
  if (exponent < 102) return sign; // below 2^-25: rounds to ±0 (2^-25 itself ties to 0, even)
  // a subnormal half: the implicit 1 shifted in, then round to nearest even
  const m = (a & 0x7fffff) | 0x800000;
  const shift = 126 - exponent; // 14..24
  const half = 1 << (shift - 1);
  const rest = m & ((1 << shift) - 1);
  const out = m >>> shift;
  return sign | (rest > half || (rest === half && (out & 1) === 1) ? out + 1 : out);
}

/** The float16 bits nearest to `value` (rounded to float32 first). */
export function toHalf(value: number): number {
  f32[0] = value;
  return halfBits(u32[0]);
}

/** The number that float16 bits `h` stand for. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** (65536) the float32 value of every half, built on first use (256 KiB). */
let halfTable: Float32Array | null = null;
function table(): Float32Array {
  if (halfTable === null) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalf(h);
  }
  return halfTable;
}

/** (n) scratch for x · scale as float32, and its bits; grown, never shrunk. */
let scratch = new Float32Array(0);
let scratchBits = new Uint32Array(0);

/** out[i] = half(x[i] · scale): the product rounded to float32, then to half. */
function encodeHalvesJs(out: Uint16Array, x: Float32Array, scale: number): void {
  const n = x.length;
  if (scratch.length < n) {
    scratch = new Float32Array(n);
    scratchBits = new Uint32Array(scratch.buffer);
  }
  for (let i = 0; i < n; i++) scratch[i] = x[i] * scale;
  for (let i = 0; i < n; i++) out[i] = halfBits(scratchBits[i]);
}

/** out[i] = float(h[i]) · scale (the product rounded to float32). */
function decodeHalvesJs(out: Float32Array, h: Uint16Array, scale: number): void {
  const values = table();
  for (let i = 0; i < h.length; i++) out[i] = values[h[i]] * scale;
}

/**
 * The array conversions in use: one place for a faster implementation (a native kernel) to be
 * installed. A replacement must give the same bits: round to nearest even, as these do.
 */
export const halfConversions = {
  encode: encodeHalvesJs,
  decode: decodeHalvesJs,
};

/** out[i] = half(x[i] · scale), for every i of x (out at least as long). */
export function encodeHalves(out: Uint16Array, x: Float32Array, scale: number): void {
  checkConversion('encodeHalves', out, Uint16Array, x, Float32Array, scale);
  halfConversions.encode(out, x, scale);
}

/** out[i] = float(h[i]) · scale, for every i of h (out at least as long). */
export function decodeHalves(out: Float32Array, h: Uint16Array, scale: number): void {
  checkConversion('decodeHalves', out, Float32Array, h, Uint16Array, scale);
  halfConversions.decode(out, h, scale);
}
