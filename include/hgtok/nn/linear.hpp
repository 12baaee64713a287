// Linear layer, y = x·Wᵀ + b, as torch.nn.Linear (weight stored [out, in]).
// Loads from a WeightStore by the state_dict() prefix ("<prefix>.weight", "<prefix>.bias").
#pragma once

#include <memory>
#include <string>
#include <type_traits>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/gemm.hpp"

namespace hgtok::nn {

template <class T>
class Linear {
 public:
  Linear() = default;
  /// A layer with zero weights of the given shape.
  Linear(Index in, Index out, bool bias = true)
      : weight_t_(Matrix<T>::Zero(in, out)), bias_(bias ? Vector<T>::Zero(out) : Vector<T>()), has_bias_(bias) {}

  /// Loads "<prefix>.weight" [out, in] and (when bias) "<prefix>.bias" [out].
  static Linear load(const WeightStore& w, const std::string& prefix, Index in, Index out, bool bias = true) {
    Linear l;
    l.weight_t_ = w.matrix_transposed<T>(prefix + ".weight", out, in);
    l.has_bias_ = bias;
    if (bias) l.bias_ = w.vector<T>(prefix + ".bias", out);
    return l;
  }
  /// Builds from a PyTorch-layout weight [out, in] and bias [out] (empty for none).
  static Linear from_torch(const Matrix<T>& weight, const Vector<T>& bias) {
    Linear l;
    l.weight_t_ = weight.transpose();
    l.has_bias_ = bias.size() > 0;
    l.bias_ = bias;
    return l;
  }
  /// Writes the parameters back in state_dict() layout.
  void save(WeightStore& w, const std::string& prefix) const {
    w.add_transposed<T>(prefix + ".weight", weight_t_);
    if (has_bias_) w.add<T>(prefix + ".bias", bias_);
  }

  Index in_features() const { return weight_t_.rows(); }
  Index out_features() const { return weight_t_.cols(); }
  bool has_bias() const { return has_bias_; }
  /// Wᵀ, shape [in, out] (so y = x·Wᵀ is a plain row-major GEMM).
  const Matrix<T>& weight_t() const { return weight_t_; }
  /// Mutable Wᵀ; drops the packed copy (see pack()), which would no longer match.
  Matrix<T>& weight_t() {
    packed_.reset();
    return weight_t_;
  }
  /// Keeps a copy of Wᵀ in the GEMM kernel's panel layout (detail::PackedWeight), so products read it as it is
  /// instead of packing W on every call: for weights used many times against few rows, such as generated
  /// projectors in a cache. Results are the same bytes; the weight's memory doubles. Does nothing where the
  /// kernel does not run (T = double, CPUs without AVX2/FMA).
  void pack() {
    if constexpr (std::is_same_v<T, float>)
      if (detail::gemm_uses_kernel<T>()) packed_ = std::make_shared<const detail::PackedWeight>(weight_t_);
  }
  /// The packed copy made by pack(), or null.
  const detail::PackedWeight* packed() const { return packed_.get(); }
  const Vector<T>& bias() const { return bias_; }
  Vector<T>& bias() { return bias_; }

  /// y = x·Wᵀ + b for x of shape [n, in]; throws ShapeError on a width mismatch.
  template <class Derived>
  Matrix<T> forward(const Eigen::MatrixBase<Derived>& x) const {
    Matrix<T> y(x.rows(), out_features());
    forward_into(x, y);
    return y;
  }
  /// As forward, into a preallocated y [n, out].
  template <class Derived, class Out>
  void forward_into(const Eigen::MatrixBase<Derived>& x, Out&& y) const {
    if (x.cols() != in_features())
      throw ShapeError("Linear", "input", "width " + std::to_string(x.cols()) + ", expected " + std::to_string(in_features()));
    detail::gemm<T>(x, weight_t_, y, packed_.get());
    if (has_bias_) y.rowwise() += bias_.transpose();
  }

 private:
  Matrix<T> weight_t_;
  std::shared_ptr<const detail::PackedWeight> packed_;  // immutable, so copies of the layer may share it
  Vector<T> bias_;
  bool has_bias_ = true;
};

}  // namespace hgtok::nn
