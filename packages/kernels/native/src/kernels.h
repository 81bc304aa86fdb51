// The native kernels' shared declarations: the argument structs the Node-API glue (addon.cc)
// fills from the TypeScript views, and the table of kernels each ISA build provides.
//
// Dimension letters as in the TypeScript sources: B batch, T steps, I input width, H hidden
// width, G gate width (4H LSTM, 3H GRU, H SimpleRNN). Every pointer is a Float32Array's data,
// in place (an ArrayBuffer, a SharedArrayBuffer or a shared WebAssembly.Memory alike); nullptr
// stands for a JavaScript null. Shapes are those of src/lstm.ts, src/gru.ts and src/rnn.ts.
//
// Note [one object per ISA]: isa/*.cc are compiled three times (binding.gyp): with AVX-512
// F/BW/VL + FMA, with AVX2 + FMA, and with the baseline flags, each into its own namespace
// (RECUR_ISA), so nothing compiled for a wider ISA can be picked by the linker for a narrower
// one. addon.cc asks the CPU (__builtin_cpu_supports) once at load and uses one table.
#pragma once
#include <cstdint>

#include "optim.h"

namespace recur {

/** A strided matrix: element (r, c) = data[r·rs + c·cs]; (ld, 1) row-major, (1, ld) transposed. */
struct Strided {
  const float* data;
  long rs;
  long cs;
};

struct SeqDims {
  int T, B, I, H;
  bool reverse;
  const int32_t* lengths;  // (B) or nullptr: every sample has T steps
};

struct Weights {
  const float* wIh;  // (G, I)
  const float* wHh;  // (G, H)
  const float* bIh;  // (G)
  const float* bHh;  // (G)
};

struct Grads {
  float* dWIh;  // (G, I)
  float* dWHh;  // (G, H)
  float* dBIh;  // (G)
  float* dBHh;  // (G)
};

/** A recurrent layer's call: the buffers common to every cell and direction. */
struct RecurrentCall {
  SeqDims dims;
  Weights w;
  const float* x;   // (T, B, I)
  // forward
  float* y;         // (T, B, H)
  float* hT;        // (B, H)
  float* cT;        // (B, H) LSTM only
  const float* h0;  // (B, H) or nullptr
  const float* c0;  // (B, H) or nullptr
  // cache: gates (T, B, G), hPrev (T, B, H), and per cell: LSTM cPrev, tanhC (T, B, H);
  // GRU hn (T, B, H), hProj (B, 3H)
  float* gates;
  float* hPrev;
  float* cPrev;
  float* tanhC;
  float* hn;
  float* hProj;
  // backward
  Grads g;
  float* dx;         // (T, B, I) or nullptr
  float* dh0;        // (B, H) or nullptr
  float* dc0;        // (B, H) or nullptr
  const float* dy;   // (T, B, H) 'all', (B, H) 'last', or nullptr
  bool dyLast;       // dyMode 'last'
  const float* dhT;  // (B, H) or nullptr
  const float* dcT;  // (B, H) or nullptr
  // workspace: LSTM dGates (T, B, 4H), dc; GRU dGatesX, dGatesH (T, B, 3H), dRh; all dh, dhNext
  float* dGates;
  float* dGatesH;
  float* dh;
  float* dc;
  float* dhNext;
  float* dRh;
  // cell variant: GRU resetAfter, SimpleRNN relu
  bool flag;
};

/**
 * Note [scratch in the arena]: a kernel call's scratch (gemm's packed panels, a recurrent call's
 * packed weights, a loss row of exponentials) comes from this thread's bound region when the
 * request fits its part: a Float32Array in the caller's arena (@recur/nn gives every rank's
 * workspace one, sized by scratchPlan, and binds it at each forward: addon.cc's bindScratch). A
 * request that does not fit its part (no region bound, or a shape the plan did not cover) is
 * served by the ISA's thread-local heap buffer instead, grown on first use, and counted.
 */
struct ScratchRegion {
  float* part[3] = {nullptr, nullptr, nullptr};  // gemm packing, packed weights, loss row
  long floats[3] = {0, 0, 0};
  double heapRequests = 0;  // requests this thread's heap buffers served (scratchUse)
};

/** This thread's region (addon.cc). */
ScratchRegion& scratchRegion();

struct KernelTable {
  const char* isa;
  /** Floats of gemm packing scratch that any product whose N and K are at most `widest` needs. */
  long (*gemmScratchFloats)(long widest);
  /** Floats a recurrent call packs a (rows, cols) weight matrix into: either way, whole or in two row pieces. */
  long (*packedBoundFloats)(long rows, long cols);
  /** C (M, N) = alpha·op(A)·op(B) + beta·C; beta = 0 ignores C (NaN included). */
  void (*gemm)(float* c, long ldc, Strided a, Strided b, int M, int N, int K, float alpha, float beta);
  /** pre (rows, G) += bIh + bHh over columns [0, hhEnd), += bIh past it. */
  void (*addBiasRows)(float* pre, const float* bIh, const float* bHh, long rows, int G, int hhEnd);
  /** db (G) += column sums of d (rows, G). */
  void (*addColumnSums)(float* db, const float* d, long rows, int G);
  void (*lstmForward)(const RecurrentCall& c);
  void (*lstmBackward)(const RecurrentCall& c);
  void (*gruForward)(const RecurrentCall& c);
  void (*gruBackward)(const RecurrentCall& c);
  void (*rnnForward)(const RecurrentCall& c);
  void (*rnnBackward)(const RecurrentCall& c);
  void (*sgdUpdate)(float* params, float* momentumBuf, const float* grads, long n, const SgdArgs& o);
  void (*adamUpdate)(float* params, float* m, float* v, const float* grads, long n, const AdamArgs& o);
  void (*rmspropUpdate)(float* params, float* squareAvg, float* gradAvg, float* momentumBuf,
                        const float* grads, long n, const RmspropArgs& o);
  /**
   * first[i] = (first[i] + Σ_r others[r][i]) / count over [start, end), rank order, float64;
   * `factor` = 1 / count (0 for count 0); returns the squared norm (src/reduce.ts, bit for bit).
   */
  double (*reduceSlots)(float* first, const float* const* others, int W, long start, long end, double factor);
  /** out[i] = half(float(x[i] · scale)), nearest even (@recur/protocol's encodeHalves, bit for bit). */
  void (*encodeHalves)(uint16_t* out, const float* x, long n, double scale);
  /** out[i] = float(half(h[i]) · scale) (@recur/protocol's decodeHalves, bit for bit). */
  void (*decodeHalves)(float* out, const uint16_t* h, long n, double scale);
  /** For benchmarks: `iterations` rounds of independent vector FMAs in registers; returns the flops. */
  double (*fmaPeak)(long iterations);
  /**
   * Σ over real rows of the softmax cross entropy of logits (N, V) against target (N, V) or, when
   * labels is not null, labels (N), times scale; dLogits (N, V) = its gradient, or null (then a
   * thread's scratch row holds the exponentials). src/losses.ts' semantics (mask, zero rows).
   */
  double (*softmaxCrossEntropy)(float* dLogits, const float* logits, const float* target, const int32_t* labels,
                                const float* mask, long N, long V, double scale);
  /** src/losses.ts' mseLoss with its reduction folded into scale (bit for bit). */
  double (*mseLoss)(float* dPred, const float* pred, const float* target, const float* mask, long N, long D,
                    double scale);
  /** y (N, D) = table rows ids (N) (the caller checked the ids). */
  void (*embeddingForward)(float* y, const int32_t* ids, const float* table, long N, long D);
  /** dTable rows ids[n] += dy (N, D) row n, in order of n. */
  void (*embeddingBackward)(float* dTable, const int32_t* ids, const float* dy, long N, long D);
};

namespace avx512 { const KernelTable* table(); }
namespace avx2 { const KernelTable* table(); }
namespace generic { const KernelTable* table(); }

}  // namespace recur
