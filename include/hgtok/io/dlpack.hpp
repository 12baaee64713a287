// DLPack hand-off (dmlc/dlpack, Debian libdlpack-dev, <dlpack/dlpack.h>):
// a tensor leaves hgtok as a DLManagedTensor without a copy, so PyTorch
// (torch.utils.dlpack.from_dlpack), NumPy, JAX or an LLM runtime can use the
// buffer in place (graph tokens: tokenizer/dlpack_tokens.hpp).
//
//   to_dlpack(xt::xarray<T>&&)   the array is moved into the capsule's context;
//                                its data pointer does not change (zero copy).
//                                The consumer calls deleter(self) exactly once,
//                                which frees the buffer and the capsule.
//   dlpack_matrix<T>(const DLTensor&)
//                                a read-only Eigen view of a 2-d CPU tensor
//                                from elsewhere (dtype, device, strides checked:
//                                a mismatch is a ShapeError / ValueError naming the field).
//
// Only float32 / float64 on kDLCPU; shape and strides are held by the context.
#pragma once

#include <dlpack/dlpack.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include <xtensor/xarray.hpp>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"

namespace hgtok {

namespace detail {

template <class T>
DLDataType dlpack_dtype() {
  static_assert(std::is_same<T, float>::value || std::is_same<T, double>::value, "DLPack export: float or double");
  DLDataType d;
  d.code = kDLFloat;
  d.bits = static_cast<std::uint8_t>(8 * sizeof(T));
  d.lanes = 1;
  return d;
}

template <class T>
struct DLPackContext {
  xt::xarray<T> array;
  std::vector<std::int64_t> shape, strides;
  DLManagedTensor managed{};
};

}  // namespace detail

/// Moves `array` into a DLManagedTensor (row-major, CPU). The caller owns the result and must call
/// result->deleter(result) once.
template <class T>
DLManagedTensor* to_dlpack(xt::xarray<T>&& array) {
  auto ctx = std::make_unique<detail::DLPackContext<T>>();
  ctx->array = std::move(array);  // moves the buffer: its address is unchanged
  for (auto s : ctx->array.shape()) ctx->shape.push_back(static_cast<std::int64_t>(s));
  ctx->strides.assign(ctx->shape.size(), 1);
  for (std::size_t i = ctx->shape.size(); i-- > 1;) ctx->strides[i - 1] = ctx->strides[i] * ctx->shape[i];
  DLTensor& t = ctx->managed.dl_tensor;
  t.data = ctx->array.data();
  t.device = DLDevice{kDLCPU, 0};
  t.ndim = static_cast<int>(ctx->shape.size());
  t.dtype = detail::dlpack_dtype<T>();
  t.shape = ctx->shape.data();
  t.strides = ctx->strides.data();
  t.byte_offset = 0;
  ctx->managed.manager_ctx = ctx.get();
  ctx->managed.deleter = [](DLManagedTensor* self) {
    delete static_cast<detail::DLPackContext<T>*>(self->manager_ctx);
  };
  return &ctx.release()->managed;
}

/// A read-only view of a 2-d float/double CPU DLTensor with row-major (or null) strides.
template <class T>
ConstMatrixMap<T> dlpack_matrix(const DLTensor& t) {
  const DLDataType want = detail::dlpack_dtype<T>();
  if (t.device.device_type != kDLCPU)
    throw ValueError("DLTensor", "device", "device type " + std::to_string(t.device.device_type) + ", only kDLCPU (1) is read");
  if (t.dtype.code != want.code || t.dtype.bits != want.bits || t.dtype.lanes != 1)
    throw ValueError("DLTensor", "dtype", "code " + std::to_string(t.dtype.code) + " bits " + std::to_string(t.dtype.bits) +
                                              " lanes " + std::to_string(t.dtype.lanes) + ", expected float" +
                                              std::to_string(want.bits));
  if (t.ndim != 2) throw ShapeError("DLTensor", "ndim", std::to_string(t.ndim) + ", expected 2");
  if (t.shape == nullptr || t.shape[0] < 0 || t.shape[1] < 0) throw ShapeError("DLTensor", "shape", "missing or negative");
  if (t.strides != nullptr && !(t.strides[1] == 1 && (t.strides[0] == t.shape[1] || t.shape[0] <= 1)))
    throw ShapeError("DLTensor", "strides", "(" + std::to_string(t.strides[0]) + ", " + std::to_string(t.strides[1]) +
                                                "), only row-major contiguous tensors are read");
  if (t.data == nullptr && t.shape[0] * t.shape[1] > 0) throw ValueError("DLTensor", "data", "null data pointer");
  if (t.byte_offset % sizeof(T) != 0)
    throw ValueError("DLTensor", "byte_offset", std::to_string(t.byte_offset) + " is not a multiple of the element size");
  const T* data = reinterpret_cast<const T*>(static_cast<const unsigned char*>(t.data) + t.byte_offset);
  return ConstMatrixMap<T>(data, t.shape[0], t.shape[1]);
}

}  // namespace hgtok
