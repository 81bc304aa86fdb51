// The rank-ordered gradient all-reduce of one chunk for one ISA: the twin of src/reduce.ts, bit
// for bit. Compiled without contraction (as optim.cc): each operation is one IEEE operation in
// the reference's order. Per block of REDUCE_BLOCK floats, the sums over the W slots and the
// scaling vectorize (float64 lanes, rank order kept per element); the squared norm is then added
// in index order, one float64 chain, as the reference does.
#pragma GCC optimize("fp-contract=off")
#include "isa.h"

namespace recur {
namespace RECUR_ISA {

namespace {
constexpr long REDUCE_BLOCK = 256;  // floats per block: the float64 sums stay in L1 (2 KiB)
}  // namespace

double reduceSlots(float* __restrict first, const float* const* others, int W, long start, long end,
                   double factor) {
  double acc[REDUCE_BLOCK];  // (block) float64 sums, then the squares
  double norm = 0;
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
    for (long j = 0; j < n; j++) norm += acc[j];
  }
  return norm;
}

}  // namespace RECUR_ISA
}  // namespace recur
