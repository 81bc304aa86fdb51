// IEEE 754 half precision, for gradients sent as fp16 (half the bytes). Conversions round to
// nearest, ties to even, as hardware does; values past ±65504 become ±Infinity (the codec then
// refuses them, so a sender scales first: Precision.FP16 carries sum / count).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float16 bits nearest to `value`. */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // Inf, NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    const m = mantissa | 0x800000; // subnormal: shift the implicit 1 in
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let out = m >>> shift;
    if (rest > half || (rest === half && (out & 1) === 1)) out += 1;
    return sign | out;
  }
  let out = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1) === 1)) out += 1; // may carry into the exponent: fine
  return sign | out;
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

/** out[i] = half(x[i] · scale). */
export function encodeHalves(out: Uint16Array, x: Float32Array, scale: number): void {
  for (let i = 0; i < x.length; i++) out[i] = toHalf(x[i] * scale);
}

/** out[i] = float(h[i]) · scale. */
export function decodeHalves(out: Float32Array, h: Uint16Array, scale: number): void {
  for (let i = 0; i < h.length; i++) out[i] = fromHalf(h[i]) * scale;
}
