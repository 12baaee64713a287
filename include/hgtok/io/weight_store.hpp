// WeightStore: named tensors (PyTorch state_dict() names) read from safetensors,
// with shape-checked typed access. Model loaders ask it for each parameter by
// name and shape; a missing tensor or a wrong shape names the tensor and both shapes.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/safetensors.hpp"

namespace hgtok {

class WeightStore {
 public:
  WeightStore() = default;

  /// Loads every tensor of a safetensors file (memory-mapped; kept alive by the store). tensor(), matrix() and
  /// vector() convert in chunks and hand each chunk's file pages back to the kernel once copied, so loading a
  /// model holds about the copies plus 32 MB resident, not the copies plus the file.
  static WeightStore load(const std::string& path) {
    WeightStore s;
    s.source_ = path;
    s.file_ = std::make_shared<SafetensorsFile>(SafetensorsFile::open(path));
    for (const auto& v : s.file_->tensors()) s.tensors_[v.name] = Stored{v, {}};
    s.metadata_ = s.file_->metadata();
    return s;
  }

  /// The file's __metadata__ and entries set in memory; save() writes them. Layer loaders read their settings
  /// here under their prefix (e.g. "heads", "layers.0.edge_types"; tools/convert_checkpoint.py writes them).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  /// The metadata entry `key` as an integer; absent: nullopt; not an integer: FormatError naming it.
  std::optional<Index> metadata_index(const std::string& key) const {
    const auto it = metadata_.find(key);
    if (it == metadata_.end()) return std::nullopt;
    Index v = 0;
    const char* end = it->second.data() + it->second.size();
    const auto [ptr, ec] = std::from_chars(it->second.data(), end, v);
    if (ec != std::errc() || ptr != end || it->second.empty())
      throw FormatError(source_, "__metadata__." + key, "'" + it->second + "' is not an integer");
    return v;
  }
  /// Checks a dimension given to a loader against the metadata entry `key`, when there is one: ValueError naming
  /// the entry when they differ (weights used with other dimensions than they were made for).
  void check_metadata(const std::string& key, Index given) const {
    const auto v = metadata_index(key);
    if (v && *v != given)
      throw ValueError(source_, "__metadata__." + key,
                       "the weights were made with " + key + " = " + std::to_string(*v) + ", given " + std::to_string(given));
  }

  /// The file the store was loaded from ("<memory>" when built in memory).
  const std::string& source() const { return source_; }
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  std::size_t size() const { return tensors_.size(); }
  /// Names in sorted order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& kv : tensors_) out.push_back(kv.first);
    return out;
  }

  /// A store that records the names and shapes of the tensors added to it and no data: a model's save() into
  /// it lists the model's tensors without copying them. Reading or saving its tensors is a ValueError.
  static WeightStore shapes_only() {
    WeightStore s;
    s.shapes_only_ = true;
    return s;
  }

  /// The stored tensor; throws LookupError naming it.
  const TensorView& view(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw LookupError(source_, name, "weight tensor is missing");
    if (shapes_only_) throw ValueError(source_, name, "the store records shapes only: it holds no data");
    return it->second.view;
  }
  Shape shape(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw LookupError(source_, name, "weight tensor is missing");
    return it->second.view.shape;
  }

  /// The tensor as a vector<T>, checked against `expected` shape (converted from any float dtype).
  template <class T>
  std::vector<T> tensor(const std::string& name, const Shape& expected) const {
    const auto& v = checked_view(name, expected);
    std::vector<T> out(static_cast<std::size_t>(v.nbytes / dtype_size(v.dtype)));
    read_into(v, out.data(), out.size());
    return out;
  }

  /// A 2-d tensor [rows, cols] as a row-major matrix.
  template <class T>
  Matrix<T> matrix(const std::string& name, std::int64_t rows, std::int64_t cols) const {
    const auto& v = checked_view(name, Shape{rows, cols});
    Matrix<T> m(rows, cols);
    read_into(v, m.data(), static_cast<std::size_t>(m.size()));
    return m;
  }

  /// A 2-d tensor [rows, cols] transposed: a row-major [cols, rows] matrix, filled a chunk of rows at a time
  /// (no full-size temporary; nn::Linear keeps Wᵀ this way).
  template <class T>
  Matrix<T> matrix_transposed(const std::string& name, std::int64_t rows, std::int64_t cols) const {
    const auto& v = checked_view(name, Shape{rows, cols});
    Matrix<T> out(cols, rows);
    if (out.size() == 0) return out;
    const std::size_t width = dtype_size(v.dtype);
    const Index step = std::max<Index>(1, static_cast<Index>(kChunk) / cols);
    Matrix<T> part;
    for (Index r = 0; r < rows; r += step) {
      const Index k = std::min<Index>(step, rows - r);
      part.resize(k, cols);
      const std::size_t first = static_cast<std::size_t>(r * cols), n = static_cast<std::size_t>(k * cols);
      detail::convert_elements(v.data + first * width, v.dtype, n, part.data(), true, v.source, v.name, first);
      if (file_) file_->release(v.data + first * width, n * width);
      // In 32 × 32 tiles, which stay in L1: a whole-chunk transpose strides through memory (half of loading a
      // small tokenizer's weights went there).
      constexpr Index kTile = 32;
      for (Index i0 = 0; i0 < k; i0 += kTile)
        for (Index c0 = 0; c0 < cols; c0 += kTile) {
          const Index ib = std::min(kTile, k - i0), cb = std::min(kTile, cols - c0);
          out.block(c0, r + i0, cb, ib) = part.block(i0, c0, ib, cb).transpose();
        }
    }
    return out;
  }

  /// A 1-d tensor [n] as a vector.
  template <class T>
  Vector<T> vector(const std::string& name, std::int64_t n) const {
    const auto& v = checked_view(name, Shape{n});
    Vector<T> out(n);
    read_into(v, out.data(), static_cast<std::size_t>(out.size()));
    return out;
  }

  /// Adds (or replaces) a tensor held in memory.
  template <class T>
  void add(const std::string& name, const Shape& shape, const T* data) {
    const auto n = static_cast<std::uint64_t>(detail::checked_numel(shape, source_, name));
    detail::checked_nbytes(shape, sizeof(T), source_, name);
    Stored s;
    if (shapes_only_) {
      s.view = TensorView{name, dtype_of<T>(), shape, nullptr, static_cast<std::size_t>(n * sizeof(T)), source_};
      tensors_[name] = std::move(s);
      return;
    }
    s.bytes = std::make_shared<std::vector<unsigned char>>(n * sizeof(T));
    if (n && data) std::memcpy(s.bytes->data(), data, s.bytes->size());
    s.view = TensorView{name, dtype_of<T>(), shape, s.bytes->data(), s.bytes->size(), source_};
    tensors_[name] = std::move(s);
  }
  template <class T>
  void add(const std::string& name, const Matrix<T>& m) {
    add(name, Shape{m.rows(), m.cols()}, m.data());
  }
  /// Adds mᵀ, shape [m.cols(), m.rows()], written transposed straight into the store's copy (no temporary).
  template <class T>
  void add_transposed(const std::string& name, const Matrix<T>& m) {
    add<T>(name, Shape{m.cols(), m.rows()}, nullptr);
    if (shapes_only_ || m.size() == 0) return;
    Stored& s = tensors_[name];
    MatrixMap<T>(reinterpret_cast<T*>(s.bytes->data()), m.cols(), m.rows()) = m.transpose();
  }
  template <class T>
  void add(const std::string& name, const Vector<T>& v) {
    add(name, Shape{v.size()}, v.data());
  }

  /// Writes every tensor to a safetensors file.
  void save(const std::string& path) const {
    if (shapes_only_) throw ValueError(path, "", "the store records shapes only: it holds no data to save");
    SafetensorsWriter w;
    for (const auto& [name, s] : tensors_) w.add_raw(name, s.view.dtype, s.view.shape, s.view.data, s.view.nbytes);
    for (const auto& [key, value] : metadata_) w.set_metadata(key, value);
    w.save(path);
  }

 private:
  const TensorView& checked_view(const std::string& name, const Shape& expected) const {
    const auto& v = view(name);
    if (v.shape != expected)
      throw ShapeError(source_, name,
                       "shape is " + detail::shape_str(v.shape) + ", expected " + detail::shape_str(expected));
    return v;
  }

  static constexpr std::size_t kChunk = std::size_t{1} << 23;  ///< elements converted (and released) at a time

  /// Converts v's n elements into out, kChunk at a time, releasing each chunk's file pages once copied.
  template <class T>
  void read_into(const TensorView& v, T* out, std::size_t n) const {
    const std::size_t width = dtype_size(v.dtype);
    for (std::size_t i = 0; i < n; i += kChunk) {
      const std::size_t m = std::min(kChunk, n - i);
      detail::convert_elements(v.data + i * width, v.dtype, m, out + i, true, v.source, v.name, i);
      if (file_) file_->release(v.data + i * width, m * width);
    }
  }

  struct Stored {
    TensorView view;
    // Owned data for tensors added in memory; shared (immutable) so copies of the store stay valid.
    std::shared_ptr<std::vector<unsigned char>> bytes;
  };
  std::string source_ = "<memory>";
  std::shared_ptr<SafetensorsFile> file_;
  std::map<std::string, Stored> tensors_;
  std::map<std::string, std::string> metadata_;
  bool shapes_only_ = false;
};

}  // namespace hgtok
