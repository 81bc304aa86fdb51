// The pieces every recurrent layer shares (the C++ twin of src/recurrent-steps.ts and the helpers
// of src/sequence.ts): padding tests, state copies, the input projection of all steps before the
// time loop and its gradient after it. Note [time-major sequences] in src/sequence.ts.
#pragma once
#include "isa.h"

namespace recur {
namespace RECUR_ISA {

static inline bool isReal(const SeqDims& d, int t, int b) { return d.lengths == nullptr || t < d.lengths[b]; }

static inline int timeAt(int s, const SeqDims& d) { return d.reverse ? d.T - 1 - s : s; }

/** out (n) = state, or zeros when null. */
static inline void copyState(float* out, const float* state, long n) {
  if (state == nullptr) std::memset(out, 0, n * sizeof(float));
  else std::memcpy(out, state, n * sizeof(float));
}

/** out (n) += add (n); out may be null (gradient not wanted). */
static inline void accumulateInto(float* __restrict out, const float* __restrict add, long n) {
  if (out == nullptr) return;
  for (long i = 0; i < n; i++) out[i] += add[i];
}

/** dh = dhT + (with dyMode 'last') the last output's gradient; either may be null. */
static inline void initialStateGradient(float* dh, const float* dhT, const float* lastDy, long n) {
  for (long i = 0; i < n; i++) dh[i] = (dhT == nullptr ? 0.f : dhT[i]) + (lastDy == nullptr ? 0.f : lastDy[i]);
}

/** dh (B, H) = dhNext (or += with add) on the rows of samples for which t is real. */
static inline void realRows(float* dh, const float* dhNext, int t, const SeqDims& d, bool add) {
  const int H = d.H;
  for (int b = 0; b < d.B; b++) {
    if (!isReal(d, t, b)) continue;
    float* __restrict out = dh + (long)b * H;
    const float* __restrict in = dhNext + (long)b * H;
    if (add)
      for (int j = 0; j < H; j++) out[j] += in[j];
    else
      std::memcpy(out, in, H * sizeof(float));
  }
}

/** op(B) = W_hhᵀ (H, n), the forward step's product h·W_hhᵀ, packed once per call. */
static inline float* packRecurrentT(const float* wHh, int H, int n, ScratchSlot slot, long offset) {
  float* packed = scratch(slot, offset + packedSize(H, n));
  if (packed == nullptr) std::abort();
  packB(packed + offset, Strided{wHh, 1, H}, H, n);
  return packed + offset;
}

/** op(B) = W_hh rows (K, H) with row stride ldw, the backward step's product dGates·W_hh. */
static inline float* packRecurrent(const float* wHh, int K, int H, ScratchSlot slot, long offset) {
  float* packed = scratch(slot, offset + packedSize(K, H));
  if (packed == nullptr) std::abort();
  packB(packed + offset, Strided{wHh, H, 1}, K, H);
  return packed + offset;
}

/** op(B) = W_ihᵀ (I, n), the input projection x_t·W_ihᵀ of one step, packed once per call. */
static inline float* packInputT(const float* wIh, int I, int n, ScratchSlot slot, long offset) {
  float* packed = scratch(slot, offset + packedSize(I, n));
  if (packed == nullptr) std::abort();
  packB(packed + offset, Strided{wIh, 1, I}, I, n);
  return packed + offset;
}

/**
 * Step t's rows of inputProjection (below): pre (B, G) = x_t·W_ihᵀ + b_ih + b_hh, with W_ihᵀ
 * packed by packInputT. Each row is the same product, in the same order, as in the projection of
 * all steps at once (the same bits); made one step at a time, the step's gates are still in cache
 * when the recurrent product and the gate math meet them, instead of coming back from L3 (the
 * (T·B, G) projection is megabytes).
 */
static inline void stepInputProjection(const RecurrentCall& c, float* pre, const float* packedIh, int t, int G,
                                       int hhEnd) {
  const SeqDims& d = c.dims;
  gemmPacked(pre, G, Strided{c.x + (long)t * d.B * d.I, d.I, 1}, packedIh, d.B, G, d.I, 1.f, 0.f);
  addBiasRows(pre, c.w.bIh, c.w.bHh, d.B, G, hhEnd);
}

/**
 * gates (T·B, G) = x·W_ihᵀ + b_ih + b_hh, b_hh on the first hhEnd columns only. In pieces of
 * PROJECTION_ROWS rows, so each piece gets its bias while it is still in cache (the whole
 * projection is megabytes); the rows are the same products either way.
 */
static inline void inputProjection(const RecurrentCall& c, float* pre, int G, int hhEnd) {
  constexpr long PROJECTION_ROWS = 32 * MR;
  const SeqDims& d = c.dims;
  const long rows = (long)d.T * d.B;
  for (long r0 = 0; r0 < rows; r0 += PROJECTION_ROWS) {
    const long n = rows - r0 < PROJECTION_ROWS ? rows - r0 : PROJECTION_ROWS;
    float* piece = pre + r0 * G;
    gemm(piece, G, Strided{c.x + r0 * d.I, d.I, 1}, Strided{c.w.wIh, 1, d.I}, (int)n, G, d.I, 1.f, 0.f);
    addBiasRows(piece, c.w.bIh, c.w.bHh, n, G, hhEnd);
  }
}

/**
 * Rows of dGates (dPre) per pass of the weight gradients after a time loop: every product and
 * sum that reads dGates takes one block of rows before the next block, so the block (at G = 512,
 * 512 KiB) comes from L2 to all of them instead of each product streaming the whole (T·B, G)
 * tensor (6.5 MB for lstm-std) from L3 again. A multiple of 64: the products with op(A) =
 * dGatesᵀ sum 64-deep chains in row order and add each to C (Note [native gemm blocking]), so a
 * block boundary falls between two chains and every element sums the same chains in the same
 * order as one call over all rows (the same bits); the row sums add rows in the same order and
 * dx's rows are computed independently of each other.
 */
constexpr long GRADIENT_ROW_BLOCK = 256;

/** The rows [r0, r0 + n) of dW_ih += dPreᵀ·x and dx += dPre·W_ih (dPre (T·B, G)); db_ih apart. */
static inline void inputWeightGradientRows(const RecurrentCall& c, const float* dPre, int G, long r0, int n) {
  const SeqDims& d = c.dims;
  const float* piece = dPre + r0 * G;
  gemm(c.g.dWIh, d.I, Strided{piece, 1, G}, Strided{c.x + r0 * d.I, d.I, 1}, G, d.I, n, 1.f, 1.f);
  if (c.dx != nullptr)
    gemm(c.dx + r0 * d.I, d.I, Strided{piece, G, 1}, Strided{c.w.wIh, d.I, 1}, n, d.I, G, 1.f, 1.f);
}

/** Rows in the block that starts at r0 (the last block may be shorter). */
static inline int blockRows(long r0, long rows) {
  return (int)(rows - r0 < GRADIENT_ROW_BLOCK ? rows - r0 : GRADIENT_ROW_BLOCK);
}

/** dW_ih += dPreᵀ·x, db_ih += Σ dPre, dx += dPre·W_ih (dPre (T·B, G), zero at padded steps). */
static inline void inputProjectionBackward(const RecurrentCall& c, const float* dPre, int G) {
  const long rows = (long)c.dims.T * c.dims.B;
  for (long r0 = 0; r0 < rows; r0 += GRADIENT_ROW_BLOCK) {
    const int n = blockRows(r0, rows);
    addColumnSums(c.g.dBIh, dPre + r0 * G, n, G);
    inputWeightGradientRows(c, dPre, G, r0, n);
  }
}

/**
 * dbA += Σ rows of d and dbB += Σ rows of d (d (rows, G)) in one pass over d: each sum adds the
 * rows in the same order as addColumnSums (the same bits), and d is read once, not twice.
 */
static inline void addColumnSumsTwice(float* __restrict dbA, float* __restrict dbB, const float* __restrict d,
                                      long rows, int G) {
  for (long r = 0; r < rows; r++) {
    const float* row = d + r * G;
    for (int g = 0; g < G; g++) {
      dbA[g] += row[g];
      dbB[g] += row[g];
    }
  }
}

/**
 * After the time loop of a cell whose recurrent product is h·W_hhᵀ on the same gradient as its
 * input projection (LSTM, SimpleRNN), block by block of GRADIENT_ROW_BLOCK rows: dW_hh +=
 * dGatesᵀ·hPrev, db_hh and db_ih += Σ dGates (one pass), then the input projection's gradients.
 */
static inline void weightGradients(const RecurrentCall& c, const float* dGates, int G) {
  const SeqDims& d = c.dims;
  const long rows = (long)d.T * d.B;
  for (long r0 = 0; r0 < rows; r0 += GRADIENT_ROW_BLOCK) {
    const int n = blockRows(r0, rows);
    const float* piece = dGates + r0 * G;
    gemm(c.g.dWHh, d.H, Strided{piece, 1, G}, Strided{c.hPrev + r0 * d.H, d.H, 1}, G, d.H, n, 1.f, 1.f);
    addColumnSumsTwice(c.g.dBHh, c.g.dBIh, piece, n, G);
    inputWeightGradientRows(c, dGates, G, r0, n);
  }
}

}  // namespace RECUR_ISA
}  // namespace recur
