// IEEE half precision conversions of arrays for one ISA: the twins of @recur/protocol's
// encodeHalves / decodeHalves (src/float16.ts there), bit for bit, NaNs included:
//
//   encode  out[i] = half(float(x[i] · scale))   the product in float64, rounded to float32, then
//                                                to half, nearest even; a NaN becomes sign | 0x7e00
//   decode  out[i] = float(half(h[i]) · scale)   the product in float64; a NaN half becomes the
//                                                float32 NaN 0x7fc00000
//
// AVX-512 converts 16 values per instruction (vcvtps2ph with round-to-nearest-even, vcvtph2ps),
// AVX2 8 (F16C); the tails, and the generic build, run the scalar conversions below, which
// follow the protocol's halfBits step by step.
#pragma GCC optimize("fp-contract=off")
#include <cstdint>
#include <cstring>

#include "isa.h"
#if defined(RECUR_ISA_AVX512) || defined(RECUR_ISA_AVX2)
#include <immintrin.h>
#endif

namespace recur {
namespace RECUR_ISA {

namespace {

constexpr uint16_t HALF_NAN = 0x7e00;       // the quiet half NaN the reference gives (plus sign)
constexpr uint32_t FLOAT_NAN = 0x7fc00000;  // the float32 NaN the reference's table holds

inline uint32_t bitsOf(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return u;
}

inline float floatOf(uint32_t u) {
  float v;
  std::memcpy(&v, &u, 4);
  return v;
}

/** The half bits of float32 bits `x`, round to nearest even (the protocol's halfBits). */
uint16_t halfBits(uint32_t x) {
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t a = x & 0x7fffffff;
  if (a >= 0x47800000) return sign | (a > 0x7f800000 ? HALF_NAN : 0x7c00);  // ≥ 65536, Inf, NaN
  if (a >= 0x38800000) return sign | ((a - 0x38000000 + 0xfff + ((a >> 13) & 1)) >> 13);  // normal
  const uint32_t exponent = a >> 23;
  if (exponent < 102) return sign;  // below 2^-25: ±0
  const uint32_t m = (a & 0x7fffff) | 0x800000;  // a subnormal half
  const uint32_t shift = 126 - exponent;         // 14..24
  const uint32_t half = 1u << (shift - 1);
  const uint32_t rest = m & ((1u << shift) - 1);
  const uint32_t out = m >> shift;
  return sign | (rest > half || (rest == half && (out & 1)) ? out + 1 : out);
}

/** The float32 value of half bits `h` (exact; a NaN is FLOAT_NAN). */
float halfValue(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) return floatOf(mantissa == 0 ? sign | 0x7f800000 : FLOAT_NAN);
  if (exponent != 0) return floatOf(sign | ((exponent + 112) << 23) | (mantissa << 13));
  const float magnitude = (float)mantissa * (1.0f / 16777216.0f);  // 2^-24 · m, exact
  return sign ? -magnitude : magnitude;
}

void encodeScalar(uint16_t* out, const float* x, long from, long n, double scale) {
  for (long i = from; i < n; i++) out[i] = halfBits(bitsOf((float)((double)x[i] * scale)));
}

void decodeScalar(float* out, const uint16_t* h, long from, long n, double scale) {
  for (long i = from; i < n; i++) {
    const float v = (float)((double)halfValue(h[i]) * scale);
    out[i] = v != v ? floatOf(FLOAT_NAN) : v;
  }
}

}  // namespace

#if defined(RECUR_ISA_AVX512)
/** (16) from two (8): AVX-512F only (no DQ). */
inline __m512 joinHalves(__m256 lo, __m256 hi) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}

void encodeHalves(uint16_t* out, const float* x, long n, double scale) {
  const __m512d s = _mm512_set1_pd(scale);
  const __m256i nanBits = _mm256_set1_epi16((short)HALF_NAN);
  const __m256i signBit = _mm256_set1_epi16((short)0x8000);
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)), s));
    const __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8)), s));
    const __m512 v = joinHalves(lo, hi);
    __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    const __m256i canonical = _mm256_or_si256(_mm256_and_si256(h, signBit), nanBits);
    h = _mm256_mask_blend_epi16(nan, h, canonical);
    _mm256_storeu_si256((__m256i*)(out + i), h);
  }
  encodeScalar(out, x, i, n, scale);
}

void decodeHalves(float* out, const uint16_t* h, long n, double scale) {
  const __m512d s = _mm512_set1_pd(scale);
  const __m512 nan = _mm512_castsi512_ps(_mm512_set1_epi32((int)FLOAT_NAN));
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 f = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(h + i)));
    const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(f)), s));
    const __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(f), 1))), s));
    __m512 v = joinHalves(lo, hi);
    v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v, nan);
    _mm512_storeu_ps(out + i, v);
  }
  decodeScalar(out, h, i, n, scale);
}
#elif defined(RECUR_ISA_AVX2)
void encodeHalves(uint16_t* out, const float* x, long n, double scale) {
  const __m256d s = _mm256_set1_pd(scale);
  const __m128i nanBits = _mm_set1_epi16((short)HALF_NAN);
  const __m128i signBit = _mm_set1_epi16((short)0x8000);
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128 lo = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), s));
    const __m128 hi = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)), s));
    const __m256 v = _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
    const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // NaN lanes: 16-bit masks from the 32-bit compare, packed in lane order
    const __m256i nan32 = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    const __m128i nan = _mm_packs_epi32(_mm256_castsi256_si128(nan32), _mm256_extractf128_si256(nan32, 1));
    const __m128i canonical = _mm_or_si128(_mm_and_si128(h, signBit), nanBits);
    _mm_storeu_si128((__m128i*)(out + i), _mm_blendv_epi8(h, canonical, nan));
  }
  encodeScalar(out, x, i, n, scale);
}

void decodeHalves(float* out, const uint16_t* h, long n, double scale) {
  const __m256d s = _mm256_set1_pd(scale);
  const __m256 nan = _mm256_castsi256_ps(_mm256_set1_epi32((int)FLOAT_NAN));
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 f = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(h + i)));
    const __m128 lo = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(f)), s));
    const __m128 hi = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)), s));
    const __m256 v = _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
    _mm256_storeu_ps(out + i, _mm256_blendv_ps(v, nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
  }
  decodeScalar(out, h, i, n, scale);
}
#else
void encodeHalves(uint16_t* out, const float* x, long n, double scale) { encodeScalar(out, x, 0, n, scale); }

void decodeHalves(float* out, const uint16_t* h, long n, double scale) { decodeScalar(out, h, 0, n, scale); }
#endif

}  // namespace RECUR_ISA
}  // namespace recur
