// The Node-API surface of the native kernels (src/native/addon.ts is its TypeScript side).
//
// Each function reads its views in place (args.h), checks every length against the call's
// dimensions, and runs this thread's kernel table: the widest ISA the CPU has, chosen when the
// module is initialised on a thread (every worker thread initialises its own instance: the
// table pointer is thread_local, so the module is context-aware and keeps no shared state).
// Argument orders put dimensions first; src/native/addon.ts maps the reference signatures.
#include <napi.h>

#include <cstring>
#include <vector>

#include "args.h"
#include "kernels.h"

namespace recur {

/** addon-losses.cc: the losses' and the embedding's functions, run on `table()`. */
void registerLosses(Napi::Env env, Napi::Object exports, const KernelTable* (*table)());

namespace {

thread_local const KernelTable* kernels = nullptr;

thread_local ScratchRegion region;

/**
 * Per-environment data (one per thread that loads the module): the bound scratch region's view,
 * referenced so that its buffer outlives the binding; unbound when the environment ends.
 */
struct Instance {
  Napi::ObjectReference boundView;
  ~Instance() { region = ScratchRegion{}; }
};

/** The widest ISA this CPU supports, or `want` when it is no wider (null when not supported). */
const KernelTable* tableFor(const std::string& want) {
#if defined(__x86_64__) && defined(RECUR_HAVE_X86_ISAS)
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma") &&
                      __builtin_cpu_supports("f16c");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  if ((want == "" || want == "avx512") && avx512) return avx512::table();
  if ((want == "" || want == "avx2") && avx2) return avx2::table();
  if (want == "avx512" || want == "avx2") return nullptr;
#endif
  if (want == "" || want == "generic") return generic::table();
  return nullptr;
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args a(info);
  const long M = a.count("M"), N = a.count("N"), K = a.count("K");
  const bool transA = a.flag("transA"), transB = a.flag("transB");
  const float alpha = (float)a.number("alpha"), beta = (float)a.number("beta");
  const long lda = a.count("lda"), ldb = a.count("ldb"), ldc = a.count("ldc");
  const bool empty = M == 0 || N == 0;
  float* c = a.f32("C", empty ? 0 : (M - 1) * ldc + N);
  const bool noDepth = empty || K == 0;
  const float* pa = a.f32("A", noDepth ? 0 : transA ? (K - 1) * lda + M : (M - 1) * lda + K);
  const float* pb = a.f32("B", noDepth ? 0 : transB ? (N - 1) * ldb + K : (K - 1) * ldb + N);
  if (a.failed() || empty) return info.Env().Undefined();
  const Strided sa = transA ? Strided{pa, 1, lda} : Strided{pa, lda, 1};
  const Strided sb = transB ? Strided{pb, 1, ldb} : Strided{pb, ldb, 1};
  kernels->gemm(c, ldc, sa, sb, (int)M, (int)N, (int)K, alpha, beta);
  return info.Env().Undefined();
}

Napi::Value DenseForward(const Napi::CallbackInfo& info) {
  Args a(info);
  const long N = a.count("N"), In = a.count("In"), O = a.count("O");
  float* y = a.f32("y", N * O);
  const float* x = a.f32("x", N * In);
  const float* w = a.f32("w", O * In);
  const float* b = a.f32("b", O, true);
  if (a.failed() || N == 0 || O == 0) return info.Env().Undefined();
  kernels->gemm(y, O, Strided{x, In, 1}, Strided{w, 1, In}, (int)N, (int)O, (int)In, 1.f, 0.f);
  if (b != nullptr) kernels->addBiasRows(y, b, b, N, (int)O, 0);
  return info.Env().Undefined();
}

Napi::Value DenseBackward(const Napi::CallbackInfo& info) {
  Args a(info);
  const long N = a.count("N"), In = a.count("In"), O = a.count("O");
  float* dx = a.f32("dx", N * In, true);
  float* dw = a.f32("dw", O * In);
  float* db = a.f32("db", O, true);
  const float* x = a.f32("x", N * In);
  const float* w = a.f32("w", O * In);
  const float* dy = a.f32("dy", N * O);
  if (a.failed()) return info.Env().Undefined();
  kernels->gemm(dw, In, Strided{dy, 1, O}, Strided{x, In, 1}, (int)O, (int)In, (int)N, 1.f, 1.f);
  if (dx != nullptr) kernels->gemm(dx, In, Strided{dy, O, 1}, Strided{w, In, 1}, (int)N, (int)In, (int)O, 1.f, 1.f);
  if (db != nullptr) kernels->addColumnSums(db, dy, N, (int)O);
  return info.Env().Undefined();
}

/** Sizes of one recurrent call: (T, B, H) steps, (B, H) states, G gates. */
struct Sizes {
  long steps, state, input, G;
};

/** Reads T, B, I, H, reverse, the cell flag and lengths (the first seven arguments). */
Sizes readDims(Args& a, RecurrentCall& c, int gatesPerUnit) {
  SeqDims& d = c.dims;
  d.T = (int)a.count("T");
  d.B = (int)a.count("B");
  d.I = (int)a.count("I");
  d.H = (int)a.count("H");
  d.reverse = a.flag("reverse");
  c.flag = a.flag("flag");
  d.lengths = a.i32("lengths", d.B, true);
  const long TB = (long)d.T * d.B;
  return Sizes{TB * d.H, (long)d.B * d.H, TB * d.I, (long)gatesPerUnit * d.H};
}

void readWeights(Args& a, RecurrentCall& c, const Sizes& s) {
  c.w.wIh = a.f32("wIh", s.G * c.dims.I);
  c.w.wHh = a.f32("wHh", s.G * c.dims.H);
  c.w.bIh = a.f32("bIh", s.G);
  c.w.bHh = a.f32("bHh", s.G);
}

void readGrads(Args& a, RecurrentCall& c, const Sizes& s) {
  c.dx = a.f32("dx", s.input, true);
  c.dh0 = a.f32("dh0", s.state, true);
  c.g.dWIh = a.f32("dWIh", s.G * c.dims.I);
  c.g.dWHh = a.f32("dWHh", s.G * c.dims.H);
  c.g.dBIh = a.f32("dBIh", s.G);
  c.g.dBHh = a.f32("dBHh", s.G);
}

/** dy, dyMode ('last' flag) and dhT, after the weights. */
void readOutputGrads(Args& a, RecurrentCall& c, const Sizes& s) {
  c.dyLast = a.flag("dyLast");
  c.dy = a.f32("dy", c.dyLast ? s.state : s.steps, true);
  c.dhT = a.f32("dhT", s.state, true);
}

typedef void (*RecurrentKernel)(const RecurrentCall&);

Napi::Value Run(const Napi::CallbackInfo& info, Args& a, const RecurrentCall& c, RecurrentKernel kernel) {
  // T = 0 still runs: the final state is the initial one, and dh0 receives dhT.
  if (!a.failed() && c.dims.B > 0 && c.dims.H > 0) kernel(c);
  return info.Env().Undefined();
}

// (T, B, I, H, reverse, _, lengths, y, hT, cT, gates, hPrev, cPrev, tanhC, x, h0, c0, wIh, wHh, bIh, bHh)
Napi::Value LstmForward(const Napi::CallbackInfo& info) {
  Args a(info);
  RecurrentCall c{};
  const Sizes s = readDims(a, c, 4);
  c.y = a.f32("y", s.steps);
  c.hT = a.f32("hT", s.state);
  c.cT = a.f32("cT", s.state);
  c.gates = a.f32("cache.gates", s.steps * 4);
  c.hPrev = a.f32("cache.hPrev", s.steps);
  c.cPrev = a.f32("cache.cPrev", s.steps);
  c.tanhC = a.f32("cache.tanhC", s.steps);
  c.x = a.f32("x", s.input);
  c.h0 = a.f32("h0", s.state, true);
  c.c0 = a.f32("c0", s.state, true);
  readWeights(a, c, s);
  return Run(info, a, c, kernels->lstmForward);
}

// (dims..., dx, dh0, dWIh, dWHh, dBIh, dBHh, dc0, dGates, dh, dc, dhNext, gates, hPrev, cPrev,
//  tanhC, x, wIh, wHh, bIh, bHh, dyLast, dy, dhT, dcT)
Napi::Value LstmBackward(const Napi::CallbackInfo& info) {
  Args a(info);
  RecurrentCall c{};
  const Sizes s = readDims(a, c, 4);
  readGrads(a, c, s);
  c.dc0 = a.f32("dc0", s.state, true);
  c.dGates = a.f32("work.dGates", s.steps * 4);
  c.dh = a.f32("work.dh", s.state);
  c.dc = a.f32("work.dc", s.state);
  c.dhNext = a.f32("work.dhNext", s.state);
  c.gates = a.f32("cache.gates", s.steps * 4);
  c.hPrev = a.f32("cache.hPrev", s.steps);
  c.cPrev = a.f32("cache.cPrev", s.steps);
  c.tanhC = a.f32("cache.tanhC", s.steps);
  c.x = a.f32("x", s.input);
  readWeights(a, c, s);
  readOutputGrads(a, c, s);
  c.dcT = a.f32("dcT", s.state, true);
  return Run(info, a, c, kernels->lstmBackward);
}

// (dims..., resetAfter as flag, lengths, y, hT, gates, hPrev, hn, hProj, x, h0, wIh, wHh, bIh, bHh)
Napi::Value GruForward(const Napi::CallbackInfo& info) {
  Args a(info);
  RecurrentCall c{};
  const Sizes s = readDims(a, c, 3);
  c.y = a.f32("y", s.steps);
  c.hT = a.f32("hT", s.state);
  c.gates = a.f32("cache.gates", s.steps * 3);
  c.hPrev = a.f32("cache.hPrev", s.steps);
  c.hn = a.f32("cache.hn", s.steps);
  c.hProj = a.f32("cache.hProj", s.state * 3);
  c.x = a.f32("x", s.input);
  c.h0 = a.f32("h0", s.state, true);
  readWeights(a, c, s);
  return Run(info, a, c, kernels->gruForward);
}

// (dims..., dx, dh0, dWIh, dWHh, dBIh, dBHh, dGatesX, dGatesH, dh, dhNext, dRh, gates, hPrev, hn,
//  x, wIh, wHh, bIh, bHh, dyLast, dy, dhT)
Napi::Value GruBackward(const Napi::CallbackInfo& info) {
  Args a(info);
  RecurrentCall c{};
  const Sizes s = readDims(a, c, 3);
  readGrads(a, c, s);
  c.dGates = a.f32("work.dGatesX", s.steps * 3);
  c.dGatesH = a.f32("work.dGatesH", s.steps * 3);
  c.dh = a.f32("work.dh", s.state);
  c.dhNext = a.f32("work.dhNext", s.state);
  c.dRh = a.f32("work.dRh", s.state);
  c.gates = a.f32("cache.gates", s.steps * 3);
  c.hPrev = a.f32("cache.hPrev", s.steps);
  c.hn = a.f32("cache.hn", s.steps);
  c.x = a.f32("x", s.input);
  readWeights(a, c, s);
  readOutputGrads(a, c, s);
  return Run(info, a, c, kernels->gruBackward);
}

// (dims..., relu as flag, lengths, y, hT, gates, hPrev, x, h0, wIh, wHh, bIh, bHh)
Napi::Value RnnForward(const Napi::CallbackInfo& info) {
  Args a(info);
  RecurrentCall c{};
  const Sizes s = readDims(a, c, 1);
  c.y = a.f32("y", s.steps);
  c.hT = a.f32("hT", s.state);
  c.gates = a.f32("cache.gates", s.steps);
  c.hPrev = a.f32("cache.hPrev", s.steps);
  c.x = a.f32("x", s.input);
  c.h0 = a.f32("h0", s.state, true);
  readWeights(a, c, s);
  return Run(info, a, c, kernels->rnnForward);
}

// (dims..., dx, dh0, dWIh, dWHh, dBIh, dBHh, dGates, dh, dhNext, gates, hPrev, x, wIh, wHh, bIh,
//  bHh, dyLast, dy, dhT)
Napi::Value RnnBackward(const Napi::CallbackInfo& info) {
  Args a(info);
  RecurrentCall c{};
  const Sizes s = readDims(a, c, 1);
  readGrads(a, c, s);
  c.dGates = a.f32("work.dGates", s.steps);
  c.dh = a.f32("work.dh", s.state);
  c.dhNext = a.f32("work.dhNext", s.state);
  c.gates = a.f32("cache.gates", s.steps);
  c.hPrev = a.f32("cache.hPrev", s.steps);
  c.x = a.f32("x", s.input);
  readWeights(a, c, s);
  readOutputGrads(a, c, s);
  return Run(info, a, c, kernels->rnnBackward);
}

// (start, end, first, lr, momentum, dampening, nesterov, weightDecay, params, momentumBuf, grads)
Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  Args a(info);
  const long start = a.count("start"), end = a.count("end");
  SgdArgs o;
  o.first = a.flag("first");
  o.lr = a.number("lr");
  o.momentum = a.number("momentum");
  o.dampening = a.number("dampening");
  o.nesterov = a.flag("nesterov");
  o.weightDecay = a.number("weightDecay");
  float* p = a.f32("params", end);
  float* buf = a.f32("momentumBuf", end, true);
  const float* g = a.f32("grads", end);
  if (!a.failed() && end > start) kernels->sgdUpdate(p + start, buf == nullptr ? nullptr : buf + start, g + start, end - start, o);
  return info.Env().Undefined();
}

// (start, end, stepSize, correction2Sqrt, beta1, beta2, eps, l2, shrink, params, m, v, grads)
Napi::Value AdamUpdate(const Napi::CallbackInfo& info) {
  Args a(info);
  const long start = a.count("start"), end = a.count("end");
  AdamArgs o;
  o.stepSize = a.number("stepSize");
  o.correction2Sqrt = a.number("correction2Sqrt");
  o.beta1 = a.number("beta1");
  o.beta2 = a.number("beta2");
  o.eps = a.number("eps");
  o.l2 = a.number("l2");
  o.shrink = a.number("shrink");
  float* p = a.f32("params", end);
  float* m = a.f32("m", end);
  float* v = a.f32("v", end);
  const float* g = a.f32("grads", end);
  if (!a.failed() && end > start) kernels->adamUpdate(p + start, m + start, v + start, g + start, end - start, o);
  return info.Env().Undefined();
}

// (start, end, lr, alpha, eps, weightDecay, momentum, params, squareAvg, gradAvg, momentumBuf, grads)
Napi::Value RmspropUpdate(const Napi::CallbackInfo& info) {
  Args a(info);
  const long start = a.count("start"), end = a.count("end");
  RmspropArgs o;
  o.lr = a.number("lr");
  o.alpha = a.number("alpha");
  o.eps = a.number("eps");
  o.weightDecay = a.number("weightDecay");
  o.momentum = a.number("momentum");
  float* p = a.f32("params", end);
  float* sq = a.f32("squareAvg", end);
  float* avg = a.f32("gradAvg", end, true);
  float* buf = a.f32("momentumBuf", end, true);
  const float* g = a.f32("grads", end);
  if (a.failed() || end <= start) return info.Env().Undefined();
  kernels->rmspropUpdate(p + start, sq + start, avg == nullptr ? nullptr : avg + start, buf == nullptr ? nullptr : buf + start,
                g + start, end - start, o);
  return info.Env().Undefined();
}

/**
 * (start, end, count, slots): slots is an Array of W ≥ 1 Float32Arrays of at least `end`
 * elements, read in place; slot 0 receives the mean. Returns the chunk's squared norm.
 */
Napi::Value ReduceSlots(const Napi::CallbackInfo& info) {
  Args a(info);
  const long start = a.count("start"), end = a.count("end");
  const double count = a.number("count");
  if (a.failed()) return info.Env().Undefined();
  const Napi::Value list = info[3];
  if (!list.IsArray() || list.As<Napi::Array>().Length() == 0) {
    a.fail("ERR_KERNELS_BAD_ARGUMENT", "slots", "a non-empty Array of Float32Arrays");
    return info.Env().Undefined();
  }
  const Napi::Array array = list.As<Napi::Array>();
  const uint32_t W = array.Length();
  // The slots' data pointers: grown on first use, then reused (no allocation per call).
  thread_local std::vector<float*> slots;
  if (slots.size() < W) slots.resize(W);
  for (uint32_t r = 0; r < W; r++) {
    slots[r] = a.f32At(array.Get(r), "slots[r]", end);
    if (a.failed()) return info.Env().Undefined();
  }
  const double factor = count > 0 ? 1 / count : 0;
  const double norm = end > start ? kernels->reduceSlots(slots[0], slots.data() + 1, (int)W, start, end, factor) : 0;
  return Napi::Number::New(info.Env(), norm);
}

/** (n, scale, out: Uint16Array, x: Float32Array): out[i] = half(x[i] · scale). */
Napi::Value EncodeHalves(const Napi::CallbackInfo& info) {
  Args a(info);
  const long n = a.count("n");
  const double scale = a.number("scale");
  uint16_t* out = a.u16("out", n);
  const float* x = a.f32("x", n);
  if (!a.failed() && n > 0) kernels->encodeHalves(out, x, n, scale);
  return info.Env().Undefined();
}

/** (n, scale, out: Float32Array, h: Uint16Array): out[i] = float(h[i]) · scale. */
Napi::Value DecodeHalves(const Napi::CallbackInfo& info) {
  Args a(info);
  const long n = a.count("n");
  const double scale = a.number("scale");
  float* out = a.f32("out", n);
  const uint16_t* h = a.u16("h", n);
  if (!a.failed() && n > 0) kernels->decodeHalves(out, h, n, scale);
  return info.Env().Undefined();
}

/**
 * (n, x: Float32Array): whether none of x[0, n) is ±Infinity or NaN (exponent field all ones).
 * @recur/protocol's allFinite, natively (@recur/cluster installs it there). One branchless pass
 * over the bits that the compiler vectorizes at any ISA; it is not in the per-ISA table.
 */
Napi::Value AllFinite(const Napi::CallbackInfo& info) {
  Args a(info);
  const long n = a.count("n");
  const float* x = a.f32("x", n);
  if (a.failed()) return info.Env().Undefined();
  constexpr uint32_t EXPONENT = 0x7f800000;
  uint32_t bad = 0;
  for (long i = 0; i < n; i++) {
    uint32_t bits;
    std::memcpy(&bits, x + i, 4);
    bad |= (bits & EXPONENT) == EXPONENT;
  }
  return Napi::Boolean::New(info.Env(), bad == 0);
}

/**
 * (x: Float32Array): the address of x[0] modulo 64 (a cache line). Node places a large
 * ArrayBuffer's or SharedArrayBuffer's memory 16 bytes into a page, so offsets that are
 * multiples of 64 from its start are not line-aligned; @recur/kernels' alignedOrigin uses this.
 */
Napi::Value AddressMod64(const Napi::CallbackInfo& info) {
  Args a(info);
  const float* x = a.f32("x", 1);
  if (a.failed()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), (double)(reinterpret_cast<uintptr_t>(x) % 64));
}

/**
 * (B, T, F, out, x): out (T, B, F) = x (B, T, F), the model's first layer's batch-major to
 * time-major copy (src/sequence.ts's transposeBatchTime), one memcpy of F floats per (b, t).
 * The views must not overlap. Not in the per-ISA table: memcpy is the library's at any ISA.
 */
Napi::Value TransposeBatchTime(const Napi::CallbackInfo& info) {
  Args a(info);
  const long B = a.count("B"), T = a.count("T"), F = a.count("F");
  float* out = a.f32("out", B * T * F);
  const float* x = a.f32("x", B * T * F);
  if (a.failed()) return info.Env().Undefined();
  for (long b = 0; b < B; b++)
    for (long t = 0; t < T; t++) std::memcpy(out + (t * B + b) * F, x + (b * T + t) * F, F * sizeof(float));
  return info.Env().Undefined();
}

/**
 * (gemm, weights, row, region: Float32Array | null): this thread's scratch (Note [scratch in the
 * arena] in kernels.h) is `region` from its first 64-byte-aligned float on, in three parts of
 * the given floats each (gemm packing, packed weights, loss row), each part rounded up to a line;
 * region holds them and a line of slack (16 floats) for the first's alignment. Null unbinds
 * (every request then uses the heap buffers). Binding the same memory and parts again changes
 * nothing; the bound view stays referenced until another region is bound or the thread unbinds,
 * so its memory outlives the binding.
 */
Napi::Value BindScratch(const Napi::CallbackInfo& info) {
  Args a(info);
  const long parts[3] = {a.count("gemm"), a.count("weights"), a.count("row")};
  constexpr long LINE_FLOATS = 16;
  auto toLine = [](long n) { return (n + LINE_FLOATS - 1) / LINE_FLOATS * LINE_FLOATS; };
  // each part on a line, and a line of slack for aligning the first (src/scratch.ts' plan.floats)
  float* data = a.f32("region", toLine(parts[0]) + toLine(parts[1]) + toLine(parts[2]) + LINE_FLOATS, true);
  if (a.failed()) return info.Env().Undefined();
  float* first = data == nullptr ? nullptr : data + (64 - reinterpret_cast<uintptr_t>(data) % 64) % 64 / sizeof(float);
  // the same memory and parts again (every forward of a model binds its region): nothing to do
  if (first != nullptr && first == region.part[0] && parts[0] == region.floats[0] && parts[1] == region.floats[1] &&
      parts[2] == region.floats[2])
    return info.Env().Undefined();
  Instance* instance = info.Env().GetInstanceData<Instance>();
  region.part[0] = region.part[1] = region.part[2] = nullptr;
  region.floats[0] = region.floats[1] = region.floats[2] = 0;
  instance->boundView.Reset();
  if (data == nullptr) return info.Env().Undefined();
  instance->boundView = Napi::Persistent(info[3].As<Napi::Object>());
  float* at = first;
  for (int p = 0; p < 3; p++) {
    region.part[p] = at;
    region.floats[p] = parts[p];
    at += toLine(parts[p]);  // each part starts on a line
  }
  return info.Env().Undefined();
}

/** (): { heapRequests, bound }: scratch requests this thread's heap buffers served; floats bound. */
Napi::Value ScratchUse(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("heapRequests", Napi::Number::New(info.Env(), region.heapRequests));
  out.Set("bound", Napi::Number::New(info.Env(), (double)(region.floats[0] + region.floats[1] + region.floats[2])));
  return out;
}

/** (widest): floats of gemm packing scratch for products whose N and K are at most `widest`. */
Napi::Value GemmScratchFloats(const Napi::CallbackInfo& info) {
  Args a(info);
  const long widest = a.count("widest");
  if (a.failed()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), (double)kernels->gemmScratchFloats(widest));
}

/** (rows, cols): floats a recurrent call may pack a (rows, cols) weight matrix into. */
Napi::Value PackedBoundFloats(const Napi::CallbackInfo& info) {
  Args a(info);
  const long rows = a.count("rows"), cols = a.count("cols");
  if (a.failed()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), (double)kernels->packedBoundFloats(rows, cols));
}

/** fmaPeak(iterations): runs the ISA's register-only FMA loop; returns the flops it did. */
Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  Args a(info);
  const long iterations = a.count("iterations");
  if (a.failed()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), kernels->fmaPeak(iterations));
}

/** selectIsa(name): this thread's table for a named ISA ('' = widest); returns the ISA in use. */
Napi::Value SelectIsa(const Napi::CallbackInfo& info) {
  const std::string want = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  const KernelTable* table = tableFor(want);
  if (table == nullptr) {
    Napi::Error error = Napi::Error::New(info.Env(), "native kernels: this CPU cannot run ISA '" + want + "'");
    error.Set("code", Napi::String::New(info.Env(), "ERR_KERNELS_BAD_BACKEND"));
    error.ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  kernels = table;
  return Napi::String::New(info.Env(), table->isa);
}

const KernelTable* currentTable() { return kernels; }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  kernels = tableFor("");
  env.SetInstanceData(new Instance());
  registerLosses(env, exports, currentTable);
  const struct {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  } functions[] = {
      {"gemm", Gemm},           {"denseForward", DenseForward}, {"denseBackward", DenseBackward},
      {"lstmForward", LstmForward}, {"lstmBackward", LstmBackward}, {"gruForward", GruForward},
      {"gruBackward", GruBackward}, {"rnnForward", RnnForward},     {"rnnBackward", RnnBackward},
      {"sgdUpdate", SgdUpdate}, {"adamUpdate", AdamUpdate},     {"rmspropUpdate", RmspropUpdate},
      {"reduceSlots", ReduceSlots}, {"encodeHalves", EncodeHalves}, {"decodeHalves", DecodeHalves},
      {"allFinite", AllFinite}, {"transposeBatchTime", TransposeBatchTime},
      {"selectIsa", SelectIsa}, {"fmaPeak", FmaPeak}, {"addressMod64", AddressMod64},
      {"bindScratch", BindScratch}, {"scratchUse", ScratchUse}, {"gemmScratchFloats", GemmScratchFloats},
      {"packedBoundFloats", PackedBoundFloats},
  };
  for (const auto& f : functions) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  return exports;
}

}  // namespace

ScratchRegion& scratchRegion() { return region; }

}  // namespace recur

static Napi::Object InitRecurKernels(Napi::Env env, Napi::Object exports) { return recur::Init(env, exports); }

NODE_API_MODULE(recur_kernels, InitRecurKernels)
