// The rank-ordered gradient all-reduce of one chunk for one ISA: the twin of src/reduce.ts, bit
// for bit. Compiled without contraction (as optim.cc): each operation is one IEEE operation in
// the reference's order. Per block of REDUCE_BLOCK floats, the sums over the W slots and the
// scaling vectorize (float64 lanes, rank order kept per element); the squares then go to the
// norm's NORM_LANES float64 lanes, element j of a block to lane j mod 8 (blocks start at multiples
// of 8 from `start`), one vector add per 8 values, and the lanes are added in the reference's
// order at the end (src/optim.ts, Note [norm lanes]).
#pragma GCC optimize("fp-contract=off")
#include "isa.h"

namespace recur {
namespace RECUR_ISA {

namespace {
constexpr long REDUCE_BLOCK = 256;  // floats per block: the float64 sums stay in L1 (2 KiB)
constexpr int NORM_LANES = 8;       // src/optim.ts's NORM_LANES; REDUCE_BLOCK is a multiple of it
}  // namespace

double reduceSlots(float* __restrict first, const float* const* others, int W, long start, long end,
                   double factor) {
  double acc[REDUCE_BLOCK];  // (block) float64 sums, then the squares
  double lanes[NORM_LANES] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (long b = start; b < end; b += REDUCE_BLOCK) {
    const long n = end - b < REDUCE_BLOCK ? end - b : REDUCE_BLOCK;
    float* __restrict out = first + b;
    for (long j = 0; j < n; j++) acc[j] = out[j];
    for (int r = 0; r < W - 1; r++) {
      const float* __restrict slot = others[r] + b;
      for (long j = 0; j < n; j++) acc[j] += slot[j];
    }
    for (long j = 0; j < n; j++) {
      const float v = (float)((double)(float)acc[j] * factor);
      out[j] = v;
      acc[j] = (double)v * (double)v;
    }
    long j = 0;
    for (; j + NORM_LANES <= n; j += NORM_LANES)
      for (int k = 0; k < NORM_LANES; k++) lanes[k] += acc[j + k];
    for (int k = 0; j < n; j++, k++) lanes[k] += acc[j];  // the chunk's last, short block
  }
  const double low = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  const double high = (lanes[4] + lanes[5]) + (lanes[6] + lanes[7]);
  return low + high;
}

}  // namespace RECUR_ISA
}  // namespace recur
