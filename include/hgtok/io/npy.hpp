// NumPy .npy read/write (format versions 1.0, 2.0, 3.0), validated.
//
// Layout: "\x93NUMPY", major, minor, header length (u16 for 1.0, u32 for 2.0/3.0),
// an ASCII Python dict {'descr': '<f4', 'fortran_order': False, 'shape': (N, M), }
// padded with spaces and '\n', then the C-order data. Only little-endian
// numeric dtypes hgtok uses are accepted (f8 f4 f2 i8 i4 u1 b1); Fortran order
// is refused. xtensor's xnpy does not validate its input, so hgtok parses
// the header itself and hands results out as xtensor arrays.
#pragma once

#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/dtype.hpp"
#include "hgtok/io/file_format.hpp"
#include "hgtok/io/safetensors.hpp"

namespace hgtok {

/// An .npy array as read: dtype, shape and the raw little-endian C-order bytes.
struct NpyArray {
  Dtype dtype = Dtype::F32;
  Shape shape;
  std::vector<unsigned char> bytes;
  std::string source;

  std::int64_t numel() const { return detail::checked_numel(shape, source, "shape"); }
  /// The elements converted to T (from any supported dtype).
  template <class T>
  std::vector<T> to_vector() const {
    std::vector<T> out(static_cast<std::size_t>(numel()));
    detail::convert_elements(bytes.data(), dtype, out.size(), out.data(), true, source, "data");
    return out;
  }
};

namespace detail {

/// Minimal parser for the Python dict literal of an .npy header.
class NpyHeaderParser {
 public:
  NpyHeaderParser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  void parse(std::string& descr, bool& fortran, Shape& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    skip();
    expect('{');
    for (;;) {
      skip();
      if (peek() == '}') break;
      const std::string key = quoted("header key");
      skip();
      expect(':');
      skip();
      if (key == "descr") {
        descr = quoted("descr");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (s_.compare(i_, 4, "True") == 0) fortran = true, i_ += 4;
        else if (s_.compare(i_, 5, "False") == 0) fortran = false, i_ += 5;
        else throw FormatError(source_, "fortran_order", "must be True or False");
        have_order = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        throw FormatError(source_, "header", "unexpected key '" + key + "'");
      }
      skip();
      if (peek() == ',') ++i_;
    }
    if (!have_descr) throw FormatError(source_, "descr", "missing from the header");
    if (!have_order) throw FormatError(source_, "fortran_order", "missing from the header");
    if (!have_shape) throw FormatError(source_, "shape", "missing from the header");
  }

 private:
  char peek() const {
    if (i_ >= s_.size()) throw FormatError(source_, "header", "ends early");
    return s_[i_];
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void expect(char c) {
    if (peek() != c) throw FormatError(source_, "header", std::string("expected '") + c + "' at offset " + std::to_string(i_));
    ++i_;
  }
  std::string quoted(const char* what) {
    const char q = peek();
    if (q != '\'' && q != '"') throw FormatError(source_, what, "expected a quoted string at offset " + std::to_string(i_));
    const auto end = s_.find(q, i_ + 1);
    if (end == std::string::npos) throw FormatError(source_, what, "unterminated string");
    std::string out = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    return out;
  }
  Shape tuple() {
    Shape shape;
    expect('(');
    for (;;) {
      skip();
      if (peek() == ')') {
        ++i_;
        return shape;
      }
      std::uint64_t v = 0;
      std::size_t digits = 0;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
        const auto digit = static_cast<std::uint64_t>(s_[i_++] - '0');
        if (v > (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - digit) / 10)
          throw ShapeError(source_, "shape", "dimension overflows int64");
        v = v * 10 + digit;
        ++digits;
      }
      if (digits == 0) throw FormatError(source_, "shape", "expected a non-negative integer at offset " + std::to_string(i_));
      shape.push_back(static_cast<std::int64_t>(v));
      skip();
      if (peek() == ',') ++i_;
    }
  }
  const std::string& s_;
  const std::string& source_;
  std::size_t i_ = 0;
};

inline const char* npy_descr(Dtype d) {
  switch (d) {
    case Dtype::F64: return "<f8";
    case Dtype::F32: return "<f4";
    case Dtype::F16: return "<f2";
    case Dtype::I64: return "<i8";
    case Dtype::I32: return "<i4";
    case Dtype::U8: return "|u1";
    case Dtype::BOOL: return "|b1";
    case Dtype::BF16: break;
  }
  return nullptr;
}

}  // namespace detail

/// Parses an .npy file held in memory; `source` names it in errors.
inline NpyArray parse_npy(const std::vector<unsigned char>& b, const std::string& source) {
  static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (b.size() < 10 || std::memcmp(b.data(), magic, 6) != 0)
    throw FormatError(source, "magic", "not an .npy file (missing \\x93NUMPY magic)" + detail::file_format_hint(b.data(), b.size(), FileFormat::Npy));
  const int major = b[6];
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<std::size_t>(b[8]) | (static_cast<std::size_t>(b[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw FormatError(source, "header_length", "file ends inside the header length");
    header_len = static_cast<std::size_t>(b[8]) | (static_cast<std::size_t>(b[9]) << 8) |
                 (static_cast<std::size_t>(b[10]) << 16) | (static_cast<std::size_t>(b[11]) << 24);
    offset = 12;
  } else {
    throw FormatError(source, "version", "unsupported .npy version " + std::to_string(major));
  }
  if (header_len > b.size() - offset)
    throw FormatError(source, "header_length", "header length " + std::to_string(header_len) + " is beyond the file");
  const std::string header(reinterpret_cast<const char*>(b.data() + offset), header_len);
  std::string descr;
  bool fortran = false;
  NpyArray a;
  a.source = source;
  detail::NpyHeaderParser(header, source).parse(descr, fortran, a.shape);
  if (fortran) throw FormatError(source, "fortran_order", "Fortran-order arrays are not supported; save with C order");
  std::string d = descr;
  if (!d.empty() && (d[0] == '=' )) d[0] = '<';
  if (d == "<f8") a.dtype = Dtype::F64;
  else if (d == "<f4") a.dtype = Dtype::F32;
  else if (d == "<f2") a.dtype = Dtype::F16;
  else if (d == "<i8") a.dtype = Dtype::I64;
  else if (d == "<i4") a.dtype = Dtype::I32;
  else if (d == "|u1" || d == "<u1") a.dtype = Dtype::U8;
  else if (d == "|b1") a.dtype = Dtype::BOOL;
  else throw FormatError(source, "descr", "unsupported dtype '" + descr + "' (supported: <f8 <f4 <f2 <i8 <i4 |u1 |b1)");
  const auto nbytes = static_cast<std::uint64_t>(detail::checked_nbytes(a.shape, dtype_size(a.dtype), source, "shape"));
  const std::size_t data_offset = offset + header_len;
  if (nbytes != b.size() - data_offset)
    throw ShapeError(source, "shape",
                     "shape " + detail::shape_str(a.shape) + " of " + descr + " needs " + std::to_string(nbytes) +
                         " bytes, the file holds " + std::to_string(b.size() - data_offset));
  a.bytes.assign(b.begin() + static_cast<std::ptrdiff_t>(data_offset), b.end());
  return a;
}

/// Reads an .npy file.
inline NpyArray load_npy_array(const std::string& path) { return parse_npy(detail::read_file_bytes(path), path); }

/// Reads an .npy file as an xtensor array of T (converting from any supported dtype).
template <class T>
xt::xarray<T> load_npy(const std::string& path) {
  auto a = load_npy_array(path);
  std::vector<std::size_t> shape(a.shape.begin(), a.shape.end());
  xt::xarray<T> out(shape);
  detail::convert_elements(a.bytes.data(), a.dtype, out.size(), out.data(), true, path, "data");
  return out;
}

/// The bytes of an .npy file (version 1.0, C order) holding `data`.
inline std::vector<unsigned char> npy_bytes(Dtype dtype, const Shape& shape, const void* data, const std::string& source) {
  const char* descr = detail::npy_descr(dtype);
  if (!descr) throw ValueError(source, "dtype", std::string("cannot write ") + dtype_name(dtype) + " to .npy");
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  const auto nbytes = static_cast<std::size_t>(detail::checked_nbytes(shape, dtype_size(dtype), source, "shape"));
  for (std::size_t i = 0; i < shape.size(); ++i)
    header += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
  header += "), }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  if (header.size() > 65535) throw ShapeError(source, "shape", "header too long for .npy 1.0");
  const unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                      static_cast<unsigned char>(header.size() & 0xFF),
                                      static_cast<unsigned char>(header.size() >> 8)};
  // One allocation, filled with memcpy (vector::insert after an initializer list
  // trips GCC 12's -Warray-bounds false positive at -O3).
  std::vector<unsigned char> out(sizeof preamble + header.size() + nbytes);
  std::memcpy(out.data(), preamble, sizeof preamble);
  std::memcpy(out.data() + sizeof preamble, header.data(), header.size());
  if (nbytes) std::memcpy(out.data() + sizeof preamble + header.size(), data, nbytes);
  return out;
}

/// Writes raw C-order data as an .npy file (atomically).
inline void save_npy(const std::string& path, Dtype dtype, const Shape& shape, const void* data) {
  auto bytes = npy_bytes(dtype, shape, data, path);
  detail::write_file_atomic(path, std::string(), {{bytes.data(), bytes.size()}});
}

/// Writes an xtensor expression's values as an .npy file.
template <class E>
void save_npy(const std::string& path, const xt::xexpression<E>& e) {
  using T = typename E::value_type;
  xt::xarray<T> a = e.derived_cast();
  Shape shape(a.shape().begin(), a.shape().end());
  save_npy(path, dtype_of<T>(), shape, a.data());
}

/// Writes a row-major matrix as an .npy [rows, cols].
template <class T>
void save_npy(const std::string& path, const Matrix<T>& m) {
  save_npy(path, dtype_of<T>(), Shape{m.rows(), m.cols()}, m.data());
}

}  // namespace hgtok
