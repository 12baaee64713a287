// Element types of stored tensors (the safetensors names) and conversions.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "hgtok/core/error.hpp"

namespace hgtok {

/// Element type of a stored tensor, named as safetensors names it.
enum class Dtype { F64, F32, F16, BF16, I64, I32, U8, BOOL };

/// Bytes per element.
inline std::size_t dtype_size(Dtype d) noexcept {
  switch (d) {
    case Dtype::F64: case Dtype::I64: return 8;
    case Dtype::F32: case Dtype::I32: return 4;
    case Dtype::F16: case Dtype::BF16: return 2;
    case Dtype::U8: case Dtype::BOOL: return 1;
  }
  return 1;
}

/// The safetensors name ("F32", ...).
inline const char* dtype_name(Dtype d) noexcept {
  switch (d) {
    case Dtype::F64: return "F64";
    case Dtype::F32: return "F32";
    case Dtype::F16: return "F16";
    case Dtype::BF16: return "BF16";
    case Dtype::I64: return "I64";
    case Dtype::I32: return "I32";
    case Dtype::U8: return "U8";
    case Dtype::BOOL: return "BOOL";
  }
  return "?";
}

/// Parses a safetensors dtype name; throws FormatError naming `source` and `field`.
inline Dtype parse_dtype(const std::string& name, const std::string& source, const std::string& field) {
  static const std::pair<const char*, Dtype> names[] = {
      {"F64", Dtype::F64}, {"F32", Dtype::F32}, {"F16", Dtype::F16}, {"BF16", Dtype::BF16},
      {"I64", Dtype::I64}, {"I32", Dtype::I32}, {"U8", Dtype::U8},   {"BOOL", Dtype::BOOL}};
  for (const auto& [n, d] : names)
    if (name == n) return d;
  throw FormatError(source, field, "unsupported dtype '" + name + "' (supported: F64 F32 F16 BF16 I64 I32 U8 BOOL)");
}

/// The Dtype of a C++ element type.
template <class T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, double>) return Dtype::F64;
  else if constexpr (std::is_same_v<T, float>) return Dtype::F32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return Dtype::I64;
  else if constexpr (std::is_same_v<T, std::int32_t>) return Dtype::I32;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return Dtype::U8;
  else if constexpr (std::is_same_v<T, bool>) return Dtype::BOOL;
  else static_assert(sizeof(T) == 0, "no hgtok::Dtype for this type");
}

namespace detail {

/// IEEE binary16 bits to float (handles subnormals, infinities and NaN).
inline float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1Fu;
  std::uint32_t mantissa = h & 0x3FFu;
  std::uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int shift = 0;
      while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        ++shift;
      }
      mantissa &= 0x3FFu;
      bits = sign | (static_cast<std::uint32_t>(127 - 15 + 1 - shift) << 23) | (mantissa << 13);
    }
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// bfloat16 bits to float (the upper half of a binary32).
inline float bfloat16_to_float(std::uint16_t h) noexcept {
  const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Converts n elements stored as `from` (little-endian, possibly unaligned) to T.
/// Half types are converted only when `convert_half` is true; otherwise a ShapeError names the dtype.
/// `first` is the index of src's first element in its tensor (errors name the element by that index).
template <class T>
void convert_elements(const unsigned char* src, Dtype from, std::size_t n, T* out, bool convert_half,
                      const std::string& source, const std::string& field, std::size_t first = 0) {
  auto load = [&](auto tag, std::size_t i) {
    using S = decltype(tag);
    S v;
    std::memcpy(&v, src + i * sizeof(S), sizeof(S));
    return v;
  };
  // A float converted to an integer type must be finite and in range (the cast is undefined behaviour otherwise).
  auto from_float = [&](double v, std::size_t i) -> T {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // [min, 2^digits) is exactly representable as double bounds for every integer type up to 64 bits.
      if (!(v >= static_cast<double>(std::numeric_limits<T>::min()) &&
            v < std::ldexp(1.0, std::numeric_limits<T>::digits)))
        throw ValueError(source, field, "element " + std::to_string(first + i) + " (" + std::to_string(v) + ") of dtype " +
                                            dtype_name(from) + " does not fit the integer type");
    }
    return static_cast<T>(v);
  };
  switch (from) {
    case Dtype::F64: for (std::size_t i = 0; i < n; ++i) out[i] = from_float(load(double{}, i), i); return;
    case Dtype::F32: for (std::size_t i = 0; i < n; ++i) out[i] = from_float(load(float{}, i), i); return;
    case Dtype::I64: for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(load(std::int64_t{}, i)); return;
    case Dtype::I32: for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(load(std::int32_t{}, i)); return;
    case Dtype::U8: for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(src[i]); return;
    case Dtype::BOOL: for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(src[i] != 0); return;
    case Dtype::F16:
    case Dtype::BF16:
      if (!convert_half)
        throw ShapeError(source, field,
                         std::string("dtype ") + dtype_name(from) + " needs conversion; pass convert_half = true");
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t h = load(std::uint16_t{}, i);
        out[i] = from_float(from == Dtype::F16 ? half_to_float(h) : bfloat16_to_float(h), i);
      }
      return;
  }
}

}  // namespace detail
}  // namespace hgtok
