// gemm for one ISA: C (M, N) = alpha·op(A)·op(B) + beta·C, row-major with leading dimensions.
//
// Note [native gemm blocking]: op(B) is packed, KC = 256 rows deep, into NR-wide column panels
// (the transposes are folded into packing, zero padding fills the last panel); op(A) is read in
// place, one MR-row strip at a time, with a scalar broadcast per element (the strip stays in L1
// while it meets every panel of the block, so packing it would only copy it; packing Aᵀ into
// contiguous strips measured slower: the copy of a 6 MiB A is not hidden behind the products). The
// micro kernel keeps an MR × NR tile of C in MR·NV vector registers and does one broadcast and NV
// fused multiply-adds per element of A: 8 × 32 on AVX-512 (16 zmm accumulators), 6 × 16 on AVX2,
// 4 × 8 on 128-bit vectors. It sums a block in chains of CHAIN = 64 steps, each added to C before
// the next (accuracy, see micro), so every element sums in the same order whatever KC is. beta
// applies on the first chain; later chains add to C. The many-row products with op(A) = Aᵀ use
// 64-deep blocks (KC_STRIDED: their B block and A's lines stay in L1), pack op(B) block by block
// (manyRowsTransposed) and prefetch the next line of each of A's rows; those with op(A) = A
// fetch the next strip's rows while the first panel's tile of a strip computes (A streams in
// from L3 once). The recurrent loops pack W_hh once per call (packB) and call gemmPacked every
// step. Packing Bᵀ transposes VL × VL tiles in registers. Loop
// orders: with few rows of C (M < 256, fewRows) each panel is packed just before its strips use
// it, and when op(B)'s rows are contiguous its first strip packs it while multiplying it
// (packingMicro: the copy runs beside the fused multiply-adds instead of alone, 1.04–1.10× at 64
// rows); with many (op(A) = A), op(B) is packed first and A's strips run outermost (see
// gemmPacked). No order changes any element's order of summation.
#include <cstdlib>

#include "isa.h"

namespace recur {
namespace RECUR_ISA {

namespace {

constexpr int LINE = 64 / sizeof(float);  // floats per cache line

struct Buffer {
  float* data = nullptr;
  long floats = 0;
  ~Buffer() { std::free(data); }
};

thread_local Buffer slots[3];

/**
 * MR_ rows × NR columns of C from one chain of kc ≤ CHAIN depth steps in registers, then added
 * to C; TA: op(A) is Aᵀ (the strip is contiguous per k); NEXT (A not transposed, a full strip):
 * also fetch the next strip's rows at this depth, one line every other step, for the many-row
 * products whose A streams in from beyond L2 once; PACK: read B's rows from op(B) (`src`, row
 * stride lds, NR contiguous floats each) and write them to the panel `b` (packingMicro).
 */
template <int MR_, bool TA, bool NEXT = false, bool PACK = false>
inline void chain(int kc, const float* a, long lda, const float* b, float* c, long ldc, int nr, float alpha,
                  float beta, bool overwrite, const float* src = nullptr, long lds = 0) {
  vf acc[MR_][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR_; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = vf{};
  for (int k = 0; k < kc; k++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = *(const vf*)(b + k * NR + v * VL);
    if (PACK) {  // the panel's row k from op(B)'s row k, written as it is used (see packingMicro)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        bv[v] = *(const vfu*)(src + k * lds + v * VL);
        *(vf*)(const_cast<float*>(b) + k * NR + v * VL) = bv[v];
      }
    }
    // Aᵀ: a strip is MR floats of each row; fetch the next line of this row (the strip after
    // next reads it) while this one computes: the rows lie a stride apart, no prefetcher follows
    if (TA) __builtin_prefetch(a + k * lda + LINE);
    // the next strip's 64-byte line j = k / 2 of this chain: row j % MR, the (j / MR)-th line
    if (NEXT && !TA && MR_ == MR) __builtin_prefetch(a + (MR + k / 2 % MR) * lda + k / 2 / MR * LINE);
#pragma GCC unroll 16
    for (int r = 0; r < MR_; r++) {
      const float av = TA ? a[k * lda + r] : a[r * lda + k];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] += av * bv[v];
    }
  }
  if (nr == NR && alpha == 1.f && (overwrite || beta == 1.f)) {  // the common case: no scaling
#pragma GCC unroll 16
    for (int r = 0; r < MR_; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        vfu* out = (vfu*)(c + r * ldc + v * VL);
        *out = overwrite ? acc[r][v] : acc[r][v] + (vf)*out;
      }
    return;
  }
  if (nr == NR) {
#pragma GCC unroll 16
    for (int r = 0; r < MR_; r++)
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        vfu* out = (vfu*)(c + r * ldc + v * VL);
        vf value = alpha * acc[r][v];
        if (!overwrite) value += beta == 1 ? (vf)*out : beta * (vf)*out;
        *out = value;
      }
    return;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR_; r++) {  // unrolled, like every loop over acc: its indices stay constants
    float row[NR];  // stored lane by lane, so acc never has its address taken (it stays in registers)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) *(vfu*)(row + v * VL) = acc[r][v];
    for (int j = 0; j < nr; j++) {
      float* out = c + r * ldc + j;
      *out = overwrite ? alpha * row[j] : alpha * row[j] + beta * *out;
    }
  }
}

/**
 * The micro kernel: a packed block of kc depth steps in chains of at most CHAIN, each added to C
 * before the next starts (float32 chains of 256 fused multiply-adds missed the gemm tests' 1e-5
 * at K = 259; 64 keeps the error near the reference's, and C's tile stays in L1 between them).
 */
template <int MR_, bool TA, bool NEXT = false>
void micro(int kc, const float* a, long lda, const float* b, float* c, long ldc, int nr, float alpha, float beta,
           bool overwrite) {
  for (int k0 = 0; k0 < kc; k0 += CHAIN) {
    const int n = kc - k0 < CHAIN ? kc - k0 : CHAIN;
    chain<MR_, TA, NEXT>(n, TA ? a + (long)k0 * lda : a + k0, lda, b + (long)k0 * NR, c, ldc, nr, alpha,
                   k0 == 0 ? beta : 1.f, k0 == 0 && overwrite);
  }
}

typedef void (*MicroKernel)(int, const float*, long, const float*, float*, long, int, float, float, bool);

/**
 * micro for a full-width panel (nr = NR) whose op(B) rows are contiguous (`src`, row stride
 * lds), packing it as it goes: each depth row is loaded from op(B), written to `panel` and
 * multiplied at once, so the first strip of a panel does the packing beside its fused
 * multiply-adds instead of before them (the other strips then read the panel).
 */
template <int MR_, bool TA>
void packingMicro(int kc, const float* a, long lda, float* panel, const float* src, long lds, float* c, long ldc,
                  float alpha, float beta, bool overwrite) {
  for (int k0 = 0; k0 < kc; k0 += CHAIN) {
    const int n = kc - k0 < CHAIN ? kc - k0 : CHAIN;
    chain<MR_, TA, false, true>(n, TA ? a + (long)k0 * lda : a + k0, lda, panel + (long)k0 * NR, c, ldc, NR, alpha,
                                k0 == 0 ? beta : 1.f, k0 == 0 && overwrite, src + (long)k0 * lds, lds);
  }
}

typedef void (*PackingKernel)(int, const float*, long, float*, const float*, long, float*, long, float, float, bool);

template <bool TA, int... R>
struct PackingTable {
  static constexpr PackingKernel kernels[sizeof...(R)] = {&packingMicro<R, TA>...};
};

template <bool TA, bool NEXT, int... R>
struct MicroTable {
  static constexpr MicroKernel kernels[sizeof...(R)] = {&micro<R, TA, NEXT>...};
};

#if RECUR_MR == 8
#define RECUR_ROWS 1, 2, 3, 4, 5, 6, 7, 8
#elif RECUR_MR == 6
#define RECUR_ROWS 1, 2, 3, 4, 5, 6
#else
#define RECUR_ROWS 1, 2, 3, 4
#endif

/** C (M, N) = beta·C; beta = 0 writes zeros (NaN-proof). */
void scaleBlock(float* c, long ldc, int M, int N, float beta) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
}

}  // namespace

float* scratch(ScratchSlot slot, long floats) {
  ScratchRegion& region = scratchRegion();
  if (floats <= region.floats[slot]) return region.part[slot];
  region.heapRequests += 1;
  Buffer& s = slots[slot];
  if (floats > s.floats) {
    std::free(s.data);
    const long bytes = (floats * 4 + 63) / 64 * 64;
    s.data = (float*)std::aligned_alloc(64, bytes);
    s.floats = s.data == nullptr ? 0 : floats;
  }
  return s.data;
}

/** Floats of x rounded up to whole NR-wide panels. */
static long panelFloats(long x) { return (x + NR - 1) / NR * NR; }

long gemmScratchFloats(long widest) {
  const long F = widest < 1 ? 1 : widest;
  const long fewRowsPanel = (long)KC * NR;                             // fewRows
  const long stridedBlock = panelFloats(F) / NR * KC_STRIDED * NR;     // manyRowsTransposed, N ≤ F
  const long columnCap = PACK_FLOATS > F * NR ? PACK_FLOATS : F * NR;  // gemm's column block keeps
  const long packedBlock = F * panelFloats(F) < columnCap ? F * panelFloats(F) : columnCap;  // packedSize(K, n) within it
  long most = fewRowsPanel > stridedBlock ? fewRowsPanel : stridedBlock;
  return most > packedBlock ? most : packedBlock;
}

long packedBoundFloats(long rows, long cols) {
  const long transposed = cols * (panelFloats(rows) + NR);  // packedSize(cols, rows), or two row pieces of it
  const long plain = rows * panelFloats(cols);              // packedSize(rows, cols)
  return transposed > plain ? transposed : plain;
}

namespace {

/** Rows of C from which the strips of A run outermost (M ≥ this: see gemmPacked). */
constexpr int STRIPS_OUTER_ROWS = 256;

}  // namespace

/**
 * Few rows: per depth block, each B panel (kc × NR, in L1) meets every strip of A in turn. Many
 * rows (M ≥ STRIPS_OUTER_ROWS, the products over all T·B rows): each strip of A runs through the
 * whole depth, block by block, meeting every panel of the block (packed B stays in L2), so A
 * streams in once, in order, and each C row block is finished before the next; for op(A) = Aᵀ
 * (a strip is a few floats of every row) the depth blocks stay outermost instead. Every element
 * sums its depth blocks in the same order either way (the same bits).
 */
void gemmPacked(float* c, long ldc, Strided a, const float* packed, int M, int n, int K, float alpha,
                float beta, int depth) {
  const bool ta = a.rs == 1 && a.cs != 1;
  const long lda = ta ? a.cs : a.rs;
  const int panels = (n + NR - 1) / NR;
  /**
   * The MR-row strip at row i0 against panel p of the depth block at k0; with many rows of A
   * (not transposed), the first panel's tile also fetches the next strip (see chain).
   */
  auto tile = [&](int i0, int k0, int p) {
    const int kc = K - k0 < depth ? K - k0 : depth;
    const bool first = k0 == 0;
    const int nr = n - p * NR < NR ? n - p * NR : NR;
    const int mr = M - i0 < MR ? M - i0 : MR;
    const float* strip = ta ? a.data + (long)k0 * lda + i0 : a.data + (long)i0 * lda + k0;
    const bool next = !ta && p == 0 && M >= STRIPS_OUTER_ROWS && i0 + 2 * MR <= M;
    const MicroKernel kernel = ta     ? MicroTable<true, false, RECUR_ROWS>::kernels[mr - 1]
                               : next ? MicroTable<false, true, RECUR_ROWS>::kernels[mr - 1]
                                      : MicroTable<false, false, RECUR_ROWS>::kernels[mr - 1];
    kernel(kc, strip, lda, packed + (long)k0 * panels * NR + (long)p * kc * NR, c + (long)i0 * ldc + p * NR, ldc,
           nr, alpha, first ? beta : 1.f, first && beta == 0);
  };
  if (M >= STRIPS_OUTER_ROWS && !ta) {
    for (int i0 = 0; i0 < M; i0 += MR)
      for (int k0 = 0; k0 < K; k0 += depth)
        for (int p = 0; p < panels; p++) tile(i0, k0, p);
    return;
  }
  if (M >= STRIPS_OUTER_ROWS) {  // Aᵀ: a strip is MR floats of each of kc rows; the block's rows
    for (int k0 = 0; k0 < K; k0 += depth)  // stay in L2 while the strips walk across them
      for (int i0 = 0; i0 < M; i0 += MR)
        for (int p = 0; p < panels; p++) tile(i0, k0, p);
    return;
  }
  for (int k0 = 0; k0 < K; k0 += depth)
    for (int p = 0; p < panels; p++)
      for (int i0 = 0; i0 < M; i0 += MR) tile(i0, k0, p);
}

namespace {

/**
 * Few rows (M < STRIPS_OUTER_ROWS): per KC-deep block, each panel of op(B) meets every strip of A
 * in turn while it stays in L1. A full-width panel of contiguous op(B) rows is packed by its first
 * strip as that strip multiplies it (packingMicro); the others (Bᵀ, the ragged last panel) are
 * packed whole first.
 */
void fewRows(float* c, long ldc, Strided a, Strided b, int M, int N, int K, float alpha, float beta) {
  float* panel = scratch(PACK_GEMM, (long)KC * NR);  // (KC, NR)
  if (panel == nullptr) std::abort();               // out of memory for 32 KiB of scratch
  const bool ta = a.rs == 1 && a.cs != 1;
  const long lda = ta ? a.cs : a.rs;
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = K - k0 < KC ? K - k0 : KC;
    const float betaHere = k0 == 0 ? beta : 1.f;
    const bool overwrite = k0 == 0 && beta == 0;
    const float* stripsAt = a.data + (long)k0 * a.cs;  // row 0 of A at depth k0
    for (int j0 = 0; j0 < N; j0 += NR) {
      const int nr = N - j0 < NR ? N - j0 : NR;
      const Strided source{b.data + (long)k0 * b.rs + (long)j0 * b.cs, b.rs, b.cs};
      const bool fused = b.cs == 1 && nr == NR;
      if (!fused) packPanel(panel, source, kc, nr);
      for (int i0 = 0; i0 < M; i0 += MR) {
        const int mr = M - i0 < MR ? M - i0 : MR;
        const float* strip = stripsAt + (long)i0 * a.rs;
        float* tile = c + (long)i0 * ldc + j0;
        if (fused && i0 == 0) {
          const PackingKernel kernel = ta ? PackingTable<true, RECUR_ROWS>::kernels[mr - 1]
                                          : PackingTable<false, RECUR_ROWS>::kernels[mr - 1];
          kernel(kc, strip, lda, panel, source.data, b.rs, tile, ldc, alpha, betaHere, overwrite);
          continue;
        }
        const MicroKernel kernel = ta ? MicroTable<true, false, RECUR_ROWS>::kernels[mr - 1]
                                      : MicroTable<false, false, RECUR_ROWS>::kernels[mr - 1];
        kernel(kc, strip, lda, panel, tile, ldc, nr, alpha, betaHere, overwrite);
      }
    }
  }
}

/**
 * Many rows with op(A) = Aᵀ (M ≥ STRIPS_OUTER_ROWS): per KC_STRIDED-deep block, every strip of A
 * meets every panel of the block (Note [native gemm blocking]). The block's panels are packed
 * as the first strip multiplies them when op(B)'s rows are contiguous (packingMicro), else
 * before the strips; either way a block of op(B) goes from its source to L1 once, not through
 * a whole packed op(B) in L2.
 */
void manyRowsTransposed(float* c, long ldc, Strided a, Strided b, int M, int N, int K, float alpha, float beta) {
  const int panels = (N + NR - 1) / NR;
  float* block = scratch(PACK_GEMM, (long)panels * KC_STRIDED * NR);  // (panels, KC_STRIDED, NR)
  if (block == nullptr) std::abort();  // out of memory for panels · 8 KiB of scratch
  const long lda = a.cs;
  for (int k0 = 0; k0 < K; k0 += KC_STRIDED) {
    const int kc = K - k0 < KC_STRIDED ? K - k0 : KC_STRIDED;
    const float betaHere = k0 == 0 ? beta : 1.f;
    const bool overwrite = k0 == 0 && beta == 0;
    auto source = [&](int p) { return Strided{b.data + (long)k0 * b.rs + (long)p * NR * b.cs, b.rs, b.cs}; };
    auto width = [&](int p) { return N - p * NR < NR ? N - p * NR : NR; };
    const bool fused = b.cs == 1;
    for (int p = 0; p < panels; p++)
      if (!fused || width(p) < NR) packPanel(block + (long)p * kc * NR, source(p), kc, width(p));
    for (int i0 = 0; i0 < M; i0 += MR) {
      const int mr = M - i0 < MR ? M - i0 : MR;
      const float* strip = a.data + (long)k0 * lda + i0;
      for (int p = 0; p < panels; p++) {
        float* panel = block + (long)p * kc * NR;
        float* tile = c + (long)i0 * ldc + p * NR;
        if (i0 == 0 && fused && width(p) == NR) {
          PackingTable<true, RECUR_ROWS>::kernels[mr - 1](kc, strip, lda, panel, source(p).data, b.rs, tile, ldc,
                                                          alpha, betaHere, overwrite);
          continue;
        }
        MicroTable<true, false, RECUR_ROWS>::kernels[mr - 1](kc, strip, lda, panel, tile, ldc, width(p), alpha,
                                                             betaHere, overwrite);
      }
    }
  }
}

}  // namespace

void gemm(float* c, long ldc, Strided a, Strided b, int M, int N, int K, float alpha, float beta) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scaleBlock(c, ldc, M, N, beta);
    return;
  }
  if (M < STRIPS_OUTER_ROWS) {
    fewRows(c, ldc, a, b, M, N, K, alpha, beta);
    return;
  }
  const bool ta = a.rs == 1 && a.cs != 1;
  if (ta) {
    manyRowsTransposed(c, ldc, a, b, M, N, K, alpha, beta);
    return;
  }
  const int depth = KC;  // Note [native gemm blocking]
  long columns = PACK_FLOATS / K / NR * NR;
  if (columns < NR) columns = NR;
  for (int j0 = 0; j0 < N; j0 += (int)columns) {
    const int n = N - j0 < columns ? N - j0 : (int)columns;
    float* packed = scratch(PACK_GEMM, packedSize(K, n));
    if (packed == nullptr) std::abort();  // out of memory for a few MiB of scratch
    packB(packed, Strided{b.data + (long)j0 * b.cs, b.rs, b.cs}, K, n, depth);
    gemmPacked(c + j0, ldc, a, packed, M, n, K, alpha, beta, depth);
  }
}

double fmaPeak(long iterations) {
  constexpr int CHAINS = VL == 16 ? 24 : 12;  // independent accumulators: enough to fill both FMA pipes
  vf acc[CHAINS];
  const vf scale = vf{} + 0.999999f;
  const vf shift = vf{} + 1e-7f;
#pragma GCC unroll 32
  for (int i = 0; i < CHAINS; i++) acc[i] = vf{} + (float)i;
  for (long k = 0; k < iterations; k++) {
#pragma GCC unroll 32
    for (int i = 0; i < CHAINS; i++) acc[i] = acc[i] * scale + shift;
  }
  float sum = 0;
  for (int i = 0; i < CHAINS; i++) sum += acc[i][0];
  volatile float sink = sum;  // the result is used: the loop stays
  (void)sink;
  return 2.0 * VL * CHAINS * (double)iterations;
}

void addBiasRows(float* __restrict pre, const float* __restrict bIh, const float* __restrict bHh, long rows,
                 int G, int hhEnd) {
  for (long r = 0; r < rows; r++) {
    float* row = pre + r * G;
    for (int g = 0; g < hhEnd; g++) row[g] += bIh[g] + bHh[g];
    for (int g = hhEnd; g < G; g++) row[g] += bIh[g];
  }
}

void addColumnSums(float* __restrict db, const float* __restrict d, long rows, int G) {
  for (long r = 0; r < rows; r++) {
    const float* row = d + r * G;
    for (int g = 0; g < G; g++) db[g] += row[g];
  }
}

}  // namespace RECUR_ISA
}  // namespace recur
