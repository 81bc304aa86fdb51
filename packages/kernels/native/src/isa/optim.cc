// SGD, Adam/AdamW and RMSprop for one ISA: see ../optim.h. Compiled without contraction (the
// pragma overrides the ISA libraries' -ffp-contract=fast for this file): every operation is one
// IEEE float64 operation, in the reference's order, so the vectorized loops give its bits.
// (The ISA libraries build with -fno-math-errno: sqrt then vectorizes; its results are the same.)
#pragma GCC optimize("fp-contract=off")
#include <cmath>

#include "../optim.h"
#include "isa.h"

namespace recur {
namespace RECUR_ISA {

void sgdUpdate(float* __restrict params, float* momentumBuf, const float* __restrict grads, long n,
               const SgdArgs& o) {
  float* __restrict buf = o.momentum != 0 ? momentumBuf : nullptr;
#pragma GCC ivdep
  for (long i = 0; i < n; i++) {
    double d = grads[i];
    if (o.weightDecay != 0) d += o.weightDecay * (double)params[i];
    if (buf != nullptr) {
      buf[i] = (float)(o.first ? d : o.momentum * (double)buf[i] + (1 - o.dampening) * d);
      d = o.nesterov ? d + o.momentum * (double)buf[i] : (double)buf[i];
    }
    params[i] = (float)((double)params[i] - o.lr * d);
  }
}

void adamUpdate(float* __restrict params, float* __restrict m, float* __restrict v, const float* __restrict grads,
                long n, const AdamArgs& o) {
#pragma GCC ivdep
  for (long i = 0; i < n; i++) {
    if (o.shrink != 1) params[i] = (float)((double)params[i] * o.shrink);
    double g = grads[i];
    if (o.l2 != 0) g += o.l2 * (double)params[i];
    m[i] = (float)(o.beta1 * (double)m[i] + (1 - o.beta1) * g);
    v[i] = (float)(o.beta2 * (double)v[i] + (1 - o.beta2) * g * g);
    const double denom = std::sqrt((double)v[i]) / o.correction2Sqrt + o.eps;
    params[i] = (float)((double)params[i] - o.stepSize * ((double)m[i] / denom));
  }
}

void rmspropUpdate(float* __restrict params, float* __restrict squareAvg, float* __restrict gradAvg,
                   float* momentumBuf, const float* __restrict grads, long n, const RmspropArgs& o) {
  float* __restrict buf = o.momentum > 0 ? momentumBuf : nullptr;
#pragma GCC ivdep
  for (long i = 0; i < n; i++) {
    double g = grads[i];
    if (o.weightDecay != 0) g += o.weightDecay * (double)params[i];
    squareAvg[i] = (float)(o.alpha * (double)squareAvg[i] + (1 - o.alpha) * g * g);
    double variance = squareAvg[i];
    if (gradAvg != nullptr) {
      gradAvg[i] = (float)(o.alpha * (double)gradAvg[i] + (1 - o.alpha) * g);
      const double mean = gradAvg[i];
      variance = variance - mean * mean;
      variance = variance < 0 ? 0 : variance;  // Math.max(0, ·): NaN stays NaN
    }
    const double avg = std::sqrt(variance) + o.eps;
    if (buf != nullptr) {
      buf[i] = (float)(o.momentum * (double)buf[i] + g / avg);
      params[i] = (float)((double)params[i] - o.lr * (double)buf[i]);
    } else {
      params[i] = (float)((double)params[i] - o.lr * (g / avg));
    }
  }
}

}  // namespace RECUR_ISA
}  // namespace recur
