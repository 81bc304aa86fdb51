// LSTM over a whole time-major sequence in one call: the native twin of src/lstm.ts (same
// buffers, same order of operations; formulas and Porting notes there). W_ih and W_hh are packed
// once per call, then every forward step runs its input projection x_t·W_ihᵀ + b and h·W_hhᵀ
// into its own (B, 4H) gates while they are in cache, and every backward step dGates·W_hh; each
// step ends with the fused gate loop over the rows whose step is real.
#include "math.h"
#include "steps.h"

namespace recur {
namespace RECUR_ISA {

namespace {

/** Activates step t's gates and updates the states of the samples for which t is real. */
void cellForward(const RecurrentCall& c, int t) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  for (int b = 0; b < B; b++) {
    const long row = ((long)t * B + b) * H;  // into (T, B, H)
    if (!isReal(d, t, b)) {
      std::memset(c.y + row, 0, H * sizeof(float));
      continue;
    }
    float* __restrict gi = c.gates + row * 4;  // (4H) of step t, sample b
    float* __restrict cs = c.cT + (long)b * H;
    float* __restrict hs = c.hT + (long)b * H;
    float* __restrict y = c.y + row;
    float* __restrict tc = c.tanhC + row;
    #pragma GCC ivdep
    for (int j = 0; j < H; j++) {
      const float i = sigmoidApprox(gi[j]);
      const float f = sigmoidApprox(gi[H + j]);
      const float g = tanhApprox(gi[2 * H + j]);
      const float o = sigmoidApprox(gi[3 * H + j]);
      gi[j] = i;
      gi[H + j] = f;
      gi[2 * H + j] = g;
      gi[3 * H + j] = o;
      const float cNew = f * cs[j] + i * g;
      const float tanhCNew = tanhApprox(cNew);
      const float h = o * tanhCNew;
      cs[j] = cNew;
      tc[j] = tanhCNew;
      hs[j] = h;
      y[j] = h;
    }
  }
}

/** Step t: dGates from dh, dc and dy; dc moves to the previous step. */
void cellBackward(const RecurrentCall& c, const float* dy, int t) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  for (int b = 0; b < B; b++) {
    const long row = ((long)t * B + b) * H;
    float* __restrict dg = c.dGates + row * 4;
    if (!isReal(d, t, b)) {
      std::memset(dg, 0, 4 * H * sizeof(float));
      continue;
    }
    const float* __restrict gi = c.gates + row * 4;
    const float* __restrict cPrev = c.cPrev + row;
    const float* __restrict tc = c.tanhC + row;
    const float* __restrict dyRow = dy == nullptr ? nullptr : dy + row;
    float* __restrict dh = c.dh + (long)b * H;
    float* __restrict dc = c.dc + (long)b * H;
    #pragma GCC ivdep
    for (int j = 0; j < H; j++) {
      const float i = gi[j], f = gi[H + j], g = gi[2 * H + j], o = gi[3 * H + j];
      const float dhTotal = dh[j] + (dyRow == nullptr ? 0.f : dyRow[j]);
      const float dcTotal = dc[j] + dhTotal * o * (1 - tc[j] * tc[j]);
      dg[j] = dcTotal * g * i * (1 - i);
      dg[H + j] = dcTotal * cPrev[j] * f * (1 - f);
      dg[2 * H + j] = dcTotal * i * (1 - g * g);
      dg[3 * H + j] = dhTotal * tc[j] * o * (1 - o);
      dc[j] = dcTotal * f;
    }
  }
}

}  // namespace

void lstmForward(const RecurrentCall& c) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H, G = 4 * H;
  const long state = (long)B * H;
  copyState(c.hT, c.h0, state);
  copyState(c.cT, c.c0, state);
  // W_hhᵀ packed after W_ihᵀ, first: it sizes the slot for both (packing W_ihᵀ does not regrow it)
  const float* packedHh = packRecurrentT(c.w.wHh, H, G, PACK_WEIGHTS, packedSize(d.I, G));
  const float* packedIh = packInputT(c.w.wIh, d.I, G, PACK_WEIGHTS, 0);
  for (int s = 0; s < d.T; s++) {
    const int t = timeAt(s, d);
    float* hPrev = c.hPrev + t * state;
    float* gates = c.gates + t * state * 4;  // (B, 4H) of step t
    std::memcpy(hPrev, c.hT, state * sizeof(float));
    std::memcpy(c.cPrev + t * state, c.cT, state * sizeof(float));
    stepInputProjection(c, gates, packedIh, t, G, G);
    gemmPacked(gates, G, Strided{hPrev, H, 1}, packedHh, B, G, H, 1.f, 1.f);
    cellForward(c, t);
  }
}

void lstmBackward(const RecurrentCall& c) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H, G = 4 * H;
  const long state = (long)B * H;
  initialStateGradient(c.dh, c.dhT, c.dyLast ? c.dy : nullptr, state);
  initialStateGradient(c.dc, c.dcT, nullptr, state);
  const float* stepDy = c.dyLast ? nullptr : c.dy;
  const float* packed = packRecurrent(c.w.wHh, G, H, PACK_WEIGHTS, 0);
  for (int s = d.T - 1; s >= 0; s--) {
    const int t = timeAt(s, d);
    cellBackward(c, stepDy, t);
    gemmPacked(c.dhNext, H, Strided{c.dGates + t * state * 4, G, 1}, packed, B, H, G, 1.f, 0.f);
    realRows(c.dh, c.dhNext, t, d, false);
  }
  accumulateInto(c.dh0, c.dh, state);
  accumulateInto(c.dc0, c.dc, state);
  weightGradients(c, c.dGates, G);
}

}  // namespace RECUR_ISA
}  // namespace recur
