// Optimizer updates over [0, n) of parameter, state and gradient pointers (the caller adds the
// range's start): the native twins of src/optim.ts, formula by formula and in the same order,
// in float64 between a load and a store, a state value read back after it is stored, so the
// results are bit for bit the reference's. Compiled without contraction (-ffp-contract=off):
// a fused multiply-add would round differently (isa/optim.cc, one build per ISA). Bias corrections (powers of beta) come from
// JavaScript, computed there as the reference does.
#pragma once

namespace recur {

struct SgdArgs {
  bool first;  // step === 1: the momentum buffer starts at the gradient
  double lr, momentum, dampening, weightDecay;
  bool nesterov;
};

struct AdamArgs {
  double stepSize;         // lr / (1 − beta1^step)
  double correction2Sqrt;  // sqrt(1 − beta2^step)
  double beta1, beta2, eps;
  double l2;      // coupled weight decay (Adam), 0 for AdamW
  double shrink;  // 1 − lr·weightDecay (AdamW), 1 for Adam
};

struct RmspropArgs {
  double lr, alpha, eps, weightDecay, momentum;
};

}  // namespace recur
