// WeightStore: named tensors (PyTorch state_dict() names) read from safetensors,
// with shape-checked typed access. Model loaders ask it for each parameter by
// name and shape; a missing tensor or a wrong shape names the tensor and both shapes.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/safetensors.hpp"

namespace hgtok {

class WeightStore {
 public:
  WeightStore() = default;

  /// Loads every tensor of a safetensors file (memory-mapped; kept alive by the store).
  static WeightStore load(const std::string& path) {
    WeightStore s;
    s.source_ = path;
    s.file_ = std::make_shared<SafetensorsFile>(SafetensorsFile::open(path));
    for (const auto& v : s.file_->tensors()) s.tensors_[v.name] = Stored{v, {}};
    return s;
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

  /// The stored tensor; throws LookupError naming it.
  const TensorView& view(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw LookupError(source_, name, "weight tensor is missing");
    return it->second.view;
  }
  Shape shape(const std::string& name) const { return view(name).shape; }

  /// The tensor as a vector<T>, checked against `expected` shape (converted from any float dtype).
  template <class T>
  std::vector<T> tensor(const std::string& name, const Shape& expected) const {
    const auto& v = view(name);
    if (v.shape != expected)
      throw ShapeError(source_, name,
                       "shape is " + detail::shape_str(v.shape) + ", expected " + detail::shape_str(expected));
    return v.template to_vector<T>(true);
  }

  /// A 2-d tensor [rows, cols] as a row-major matrix.
  template <class T>
  Matrix<T> matrix(const std::string& name, std::int64_t rows, std::int64_t cols) const {
    auto data = tensor<T>(name, Shape{rows, cols});
    return ConstMatrixMap<T>(data.data(), rows, cols);
  }

  /// A 1-d tensor [n] as a vector.
  template <class T>
  Vector<T> vector(const std::string& name, std::int64_t n) const {
    auto data = tensor<T>(name, Shape{n});
    return ConstVectorMap<T>(data.data(), n);
  }

  /// Adds (or replaces) a tensor held in memory.
  template <class T>
  void add(const std::string& name, const Shape& shape, const T* data) {
    std::uint64_t n = 1;
    for (auto d : shape) {
      if (d < 0) throw ShapeError(source_, name, "negative dimension in shape " + detail::shape_str(shape));
      n = detail::checked_mul(n, static_cast<std::uint64_t>(d), source_, name);
    }
    detail::checked_mul(n, sizeof(T), source_, name);
    Stored s;
    s.bytes = std::make_shared<std::vector<unsigned char>>(n * sizeof(T));
    if (n) std::memcpy(s.bytes->data(), data, s.bytes->size());
    s.view = TensorView{name, dtype_of<T>(), shape, s.bytes->data(), s.bytes->size(), source_};
    tensors_[name] = std::move(s);
  }
  template <class T>
  void add(const std::string& name, const Matrix<T>& m) {
    add(name, Shape{m.rows(), m.cols()}, m.data());
  }
  template <class T>
  void add(const std::string& name, const Vector<T>& v) {
    add(name, Shape{v.size()}, v.data());
  }

  /// Writes every tensor to a safetensors file.
  void save(const std::string& path) const {
    SafetensorsWriter w;
    for (const auto& [name, s] : tensors_) w.add_raw(name, s.view.dtype, s.view.shape, s.view.data, s.view.nbytes);
    w.save(path);
  }

 private:
  struct Stored {
    TensorView view;
    // Owned data for tensors added in memory; shared (immutable) so copies of the store stay valid.
    std::shared_ptr<std::vector<unsigned char>> bytes;
  };
  std::string source_ = "<memory>";
  std::shared_ptr<SafetensorsFile> file_;
  std::map<std::string, Stored> tensors_;
};

}  // namespace hgtok
