// LayerNorm over the last dimension, as torch.nn.LayerNorm:
//   y = (x - mean) / sqrt(var + eps) · γ + β,  var the biased variance of each row.
#pragma once

#include <cmath>
#include <string>

#include "hgtok/core/tensor.hpp"
#include "hgtok/io/weight_store.hpp"

namespace hgtok::nn {

template <class T>
class LayerNorm {
 public:
  LayerNorm() = default;
  explicit LayerNorm(Index dim, double eps = 1e-5)
      : weight_(Vector<T>::Ones(dim)), bias_(Vector<T>::Zero(dim)), eps_(eps) {}

  /// Loads "<prefix>.weight" and "<prefix>.bias", both [dim].
  static LayerNorm load(const WeightStore& w, const std::string& prefix, Index dim, double eps) {
    LayerNorm l(dim, eps);
    l.weight_ = w.vector<T>(prefix + ".weight", dim);
    l.bias_ = w.vector<T>(prefix + ".bias", dim);
    return l;
  }
  void save(WeightStore& w, const std::string& prefix) const {
    w.add<T>(prefix + ".weight", weight_);
    w.add<T>(prefix + ".bias", bias_);
  }

  Index dim() const { return weight_.size(); }
  double eps() const { return eps_; }
  Vector<T>& weight() { return weight_; }
  Vector<T>& bias() { return bias_; }

  /// Normalises each row of x [n, dim] in place.
  template <class Derived>
  void apply_inplace(Eigen::MatrixBase<Derived>& x) const {
    if (x.cols() != dim())
      throw ShapeError("LayerNorm", "input", "width " + std::to_string(x.cols()) + ", expected " + std::to_string(dim()));
    const T inv_n = T(1) / static_cast<T>(dim());
    for (Index r = 0; r < x.rows(); ++r) {
      auto row = x.row(r);
      const T mean = row.sum() * inv_n;
      row.array() -= mean;
      const T var = row.squaredNorm() * inv_n;
      const T inv_std = T(1) / std::sqrt(var + static_cast<T>(eps_));
      row = (row.array() * inv_std * weight_.transpose().array() + bias_.transpose().array()).matrix();
    }
  }

 private:
  Vector<T> weight_, bias_;
  double eps_ = 1e-5;
};

}  // namespace hgtok::nn
