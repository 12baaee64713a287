// Elementwise activations, matching PyTorch's defaults.
//   gelu(x)       = x/2 · (1 + erf(x/√2))        (torch.nn.functional.gelu, approximate='none')
//   relu(x)       = max(x, 0)
//   leaky_relu(x) = x if x ≥ 0 else slope·x       (PyG's attention uses slope 0.2)
//   sigmoid(x)    = 1 / (1 + e^{-x})
#pragma once

#include <unsupported/Eigen/SpecialFunctions>

#include <cmath>
#include <type_traits>

#include "hgtok/core/tensor.hpp"

namespace hgtok::nn {

template <class T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
template <class T>
inline T leaky_relu(T x, T slope) {
  return x >= T(0) ? x : slope * x;
}

/// gelu in place over any Eigen matrix, array or block (temporaries such as middleRows too), with Eigen's
/// vectorised erf (|error| < 5e-7 for float; std::erf for double).
template <class Dense>
void gelu_inplace(Dense&& m) {
  using T = typename std::decay_t<Dense>::Scalar;
  m.array() = T(0.5) * m.array() * (T(1) + (m.array() * T(0.70710678118654752440)).erf());
}

/// In-place activations over any Eigen dense object.
template <class Derived>
void relu_inplace(Eigen::DenseBase<Derived>& m) {
  using T = typename Derived::Scalar;
  // unaryExpr (not cwiseMax, which only MatrixBase has) so arrays and vectors work too; NaN stays NaN as in torch.
  m = m.unaryExpr([](T v) { return v < T(0) ? T(0) : v; });
}
template <class Derived>
void sigmoid_inplace(Eigen::DenseBase<Derived>& m) {
  using T = typename Derived::Scalar;
  m = m.unaryExpr([](T v) { return sigmoid(v); });
}

}  // namespace hgtok::nn
