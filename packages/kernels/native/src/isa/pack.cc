// Packing op(B) for one ISA's gemm (Note [native gemm blocking] in gemm.cc): NR-wide column
// panels, KC rows deep, zero-padded past the last column; Bᵀ transposed VL × VL tiles at a time in
// registers. packB packs a whole op(B) (the recurrent loops' W_hh, the many-row products);
// packPanel one panel (gemm's few-row and Aᵀ paths).
#include "isa.h"

namespace recur {
namespace RECUR_ISA {

namespace {

typedef int vi __attribute__((vector_size(RECUR_VL * 4)));

/**
 * One stage of a VL × VL transpose in registers: within every 2S × 2S block, swap the two
 * off-diagonal S × S blocks (rows i and i + S exchange their S-wide column halves). The stages
 * S = 1, 2, 4, …, VL/2 together transpose the tile; each is VL two-source shuffles.
 */
template <int S>
inline void transposeStage(vf* r) {
  vi lo, hi;
  for (int c = 0; c < VL; c++) {
    lo[c] = (c & S) ? VL + c - S : c;
    hi[c] = (c & S) ? VL + c : c + S;
  }
#pragma GCC unroll 16
  for (int i = 0; i < VL; i++) {
    if (i & S) continue;
    const vf x = r[i], y = r[i + S];
    r[i] = __builtin_shuffle(x, y, lo);
    r[i + S] = __builtin_shuffle(x, y, hi);
  }
}

inline void transposeTile(vf* r) {
  transposeStage<1>(r);
  transposeStage<2>(r);
  if (VL > 4) transposeStage<(VL > 4 ? 4 : 1)>(r);
  if (VL > 8) transposeStage<(VL > 8 ? 8 : 1)>(r);
}

/**
 * A panel of op(B) = Bᵀ (B row-major, rows of length ≥ kc at stride ldb): panel[k·NR + j] =
 * src[j·ldb + k] for j < NR, k < kc; whole VL × VL tiles through registers, the kc % VL last
 * depth rows scalar.
 */
void packTransposed(float* panel, const float* src, long ldb, int kc) {
  const int whole = kc / VL * VL;
  for (int v = 0; v < NV; v++) {
    const float* rows = src + (long)v * VL * ldb;
    for (int k = 0; k < whole; k += VL) {
      vf r[VL];
#pragma GCC unroll 16
      for (int i = 0; i < VL; i++) r[i] = *(const vfu*)(rows + i * ldb + k);
      transposeTile(r);
#pragma GCC unroll 16
      for (int i = 0; i < VL; i++) *(vf*)(panel + (long)(k + i) * NR + v * VL) = r[i];
    }
    for (int k = whole; k < kc; k++)
      for (int i = 0; i < VL; i++) panel[(long)k * NR + v * VL + i] = rows[i * ldb + k];
  }
}

}  // namespace

/**
 * One panel: panel[k·NR + j] = op(B)[k][j] for k < kc, j < nr, zeros past nr; `b` starts at the
 * panel's first element (depth 0, column 0).
 */
void packPanel(float* panel, Strided b, int kc, int nr) {
  if (b.cs == 1 && nr == NR) {  // rows of op(B) contiguous: whole vectors
    for (int k = 0; k < kc; k++) {
      const float* src = b.data + (long)k * b.rs;
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) *(vf*)(panel + k * NR + v * VL) = *(const vfu*)(src + v * VL);
    }
  } else if (b.cs == 1) {  // the ragged last panel
    for (int k = 0; k < kc; k++) {
      const float* src = b.data + (long)k * b.rs;
      for (int j = 0; j < NR; j++) panel[k * NR + j] = j < nr ? src[j] : 0.f;
    }
  } else if (b.rs == 1 && nr == NR) {  // Bᵀ, a whole panel: VL × VL tiles transposed in registers
    packTransposed(panel, b.data, b.cs, kc);
  } else {  // columns of op(B) contiguous (Bᵀ): NR column streams, each read in order
    const float* columns[NR];
    for (int j = 0; j < NR; j++) columns[j] = b.data + (long)(j < nr ? j : 0) * b.cs;
    for (int k = 0; k < kc; k++) {
#pragma GCC unroll 32
      for (int j = 0; j < NR; j++) panel[k * NR + j] = j < nr ? columns[j][k * b.rs] : 0.f;
    }
  }
}

void packB(float* dst, Strided b, int K, int n, int depth) {
  const int panels = (n + NR - 1) / NR;
  for (int k0 = 0; k0 < K; k0 += depth) {
    const int kc = K - k0 < depth ? K - k0 : depth;
    float* block = dst + (long)k0 * panels * NR;
    for (int p = 0; p < panels; p++) {
      const int j0 = p * NR;
      const int nr = n - j0 < NR ? n - j0 : NR;
      packPanel(block + (long)p * kc * NR, Strided{b.data + (long)k0 * b.rs + (long)j0 * b.cs, b.rs, b.cs}, kc,
                nr);
    }
  }
}

}  // namespace RECUR_ISA
}  // namespace recur
