// The Node-API surface of the native losses and embedding (isa/losses.cc; src/native/kernels.ts
// maps the reference signatures onto these argument orders). Registered by addon.cc's Init.
//
// The embedding calls check every id against the table's rows before any work (an id outside
// [0, V) is ERR_KERNELS_BAD_ARGUMENT: in C++ it would touch memory outside the table); the losses
// check every view's length (labels: each in [0, V), for the same reason).
#include <napi.h>

#include <string>

#include "args.h"
#include "kernels.h"

namespace recur {
namespace {

const KernelTable* (*current)() = nullptr;

/** Whether every id (N) lies in [0, rows); else a coded error naming the first bad one. */
bool idsInRange(Args& a, const char* name, const int32_t* ids, long N, long rows) {
  for (long n = 0; n < N; n++) {
    if (ids[n] >= 0 && ids[n] < rows) continue;
    const std::string what = std::string("in [0, ") + std::to_string(rows) + ") (element " + std::to_string(n) +
                             " is " + std::to_string(ids[n]) + ")";
    a.fail("ERR_KERNELS_BAD_ARGUMENT", name, what.c_str());
    return false;
  }
  return true;
}

/** (N, V, scale, sparse, dLogits | null, logits, target | labels, mask | null) → Σ loss · scale. */
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  Args a(info);
  const long N = a.count("N"), V = a.count("V");
  const double scale = a.number("scale");
  const bool sparse = a.flag("sparse");
  float* d = a.f32("dLogits", N * V, true);
  const float* logits = a.f32("logits", N * V);
  const int32_t* labels = sparse ? a.i32("labels", N, false) : nullptr;
  const float* target = sparse ? nullptr : a.f32("target", N * V);
  const float* mask = a.f32("mask", N, true);
  if (a.failed() || N == 0) return Napi::Number::New(info.Env(), 0);
  if (V == 0) {
    a.fail("ERR_KERNELS_BAD_ARGUMENT", "V", "at least 1");
    return info.Env().Undefined();
  }
  if (sparse && !idsInRange(a, "labels", labels, N, V)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), current()->softmaxCrossEntropy(d, logits, target, labels, mask, N, V, scale));
}

/** (N, D, scale, dPred | null, pred, target, mask | null) → Σ loss · scale. */
Napi::Value MseLoss(const Napi::CallbackInfo& info) {
  Args a(info);
  const long N = a.count("N"), D = a.count("D");
  const double scale = a.number("scale");
  float* d = a.f32("dPred", N * D, true);
  const float* pred = a.f32("pred", N * D);
  const float* target = a.f32("target", N * D);
  const float* mask = a.f32("mask", N, true);
  if (a.failed()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), current()->mseLoss(d, pred, target, mask, N, D, scale));
}

/** (N, D, y, ids, table): y (N, D) = table rows ids. */
Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  Args a(info);
  const long N = a.count("N"), D = a.count("D");
  float* y = a.f32("y", N * D);
  const int32_t* ids = a.i32("ids", N, false);
  Napi::Value tableValue = info[4];
  const float* table = a.f32("table", D == 0 ? 0 : 1);
  if (a.failed() || N == 0 || D == 0) return info.Env().Undefined();
  const long rows = (long)tableValue.As<Napi::TypedArray>().ElementLength() / D;
  if (idsInRange(a, "ids", ids, N, rows)) current()->embeddingForward(y, ids, table, N, D);
  return info.Env().Undefined();
}

/** (N, D, dTable, ids, dy): dTable rows ids[n] += dy row n. */
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  Args a(info);
  const long N = a.count("N"), D = a.count("D");
  Napi::Value tableValue = info[2];
  float* dTable = a.f32("dTable", D == 0 ? 0 : 1);
  const int32_t* ids = a.i32("ids", N, false);
  const float* dy = a.f32("dy", N * D);
  if (a.failed() || N == 0 || D == 0) return info.Env().Undefined();
  const long rows = (long)tableValue.As<Napi::TypedArray>().ElementLength() / D;
  if (idsInRange(a, "ids", ids, N, rows)) current()->embeddingBackward(dTable, ids, dy, N, D);
  return info.Env().Undefined();
}

}  // namespace

void registerLosses(Napi::Env env, Napi::Object exports, const KernelTable* (*table)()) {
  current = table;
  exports.Set("softmaxCrossEntropy", Napi::Function::New(env, SoftmaxCrossEntropy, "softmaxCrossEntropy"));
  exports.Set("mseLoss", Napi::Function::New(env, MseLoss, "mseLoss"));
  exports.Set("embeddingForward", Napi::Function::New(env, EmbeddingForward, "embeddingForward"));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbeddingBackward, "embeddingBackward"));
}

}  // namespace recur
