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
#include <new>
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

/// An input that would take more memory (or nesting, or bytes) than a limit allows (core/limits.hpp), or an
/// allocation the system refused; names what was being read or allocated.
class ResourceError : public Error {
 public:
  ResourceError(std::string source, std::string field, const std::string& what)
      : Error("ResourceError", std::move(source), std::move(field), what) {}
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

// Size arithmetic on values read from files. Every product of header dimensions goes through checked_numel /
// checked_nbytes: the one audited place (safetensors, npy, graph, table and config readers use it).

/// a*b for sizes, or throws ShapeError when the product overflows `limit` (int64's range by default).
inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const std::string& source, const std::string& field,
                                 std::uint64_t limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
  if (a != 0 && b > limit / a)
    throw ShapeError(source, field, "size " + std::to_string(a) + " x " + std::to_string(b) + " overflows");
  return a * b;
}

/// Elements of `shape` (1 for a scalar), checked in full: every dimension non-negative, and the product of the
/// non-zero dimensions within int64 even when another dimension is 0 (strides are products of the dimensions
/// after each one, and a zero dimension does not make them small). ShapeError naming `field` otherwise.
inline std::int64_t checked_numel(const std::vector<std::int64_t>& shape, const std::string& source, const std::string& field) {
  std::uint64_t nonzero = 1;
  bool empty = false;
  for (auto d : shape) {
    if (d < 0) throw ShapeError(source, field, "negative dimension in shape " + shape_str(shape));
    if (d == 0) {
      empty = true;
      continue;
    }
    if (static_cast<std::uint64_t>(d) > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / nonzero)
      throw ShapeError(source, field, "shape " + shape_str(shape) + " overflows int64");
    nonzero *= static_cast<std::uint64_t>(d);
  }
  return empty ? 0 : static_cast<std::int64_t>(nonzero);
}

/// Bytes of a tensor of `shape` with elements of `element_size` bytes, checked as checked_numel does (the byte
/// count of the non-zero dimensions within int64 too).
inline std::int64_t checked_nbytes(const std::vector<std::int64_t>& shape, std::uint64_t element_size,
                                   const std::string& source, const std::string& field) {
  const auto numel = checked_numel(shape, source, field);
  std::uint64_t nonzero = 1;
  for (auto d : shape)
    if (d != 0) nonzero *= static_cast<std::uint64_t>(d);  // fits: checked_numel checked it
  checked_mul(nonzero, element_size, source, field);
  return numel * static_cast<std::int64_t>(element_size);
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
  } catch (const ResourceError& e) {
    throw ResourceError(source, e.field(), e.reason());
  }
}

/// Runs f(), which allocates `what` (for `source`); an allocation the system refuses (std::bad_alloc, or
/// std::length_error for a size past a container's maximum) becomes a ResourceError naming it.
template <class F>
decltype(auto) allocating(const std::string& source, const std::string& what, F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw ResourceError(source, what, "cannot allocate memory for it");
  } catch (const std::length_error&) {
    throw ResourceError(source, what, "too large to allocate");
  }
}

}  // namespace detail
}  // namespace hgtok
