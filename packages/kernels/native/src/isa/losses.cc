// Losses and the embedding for one ISA: softmax cross entropy (probability targets or integer
// labels), mean squared error, and the embedding's gather and scatter-add (src/losses.ts and
// src/embedding.ts are the references; their semantics, masks and reductions hold here).
//
// Softmax cross entropy per real row: max, then e_j = exp(x_j − max) (the float polynomial of
// math.h) written into dLogits and summed in VL float lanes (each lane adds V/VL terms, then the
// lanes add in float64), lse = max + log Σ in float64; the loss terms add in float64 as the
// reference's; the gradient is e_j · (factor·Σt / Σe) − factor·t_j in one pass. Results differ
// from the reference (float64 Math.exp) by float32 rounding. MSE and the embedding compute what
// the reference computes in the same order (float64 where it uses float64): bit for bit.
#pragma GCC optimize("fp-contract=off")  // MSE: each operation rounded as in JavaScript
#include <cmath>
#include <cstdlib>

#include "math.h"

namespace recur {
namespace RECUR_ISA {

namespace {

/** max of x (V), V ≥ 1, in VL lanes (a scalar chain of compares is 4 cycles an element). */
float rowMax(const float* __restrict x, long V) {
  float lanes[VL];
  for (int l = 0; l < VL; l++) lanes[l] = x[0];
  const long whole = V / VL * VL;
  for (long j = 0; j < whole; j += VL)
#pragma GCC unroll 16
    for (int l = 0; l < VL; l++) lanes[l] = x[j + l] > lanes[l] ? x[j + l] : lanes[l];
  float m = x[0];
  for (int l = 0; l < VL; l++) m = lanes[l] > m ? lanes[l] : m;
  for (long j = whole; j < V; j++) m = x[j] > m ? x[j] : m;
  return m;
}

/** e (V) = exp(x − max) (e may be scratch), returns Σ e: VL float lanes, added in float64. */
double expRow(float* __restrict e, const float* __restrict x, long V, float max) {
  float lanes[VL] = {};
  const long whole = V / VL * VL;
  for (long j = 0; j < whole; j += VL)
#pragma GCC unroll 16
    for (int l = 0; l < VL; l++) {
      const float v = expApprox(x[j + l] - max);
      e[j + l] = v;
      lanes[l] += v;
    }
  double sum = 0;
  for (long j = whole; j < V; j++) {
    e[j] = expApprox(x[j] - max);
    sum += e[j];
  }
  for (int l = 0; l < VL; l++) sum += lanes[l];
  return sum;
}

}  // namespace

double softmaxCrossEntropy(float* dLogits, const float* logits, const float* target, const int32_t* labels,
                           const float* mask, long N, long V, double scale) {
  float* rowScratch = dLogits == nullptr ? scratch(LOSS_ROW, V) : nullptr;  // a row's exponentials
  if (dLogits == nullptr && rowScratch == nullptr) std::abort();            // out of memory for one row
  double total = 0;
  for (long n = 0; n < N; n++) {
    const float m = mask == nullptr ? 1.f : mask[n];
    float* d = dLogits == nullptr ? rowScratch : dLogits + n * V;
    if (m == 0) {
      if (dLogits != nullptr)
        for (long j = 0; j < V; j++) d[j] = 0;
      continue;
    }
    const float* x = logits + n * V;
    const float max = rowMax(x, V);
    const double sum = expRow(d, x, V, max);
    const double lse = max + std::log(sum);
    const double factor = (double)m * scale;
    if (labels != nullptr) {
      const int32_t label = labels[n];
      total += m * (lse - x[label]);
      if (dLogits == nullptr) continue;
      const float k = (float)(factor / sum);
#pragma GCC ivdep
      for (long j = 0; j < V; j++) d[j] *= k;
      d[label] = (float)(d[label] - factor);
      continue;
    }
    const float* t = target + n * V;
    double targetSum = 0;
    for (long j = 0; j < V; j++) {
      if (t[j] == 0) continue;
      targetSum += t[j];
      total += (double)m * t[j] * (lse - x[j]);
    }
    if (dLogits == nullptr) continue;
    const float k = (float)(factor * targetSum / sum), f = (float)factor;
#pragma GCC ivdep
    for (long j = 0; j < V; j++) d[j] = d[j] * k - f * t[j];
  }
  return total * scale;
}

double mseLoss(float* dPred, const float* pred, const float* target, const float* mask, long N, long D,
               double scale) {
  double total = 0;
  for (long n = 0; n < N; n++) {
    const double m = mask == nullptr ? 1 : mask[n];
    if (m == 0) {
      if (dPred != nullptr)
        for (long i = n * D; i < (n + 1) * D; i++) dPred[i] = 0;
      continue;
    }
    for (long i = n * D; i < (n + 1) * D; i++) {
      const double diff = (double)pred[i] - (double)target[i];
      total += m * diff * diff;
      if (dPred != nullptr) dPred[i] = (float)(2 * m * diff * scale);
    }
  }
  return total * scale;
}

void embeddingForward(float* y, const int32_t* ids, const float* table, long N, long D) {
  for (long n = 0; n < N; n++) std::memcpy(y + n * D, table + (long)ids[n] * D, sizeof(float) * D);
}

void embeddingBackward(float* dTable, const int32_t* ids, const float* dy, long N, long D) {
  for (long n = 0; n < N; n++) {
    float* __restrict to = dTable + (long)ids[n] * D;
    const float* __restrict from = dy + n * D;
    for (long d = 0; d < D; d++) to[d] += from[d];
  }
}

}  // namespace RECUR_ISA
}  // namespace recur
