// GRU over a whole time-major sequence in one call, reset gate after the product (PyTorch) or
// before it (Keras reset_after=False): the native twin of src/gru.ts (same buffers and order of
// operations; formulas and Porting notes there). W_hh is packed once per call: whole for reset
// after, as its r,z rows and its n rows for reset before (the candidate's product needs r ⊙ h).
#include "math.h"
#include "steps.h"

namespace recur {
namespace RECUR_ISA {

namespace {

/** Reset before: hn_t = r ⊙ h_{t-1} for every row (padded rows too, so the cache stays finite). */
void resetHidden(const RecurrentCall& c, int t) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  for (int b = 0; b < B; b++) {
    const long row = ((long)t * B + b) * H;
    const float* __restrict gi = c.gates + row * 3;
    const float* __restrict p = c.hProj + (long)b * 3 * H;
    const float* __restrict hPrev = c.hPrev + row;
    float* __restrict hn = c.hn + row;
    #pragma GCC ivdep
    for (int j = 0; j < H; j++) hn[j] = sigmoidApprox(gi[j] + p[j]) * hPrev[j];
  }
}

/** Activates step t's gates and updates the state of the samples for which t is real. */
void cellForward(const RecurrentCall& c, int t, bool resetAfter) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  const float* __restrict bHn = c.w.bHh + 2 * H;
  for (int b = 0; b < B; b++) {
    const long row = ((long)t * B + b) * H;
    if (!isReal(d, t, b)) {
      std::memset(c.y + row, 0, H * sizeof(float));
      continue;
    }
    float* __restrict gi = c.gates + row * 3;
    const float* __restrict p = c.hProj + (long)b * 3 * H;
    float* __restrict hn = c.hn + row;
    float* __restrict hs = c.hT + (long)b * H;
    float* __restrict y = c.y + row;
    #pragma GCC ivdep
    for (int j = 0; j < H; j++) {
      const float r = sigmoidApprox(gi[j] + p[j]);
      const float z = sigmoidApprox(gi[H + j] + p[H + j]);
      const float hnValue = p[2 * H + j] + bHn[j];
      if (resetAfter) hn[j] = hnValue;
      const float n = tanhApprox(gi[2 * H + j] + (resetAfter ? r * hnValue : hnValue));
      gi[j] = r;
      gi[H + j] = z;
      gi[2 * H + j] = n;
      const float h = (1 - z) * n + z * hs[j];
      hs[j] = h;
      y[j] = h;
    }
  }
}

/**
 * Step t's update and candidate gradients, and dh becomes the direct path z ⊙ dh. Reset after
 * also writes the reset gate's (it needs only hn); reset before leaves it to resetBackward.
 */
void cellBackward(const RecurrentCall& c, const float* dy, int t, bool resetAfter) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  for (int b = 0; b < B; b++) {
    const long row = ((long)t * B + b) * H;
    float* __restrict dX = c.dGates + row * 3;
    float* __restrict dH = c.dGatesH + row * 3;
    if (!isReal(d, t, b)) {
      std::memset(dX, 0, 3 * H * sizeof(float));
      std::memset(dH, 0, 3 * H * sizeof(float));
      continue;
    }
    const float* __restrict gi = c.gates + row * 3;
    const float* __restrict hPrev = c.hPrev + row;
    const float* __restrict hn = c.hn + row;
    const float* __restrict dyRow = dy == nullptr ? nullptr : dy + row;
    float* __restrict dh = c.dh + (long)b * H;
    #pragma GCC ivdep
    for (int j = 0; j < H; j++) {
      const float r = gi[j], z = gi[H + j], n = gi[2 * H + j];
      const float dhTotal = dh[j] + (dyRow == nullptr ? 0.f : dyRow[j]);
      const float dn = dhTotal * (1 - z) * (1 - n * n);
      const float dz = dhTotal * (hPrev[j] - n) * z * (1 - z);
      if (resetAfter) {
        const float dr = dn * hn[j] * r * (1 - r);
        dX[j] = dr;
        dH[j] = dr;
      }
      dX[H + j] = dz;
      dX[2 * H + j] = dn;
      dH[H + j] = dz;
      dH[2 * H + j] = resetAfter ? dn * r : dn;
      dh[j] = dhTotal * z;
    }
  }
}

/** Reset before, step t, second half: the reset gate's gradient and r ⊙ dRh into the direct path. */
void resetBackward(const RecurrentCall& c, int t) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H;
  for (int b = 0; b < B; b++) {
    if (!isReal(d, t, b)) continue;
    const long row = ((long)t * B + b) * H;
    const float* __restrict gi = c.gates + row * 3;
    const float* __restrict hPrev = c.hPrev + row;
    const float* __restrict dRh = c.dRh + (long)b * H;
    float* __restrict dX = c.dGates + row * 3;
    float* __restrict dH = c.dGatesH + row * 3;
    float* __restrict dh = c.dh + (long)b * H;
    #pragma GCC ivdep
    for (int j = 0; j < H; j++) {
      const float r = gi[j];
      const float dr = dRh[j] * hPrev[j] * r * (1 - r);
      dX[j] = dr;
      dH[j] = dr;
      dh[j] += dRh[j] * r;
    }
  }
}

}  // namespace

void gruForward(const RecurrentCall& c) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H, G = 3 * H;
  const long state = (long)B * H;
  const bool resetAfter = c.flag;
  inputProjection(c, c.gates, G, 2 * H);
  copyState(c.hT, c.h0, state);
  // reset after: all of W_hhᵀ (H, G); reset before: its r,z part (H, 2H), then its n part (H, H),
  // the second packed first (it sizes the slot for both, so packing the first does not regrow it)
  const float* packedN =
      resetAfter ? nullptr : packRecurrentT(c.w.wHh + 2L * H * H, H, H, PACK_WEIGHTS, packedSize(H, 2 * H));
  const float* packedRz = packRecurrentT(c.w.wHh, H, resetAfter ? G : 2 * H, PACK_WEIGHTS, 0);
  for (int s = 0; s < d.T; s++) {
    const int t = timeAt(s, d);
    float* hPrev = c.hPrev + t * state;
    std::memcpy(hPrev, c.hT, state * sizeof(float));
    if (resetAfter) {
      gemmPacked(c.hProj, G, Strided{hPrev, H, 1}, packedRz, B, G, H, 1.f, 0.f);
    } else {
      gemmPacked(c.hProj, G, Strided{hPrev, H, 1}, packedRz, B, 2 * H, H, 1.f, 0.f);
      resetHidden(c, t);
      gemmPacked(c.hProj + 2 * H, G, Strided{c.hn + t * state, H, 1}, packedN, B, H, H, 1.f, 0.f);
    }
    cellForward(c, t, resetAfter);
  }
}

void gruBackward(const RecurrentCall& c) {
  const SeqDims& d = c.dims;
  const int B = d.B, H = d.H, G = 3 * H;
  const long state = (long)B * H;
  const bool resetAfter = c.flag;
  initialStateGradient(c.dh, c.dhT, c.dyLast ? c.dy : nullptr, state);
  const float* stepDy = c.dyLast ? nullptr : c.dy;
  // reset after: all of W_hh (G, H); reset before: its r,z rows (2H, H) and its n rows (H, H),
  // the second packed first (as in gruForward)
  const float* packedN =
      resetAfter ? nullptr : packRecurrent(c.w.wHh + 2L * H * H, H, H, PACK_WEIGHTS, packedSize(2 * H, H));
  const float* packedRz = packRecurrent(c.w.wHh, resetAfter ? G : 2 * H, H, PACK_WEIGHTS, 0);
  for (int s = d.T - 1; s >= 0; s--) {
    const int t = timeAt(s, d);
    const float* dGatesH = c.dGatesH + t * state * 3;
    cellBackward(c, stepDy, t, resetAfter);
    if (resetAfter) {
      gemmPacked(c.dhNext, H, Strided{dGatesH, G, 1}, packedRz, B, H, G, 1.f, 0.f);
    } else {
      gemmPacked(c.dRh, H, Strided{dGatesH + 2 * H, G, 1}, packedN, B, H, H, 1.f, 0.f);
      resetBackward(c, t);
      gemmPacked(c.dhNext, H, Strided{dGatesH, G, 1}, packedRz, B, H, 2 * H, 1.f, 0.f);
    }
    realRows(c.dh, c.dhNext, t, d, true);
  }
  accumulateInto(c.dh0, c.dh, state);
  const long rows = (long)d.T * B;
  for (long r0 = 0; r0 < rows; r0 += GRADIENT_ROW_BLOCK) {  // block by block: steps.h
    const int n = blockRows(r0, rows);
    const float* dgh = c.dGatesH + r0 * G;
    const float* hPrev = c.hPrev + r0 * H;
    addColumnSums(c.g.dBHh, dgh, n, G);
    if (resetAfter) {
      gemm(c.g.dWHh, H, Strided{dgh, 1, G}, Strided{hPrev, H, 1}, G, H, n, 1.f, 1.f);
    } else {  // r and z multiply h; the candidate multiplies r ⊙ h
      gemm(c.g.dWHh, H, Strided{dgh, 1, G}, Strided{hPrev, H, 1}, 2 * H, H, n, 1.f, 1.f);
      gemm(c.g.dWHh + 2L * H * H, H, Strided{dgh + 2 * H, 1, G}, Strided{c.hn + r0 * H, H, 1}, H, H, n, 1.f,
           1.f);
    }
  }
  inputProjectionBackward(c, c.dGates, G);
}

}  // namespace RECUR_ISA
}  // namespace recur
