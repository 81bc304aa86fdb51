// Reading a native call's arguments in place: Float32Array / Int32Array data pointers (any
// backing buffer: ArrayBuffer, SharedArrayBuffer, shared WebAssembly.Memory), numbers and flags,
// each checked. A view shorter than the call needs is ERR_KERNELS_VIEW_TOO_SHORT, a wrong type
// ERR_KERNELS_BAD_ARGUMENT; the first failure throws and the call returns before any work.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

namespace recur {

class Args {
 public:
  explicit Args(const Napi::CallbackInfo& info) : info_(info) {}

  bool failed() const { return failed_; }

  /** The next argument: a Float32Array of at least `need` elements (or null when `nullable`). */
  float* f32(const char* name, long need, bool nullable = false) {
    return static_cast<float*>(view(name, need, nullable, napi_float32_array));
  }

  /** A given value (not the next argument): a Float32Array of at least `need` elements. */
  float* f32At(const Napi::Value& v, const char* name, long need) {
    return static_cast<float*>(check(v, name, need, false, napi_float32_array));
  }

  /** The next argument: a Uint16Array of at least `need` elements. */
  uint16_t* u16(const char* name, long need) {
    return static_cast<uint16_t*>(view(name, need, false, napi_uint16_array));
  }

  const int32_t* i32(const char* name, long need, bool nullable) {
    return static_cast<int32_t*>(view(name, need, nullable, napi_int32_array));
  }

  /** The next argument: a non-negative integer. */
  long count(const char* name) {
    const double v = number(name);
    if (!failed_ && (v < 0 || v != (double)(long)v)) fail("ERR_KERNELS_BAD_ARGUMENT", name, "a non-negative integer");
    return failed_ ? 0 : (long)v;
  }

  double number(const char* name) {
    const Napi::Value v = next();
    if (!v.IsNumber()) {
      fail("ERR_KERNELS_BAD_ARGUMENT", name, "a number");
      return 0;
    }
    return v.As<Napi::Number>().DoubleValue();
  }

  bool flag(const char* name) {
    const Napi::Value v = next();
    if (!v.IsBoolean()) {
      fail("ERR_KERNELS_BAD_ARGUMENT", name, "a boolean");
      return false;
    }
    return v.As<Napi::Boolean>().Value();
  }

 private:
  Napi::Value next() { return info_[index_++]; }

  void* view(const char* name, long need, bool nullable, napi_typedarray_type want) {
    return check(next(), name, need, nullable, want);
  }

  void* check(const Napi::Value& v, const char* name, long need, bool nullable, napi_typedarray_type want) {
    if (failed_) return nullptr;
    if (nullable && (v.IsNull() || v.IsUndefined())) return nullptr;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (!v.IsTypedArray() ||
        napi_get_typedarray_info(info_.Env(), v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != want) {
      fail("ERR_KERNELS_BAD_ARGUMENT", name, want == napi_float32_array ? "a Float32Array" : want == napi_uint16_array ? "a Uint16Array" : "an Int32Array");
      return nullptr;
    }
    if ((long)length < need) {
      fail("ERR_KERNELS_VIEW_TOO_SHORT", name,
           ("at least " + std::to_string(need) + " elements, got " + std::to_string(length)).c_str());
      return nullptr;
    }
    return data;
  }

 public:
  /** Throws a coded error (once): `name` must be `expected`. */
  void fail(const char* code, const char* name, const char* expected) {
    if (failed_) return;
    failed_ = true;
    Napi::Error error = Napi::Error::New(info_.Env(), std::string("native kernels: ") + name + " must be " + expected);
    error.Set("code", Napi::String::New(info_.Env(), code));
    error.ThrowAsJavaScriptException();
  }

 private:
  const Napi::CallbackInfo& info_;
  size_t index_ = 0;
  bool failed_ = false;
};

}  // namespace recur
