// f32x4 exp, sigmoid and tanh for the fused gate kernels (cells.ts). Plain SIMD, no relaxed ops.
//
// exp: Cephes' expf scheme — x = n·ln2 + r with n = round(x·log2 e), ln2 split in two for an
// exact reduction, a degree-6 polynomial for e^r on |r| <= ln2/2, and 2^n built in the exponent
// bits. Inputs are clamped to [-87.3, 88.3] so 2^n stays a normal float. About 1–2 ulp.
// sigmoid(x) = 1 / (1 + e^-x). tanh(|x|) = 1 − 2 / (e^{2|x|} + 1), sign restored; below
// |x| = 0.125 that form cancels, so a 4-term odd Taylor series takes over (error < 2e-10).
// The TypeScript reference computes these in f64 and rounds once: results differ by ~1e-7.

@inline
export function expV(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504089)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

@inline
export function sigmoidV(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expV(f32x4.neg(x))));
}

@inline
export function tanhV(x: v128): v128 {
  const ax = f32x4.abs(x);
  const one = f32x4.splat(1);
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(expV(f32x4.add(ax, ax)), one)));
  const x2 = f32x4.mul(ax, ax);
  // ax·(1 − x²/3 + 2x⁴/15 − 17x⁶/315)
  let s = f32x4.splat(-17.0 / 315.0);
  s = f32x4.add(f32x4.mul(s, x2), f32x4.splat(2.0 / 15.0));
  s = f32x4.add(f32x4.mul(s, x2), f32x4.splat(-1.0 / 3.0));
  s = f32x4.add(f32x4.mul(s, x2), one);
  const small = f32x4.mul(ax, s);
  const magnitude = v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.125)));
  // copy the sign bit of x onto the magnitude
  const signBit = i32x4.splat(0x80000000);
  return v128.or(v128.andnot(magnitude, signBit), v128.and(x, signBit));
}

@inline
export function sigmoidS(x: f32): f32 {
  return f32x4.extract_lane(sigmoidV(f32x4.splat(x)), 0);
}

@inline
export function tanhS(x: f32): f32 {
  return f32x4.extract_lane(tanhV(f32x4.splat(x)), 0);
}
