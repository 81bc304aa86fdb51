// What the per-ISA objects share (Note [one object per ISA] in ../kernels.h): the vector type
// and register tile of the ISA this object is compiled for, the per-thread scratch, and the
// internal kernels the recurrent loops call. Everything lives in namespace recur::RECUR_ISA.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "../kernels.h"

#if defined(RECUR_ISA_AVX512)
#define RECUR_ISA avx512
#define RECUR_ISA_NAME "avx512"
#define RECUR_VL 16  // floats per vector (zmm)
#define RECUR_MR 8   // tile rows: 8 × 2 accumulators of 16 lanes, 16 of 32 registers
#elif defined(RECUR_ISA_AVX2)
#define RECUR_ISA avx2
#define RECUR_ISA_NAME "avx2"
#define RECUR_VL 8  // ymm
#define RECUR_MR 6  // 6 × 2 accumulators + 2 of B + 1 broadcast: 15 of 16 registers
#else
#define RECUR_ISA generic
#define RECUR_ISA_NAME "generic"
#define RECUR_VL 4  // 128-bit vectors (SSE2 on x86-64, NEON on ARM)
#define RECUR_MR 4
#endif

namespace recur {
namespace RECUR_ISA {

constexpr int VL = RECUR_VL;
constexpr int MR = RECUR_MR;
constexpr int NV = 2;          // vectors per tile row
constexpr int NR = VL * NV;    // tile columns
constexpr int KC = 256;         // depth of one packed block of op(B) (Note [native gemm blocking])
constexpr int KC_STRIDED = 64;  // the depth block of many-row products with op(A) = Aᵀ
constexpr int CHAIN = 64;       // depth steps summed in registers before they are added to C
constexpr long PACK_FLOATS = 1L << 20;  // gemm's pack budget (4 MiB): sets the column block

typedef float vf __attribute__((vector_size(RECUR_VL * 4)));
typedef float vfu __attribute__((vector_size(RECUR_VL * 4), aligned(4)));

/**
 * Scratch slots of this thread: the bound region's part when the request fits it, else a heap
 * buffer grown on first use, then reused (Note [scratch in the arena] in ../kernels.h).
 */
enum ScratchSlot { PACK_GEMM = 0, PACK_WEIGHTS = 1, LOSS_ROW = 2 };
float* scratch(ScratchSlot slot, long floats);
long gemmScratchFloats(long widest);
long packedBoundFloats(long rows, long cols);

/** Floats of op(B) (K, n) packed by packB: K × n rounded up to whole NR panels. */
inline long packedSize(int K, int n) { return (long)K * ((n + NR - 1) / NR) * NR; }

/** Packs op(B) (K, n) into KC-deep blocks of NR-wide panels, zero-padded to whole panels. */
void packB(float* dst, Strided b, int K, int n, int depth = KC);

/** One panel (kc, NR) of op(B) from b at its (depth 0, column 0): zeros past column nr. */
void packPanel(float* panel, Strided b, int kc, int nr);

/** C (M, n) = alpha·op(A)·B + beta·C with B already packed by packB. */
void gemmPacked(float* c, long ldc, Strided a, const float* packed, int M, int n, int K, float alpha,
                float beta, int depth = KC);

void gemm(float* c, long ldc, Strided a, Strided b, int M, int N, int K, float alpha, float beta);
void addBiasRows(float* pre, const float* bIh, const float* bHh, long rows, int G, int hhEnd);
void addColumnSums(float* db, const float* d, long rows, int G);

double fmaPeak(long iterations);
void sgdUpdate(float* params, float* momentumBuf, const float* grads, long n, const SgdArgs& o);
void adamUpdate(float* params, float* m, float* v, const float* grads, long n, const AdamArgs& o);
void rmspropUpdate(float* params, float* squareAvg, float* gradAvg, float* momentumBuf, const float* grads,
                   long n, const RmspropArgs& o);
void encodeHalves(uint16_t* out, const float* x, long n, double scale);
void decodeHalves(float* out, const uint16_t* h, long n, double scale);
double reduceSlots(float* first, const float* const* others, int W, long start, long end, double factor);
double softmaxCrossEntropy(float* dLogits, const float* logits, const float* target, const int32_t* labels,
                           const float* mask, long N, long V, double scale);
double mseLoss(float* dPred, const float* pred, const float* target, const float* mask, long N, long D,
               double scale);
void embeddingForward(float* y, const int32_t* ids, const float* table, long N, long D);
void embeddingBackward(float* dTable, const int32_t* ids, const float* dy, long N, long D);
void lstmForward(const RecurrentCall& c);
void lstmBackward(const RecurrentCall& c);
void gruForward(const RecurrentCall& c);
void gruBackward(const RecurrentCall& c);
void rnnForward(const RecurrentCall& c);
void rnnBackward(const RecurrentCall& c);

}  // namespace RECUR_ISA
}  // namespace recur
