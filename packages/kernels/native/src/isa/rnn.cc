// SimpleRNN (tanh or relu) over a whole time-major sequence in one call: the native twin of
// src/rnn.ts (same buffers and order of operations; formulas and Porting notes there).
#include "math.h"
#include "steps.h"

namespace recur {
namespace RECUR_ISA {

namespace {

void cellForward(const RecurrentCall& c, int t, bool relu) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  for (int b = 0; b < B; b++) {
    const long row = ((long)t * B + b) * H;
    if (!isReal(d, t, b)) {
      std::memset(c.y + row, 0, H * sizeof(float));
      continue;
    }
    float* __restrict g = c.gates + row;
    float* __restrict hs = c.hT + (long)b * H;
    float* __restrict y = c.y + row;
    #pragma GCC ivdep
    for (int j = 0; j < H; j++) {
      const float pre = g[j];
      const float h = relu ? (pre > 0 ? pre : 0.f) : tanhApprox(pre);
      g[j] = h;
      hs[j] = h;
      y[j] = h;
    }
  }
}

void cellBackward(const RecurrentCall& c, const float* dy, int t, bool relu) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  for (int b = 0; b < B; b++) {
    const long row = ((long)t * B + b) * H;
    float* __restrict dg = c.dGates + row;
    if (!isReal(d, t, b)) {
      std::memset(dg, 0, H * sizeof(float));
      continue;
    }
    const float* __restrict g = c.gates + row;
    const float* __restrict dyRow = dy == nullptr ? nullptr : dy + row;
    const float* __restrict dh = c.dh + (long)b * H;
    #pragma GCC ivdep
    for (int j = 0; j < H; j++) {
      const float h = g[j];
      const float dhTotal = dh[j] + (dyRow == nullptr ? 0.f : dyRow[j]);
      const float slope = relu ? (h > 0 ? 1.f : 0.f) : 1 - h * h;
      dg[j] = dhTotal * slope;
    }
  }
}

}  // namespace

void rnnForward(const RecurrentCall& c) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  const long state = (long)B * H;
  inputProjection(c, c.gates, H, H);
  copyState(c.hT, c.h0, state);
  const float* packed = packRecurrentT(c.w.wHh, H, H, PACK_WEIGHTS, 0);
  for (int s = 0; s < d.T; s++) {
    const int t = timeAt(s, d);
    float* hPrev = c.hPrev + t * state;
    std::memcpy(hPrev, c.hT, state * sizeof(float));
    gemmPacked(c.gates + t * state, H, Strided{hPrev, H, 1}, packed, B, H, H, 1.f, 1.f);
    cellForward(c, t, c.flag);
  }
}

void rnnBackward(const RecurrentCall& c) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  const long state = (long)B * H;
  initialStateGradient(c.dh, c.dhT, c.dyLast ? c.dy : nullptr, state);
  const float* stepDy = c.dyLast ? nullptr : c.dy;
  const float* packed = packRecurrent(c.w.wHh, H, H, PACK_WEIGHTS, 0);
  for (int s = d.T - 1; s >= 0; s--) {
    const int t = timeAt(s, d);
    cellBackward(c, stepDy, t, c.flag);
    gemmPacked(c.dhNext, H, Strided{c.dGates + t * state, H, 1}, packed, B, H, H, 1.f, 0.f);
    realRows(c.dh, c.dhNext, t, d, false);
  }
  accumulateInto(c.dh0, c.dh, state);
  weightGradients(c, c.dGates, H);
}

}  // namespace RECUR_ISA
}  // namespace recur
