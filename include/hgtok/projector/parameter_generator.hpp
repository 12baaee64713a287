// ParameterGenerator: the hypernetwork of HiGPT's meta_linear.py. From a type
// embedding e (width m) it generates the parameters of a linear projector
//
//   W = MLP_w(e).view(in, out)      MLP_w = Linear(m, m/2) → act → Linear(m/2, m/2) → act → Linear(m/2, in·out)
//   b = MLP_b(e)                    MLP_b = Linear(m, m/2) → act → Linear(m/2, m/2) → act → Linear(m/2, out)
//   y = x·W + b                     (W is in×out, not PyTorch's out×in)
//
// with hidden width m // 2 and act = ReLU in HiGPT. Weight names follow the
// PyTorch state_dict of HiGPT's ParameterGenerator under a prefix such as
// "kqv_lin.lin_gen": "<prefix>.weight_generator.{0,2,4}.{weight,bias}" and
// "<prefix>.bias_generator.{0,2,4}.{weight,bias}".
//
// A generated projector is returned as an nn::Linear whose weight_t() is W, so
// it applies as one GEMM over all nodes of a type.
//
// generate_many() generates several types in one pass: the embeddings are the
// rows of one input, so each layer is one GEMM with a row per type and the last
// layer's weight [m/2, in·out] (HiGPT's kqv_lin at 768: 384 × 1,769,472 floats,
// 2.7 GB) is streamed from memory once instead of once per type. Every type's
// projector is the same bytes as generate() gives it alone: on the GEMM kernel
// a row of a product does not depend on the other rows (nn/gemm.hpp); where
// Eigen's product runs instead (double, CPUs without AVX2), whose rounding
// depends on the row count, the rows go through one at a time.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/linear.hpp"

namespace hgtok {

/// The activation between generator layers (HiGPT: torch.nn.ReLU).
struct ReluActivation {
  template <class Derived>
  void operator()(Eigen::MatrixBase<Derived>& m) const {
    m = m.cwiseMax(typename Derived::Scalar(0));
  }
};

template <class T, class Activation = ReluActivation>
class ParameterGenerator {
 public:
  ParameterGenerator() = default;
  /// A generator with zero weights: embedding width m, projector in×out, hidden m/2.
  ParameterGenerator(Index m, Index in, Index out) : m_(m), in_(in), out_(out) {
    check_dims(m, in, out);
    const Index hid = m / 2;
    weight_mlp_ = {nn::Linear<T>(m, hid), nn::Linear<T>(hid, hid), nn::Linear<T>(hid, checked_size(in, out))};
    bias_mlp_ = {nn::Linear<T>(m, hid), nn::Linear<T>(hid, hid), nn::Linear<T>(hid, out)};
  }

  /// Loads "<prefix>.weight_generator.{0,2,4}" and "<prefix>.bias_generator.{0,2,4}"
  /// (torch layout). Missing tensors throw LookupError, wrong shapes ShapeError, both naming the tensor.
  static ParameterGenerator load(const WeightStore& w, const std::string& prefix, Index m, Index in, Index out) {
    check_dims(m, in, out);
    ParameterGenerator g;
    g.m_ = m;
    g.in_ = in;
    g.out_ = out;
    const Index hid = m / 2;
    const std::array<Index, 3> wout{hid, hid, checked_size(in, out)}, bout{hid, hid, out};
    const std::array<Index, 3> lin_in{m, hid, hid};
    for (int i = 0; i < 3; ++i) {
      g.weight_mlp_[i] = nn::Linear<T>::load(w, prefix + ".weight_generator." + std::to_string(2 * i), lin_in[i], wout[i]);
      g.bias_mlp_[i] = nn::Linear<T>::load(w, prefix + ".bias_generator." + std::to_string(2 * i), lin_in[i], bout[i]);
    }
    return g;
  }
  /// Writes the parameters back under `prefix` in state_dict layout.
  void save(WeightStore& w, const std::string& prefix) const {
    for (int i = 0; i < 3; ++i) {
      weight_mlp_[i].save(w, prefix + ".weight_generator." + std::to_string(2 * i));
      bias_mlp_[i].save(w, prefix + ".bias_generator." + std::to_string(2 * i));
    }
  }

  Index embedding_dim() const { return m_; }
  Index hidden_dim() const { return m_ / 2; }
  Index in_features() const { return in_; }
  Index out_features() const { return out_; }
  /// The three layers of MLP_w / MLP_b (mutable, e.g. to set weights in tests).
  std::array<nn::Linear<T>, 3>& weight_mlp() { return weight_mlp_; }
  std::array<nn::Linear<T>, 3>& bias_mlp() { return bias_mlp_; }

  /// Generates the projector y = x·W + b for type embedding e (width m).
  /// `type` names the type in the error raised for a wrong width.
  nn::Linear<T> generate(const Vector<T>& e, const std::string& type = "") const {
    return std::move(generate_many({&e}, {type}).front());
  }

  /// Generates the projectors of several types in one pass (see the header comment); `types` (same length, or
  /// empty) names them in errors. Each result equals generate(*embeddings[i]) bitwise.
  std::vector<nn::Linear<T>> generate_many(const std::vector<const Vector<T>*>& embeddings,
                                           const std::vector<std::string>& types = {}) const {
    const Index k = static_cast<Index>(embeddings.size());
    Matrix<T> rows(k, m_);
    for (Index i = 0; i < k; ++i) {
      const Vector<T>& e = *embeddings[static_cast<std::size_t>(i)];
      const std::string type = static_cast<Index>(types.size()) > i ? types[static_cast<std::size_t>(i)] : std::string();
      if (e.size() != m_)
        throw ShapeError("ParameterGenerator", type.empty() ? "embedding" : type,
                         "type embedding width " + std::to_string(e.size()) + ", generator expects " + std::to_string(m_));
      rows.row(i) = e.transpose();
    }
    const Matrix<T> w = run(weight_mlp_, rows);
    const Matrix<T> b = run(bias_mlp_, rows);
    std::vector<nn::Linear<T>> out;
    out.reserve(static_cast<std::size_t>(k));
    for (Index i = 0; i < k; ++i) {
      nn::Linear<T> lin(0, 0, true);
      lin.weight_t() = ConstMatrixMap<T>(w.row(i).data(), in_, out_);
      lin.bias() = b.row(i).transpose();
      out.push_back(std::move(lin));
    }
    return out;
  }

 private:
  /// The MLP on every row of `rows`, each row's result independent of the others (see the header comment).
  static Matrix<T> run(const std::array<nn::Linear<T>, 3>& mlp, const Matrix<T>& rows) {
    const auto one_pass = [&mlp](const auto& x) {
      Matrix<T> h = mlp[0].forward(x);
      Activation{}(h);
      Matrix<T> h2 = mlp[1].forward(h);
      Activation{}(h2);
      return mlp[2].forward(h2);
    };
    if (rows.rows() == 1 || detail::gemm_uses_kernel<T>()) return one_pass(rows);
    Matrix<T> out(rows.rows(), mlp[2].out_features());
    for (Index i = 0; i < rows.rows(); ++i) out.row(i) = one_pass(Matrix<T>(rows.row(i)));
    return out;
  }
  static void check_dims(Index m, Index in, Index out) {
    if (m < 2 || in < 1 || out < 1)
      throw ValueError("ParameterGenerator", "dims",
                       "embedding width " + std::to_string(m) + " (must be >= 2), in " + std::to_string(in) + ", out " +
                           std::to_string(out) + " (must be >= 1)");
  }
  static Index checked_size(Index in, Index out) {
    return static_cast<Index>(detail::checked_mul(static_cast<std::uint64_t>(in), static_cast<std::uint64_t>(out),
                                                  "ParameterGenerator", "in*out", std::uint64_t(1) << 40));
  }

  Index m_ = 0, in_ = 0, out_ = 0;
  std::array<nn::Linear<T>, 3> weight_mlp_, bias_mlp_;
};

}  // namespace hgtok
