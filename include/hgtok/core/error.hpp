// hgtok errors. Every failure caused by user input (a file, a shape, an id, a
// type name, a text) throws an hgtok::Error subclass whose message names the
// file (or source), the field and the offending value:
//
//   hgtok::FormatError: graph.safetensors: field 'x/movie.data_offsets': end 912 is past the data section (800 bytes)
//
// Catch hgtok::Error to handle them all; the parts stay available as members.
#pragma once

#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hgtok {

/// Base of every error hgtok throws on bad input.
class Error : public std::runtime_error {
 public:
  /// @param kind   class name shown first in the message ("FormatError", ...)
  /// @param source file path or logical source ("<memory>", "HeteroGraph")
  /// @param field  the field, tensor or key at fault
  /// @param what   what is wrong, including the offending value
  Error(const std::string& kind, std::string source, std::string field, const std::string& what)
      : std::runtime_error(compose(kind, source, field, what)),
        source_(std::move(source)),
        field_(std::move(field)),
        reason_(what) {}

  const std::string& source() const noexcept { return source_; }
  const std::string& field() const noexcept { return field_; }
  /// What is wrong, without the kind, source and field prefix.
  const std::string& reason() const noexcept { return reason_; }

 private:
  static std::string compose(const std::string& kind, const std::string& source, const std::string& field,
                             const std::string& what) {
    std::string m = "hgtok::" + kind + ": ";
    if (!source.empty()) m += source + ": ";
    if (!field.empty()) m += "field '" + field + "': ";
    return m + what;
  }
  std::string source_;
  std::string field_;
  std::string reason_;
};

/// A file or buffer that does not follow its format (bad header, bad JSON, bad offsets).
class FormatError : public Error {
 public:
  FormatError(std::string source, std::string field, const std::string& what)
      : Error("FormatError", std::move(source), std::move(field), what) {}
};

/// A tensor or matrix whose shape or dtype does not match what is required.
class ShapeError : public Error {
 public:
  ShapeError(std::string source, std::string field, const std::string& what)
      : Error("ShapeError", std::move(source), std::move(field), what) {}
};

/// A name (type, tensor, key, token) that is not present.
class LookupError : public Error {
 public:
  LookupError(std::string source, std::string field, const std::string& what)
      : Error("LookupError", std::move(source), std::move(field), what) {}
};

/// A value out of its allowed range (ids, probabilities, counts, NaN).
class ValueError : public Error {
 public:
  ValueError(std::string source, std::string field, const std::string& what)
      : Error("ValueError", std::move(source), std::move(field), what) {}
};

/// The operating system refused a file operation (missing file, no permission, short write).
class IOError : public Error {
 public:
  IOError(std::string source, std::string field, const std::string& what)
      : Error("IOError", std::move(source), std::move(field), what) {}
};

namespace detail {

/// Formats a shape as "[2, 3]".
inline std::string shape_str(const std::vector<std::int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

/// a*b for sizes, or throws ShapeError when the product overflows `limit`.
inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const std::string& source, const std::string& field,
                                 std::uint64_t limit = std::numeric_limits<std::uint64_t>::max()) {
  if (a != 0 && b > limit / a)
    throw ShapeError(source, field, "size " + std::to_string(a) + " x " + std::to_string(b) + " overflows");
  return a * b;
}

/// Runs f(); an hgtok::Error it throws is rethrown as the same class with
/// `source` (a file path) in place of its source, so errors raised while
/// building from a file name that file.
template <class F>
decltype(auto) with_source(const std::string& source, F&& f) {
  try {
    return f();
  } catch (const FormatError& e) {
    throw FormatError(source, e.field(), e.reason());
  } catch (const ShapeError& e) {
    throw ShapeError(source, e.field(), e.reason());
  } catch (const LookupError& e) {
    throw LookupError(source, e.field(), e.reason());
  } catch (const ValueError& e) {
    throw ValueError(source, e.field(), e.reason());
  }
}

}  // namespace detail
}  // namespace hgtok
