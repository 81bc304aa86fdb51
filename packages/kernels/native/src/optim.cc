// SGD, Adam/AdamW and RMSprop: see optim.h.
#include "optim.h"

#include <cmath>

namespace recur {

void sgdUpdate(float* params, float* momentumBuf, const float* grads, long n, const SgdArgs& o) {
  float* buf = o.momentum != 0 ? momentumBuf : nullptr;
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

void adamUpdate(float* params, float* m, float* v, const float* grads, long n, const AdamArgs& o) {
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

void rmspropUpdate(float* params, float* squareAvg, float* gradAvg, float* momentumBuf, const float* grads,
                   long n, const RmspropArgs& o) {
  float* buf = o.momentum > 0 ? momentumBuf : nullptr;
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

}  // namespace recur
