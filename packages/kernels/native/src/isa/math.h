// exp, sigmoid and tanh for the gate loops, written so that GCC vectorizes the loops that call
// them (no libm calls, no branches: selects only).
//
// exp: Cephes' expf scheme, as the wasm kernels (assembly/math.ts): x = n·ln2 + r with
// n = round(x·log2 e) (by the 1.5·2^23 trick), ln2 split in two for an exact reduction, a
// degree-6 polynomial for e^r on |r| <= ln2/2, and 2^n built in the exponent bits. Inputs are
// clamped to [-87.3, 88.3] so 2^n stays a normal float. About 1–2 ulp.
// sigmoid(x) = 1 / (1 + e^-x). tanh(|x|) = 1 − 2 / (e^{2|x|} + 1), sign restored; below
// |x| = 0.125 that form cancels, so an odd Taylor series takes over (error < 2e-10).
// The TypeScript reference computes these in float64 and rounds once: results differ by ~1e-7.
#pragma once
#include <cstdint>

#include "isa.h"

namespace recur {
namespace RECUR_ISA {

static inline float expApprox(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.3f ? 88.3f : x;
  const float shifter = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer
  const float n = (x * 1.44269504089f + shifter) - shifter;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}

static inline float sigmoidApprox(float x) { return 1.f / (1.f + expApprox(-x)); }

static inline float tanhApprox(float x) {
  const float ax = x < 0 ? -x : x;
  const float big = 1.f - 2.f / (expApprox(ax + ax) + 1.f);
  const float x2 = ax * ax;
  const float small = ax * (((-17.f / 315.f * x2 + 2.f / 15.f) * x2 - 1.f / 3.f) * x2 + 1.f);
  const float magnitude = ax < 0.125f ? small : big;
  return x < 0 ? -magnitude : magnitude;
}

}  // namespace RECUR_ISA
}  // namespace recur
