// LSTM, one layer, optionally bidirectional, as torch.nn.LSTM(input_size,
// hidden_size, num_layers=1, bidirectional=...) at inference, with zero
// initial states. For each direction (forward over t = 0..L-1, reverse over
// t = L-1..0), with H = hidden_size and gates in PyTorch's order (i, f, g, o):
//
//   [i | f | g | o] = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh          W_ih [4H, in], W_hh [4H, H]
//   i, f, o = sigmoid(·)    g = tanh(·)
//   c_t = f ⊙ c_{t-1} + i ⊙ g        h_t = o ⊙ tanh(c_t)
//
// Output at step t: [h_t(forward) | h_t(reverse)] ([L, 2H]; [L, H] one-way).
// HetGNN (conv/hetgnn.hpp) uses the mean of the outputs over t.
//
// Weights (PyTorch state_dict names after a prefix such as "content_rnn.movie."):
//   weight_ih_l0 [4H, in], weight_hh_l0 [4H, H], bias_ih_l0 [4H], bias_hh_l0 [4H],
//   and the same with the suffix _reverse for the reverse direction.
//
// For speed the input part x_t·W_ihᵀ + b_ih + b_hh of every step can be
// computed for many rows in one GEMM (input_gates), then each sequence runs
// only its recurrence (mean_from_gates) over rows picked by the caller, with
// a caller-owned workspace: nothing is allocated per step or per sequence.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/nn/gemm.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"

namespace hgtok::nn {

template <class T>
class LSTM {
 public:
  LSTM() = default;
  /// A layer with zero weights.
  LSTM(Index input_size, Index hidden_size, bool bidirectional = true) {
    check_sizes(input_size, hidden_size);
    in_ = input_size;
    hidden_ = hidden_size;
    dirs_ = bidirectional ? 2 : 1;
    w_ih_t_ = Matrix<T>::Zero(in_, dirs_ * 4 * hidden_);
    bias_ = Vector<T>::Zero(dirs_ * 4 * hidden_);
    w_hh_.assign(static_cast<std::size_t>(dirs_), Matrix<T>::Zero(4 * hidden_, hidden_));
    b_ih_.assign(static_cast<std::size_t>(dirs_), Vector<T>::Zero(4 * hidden_));
    b_hh_ = b_ih_;
  }

  /// Loads "<prefix>weight_ih_l0", ... (and "_reverse" ones when bidirectional).
  /// A missing tensor throws LookupError, a wrong shape ShapeError, each naming the tensor (and both shapes).
  static LSTM load(const WeightStore& w, const std::string& prefix, Index input_size, Index hidden_size,
                   bool bidirectional = true) {
    LSTM l(input_size, hidden_size, bidirectional);
    for (Index d = 0; d < l.dirs_; ++d) {
      const std::string s = d == 0 ? "_l0" : "_l0_reverse";
      // Read in a fixed order, so the first bad tensor is the one reported.
      const Matrix<T> w_ih = w.matrix<T>(prefix + "weight_ih" + s, 4 * hidden_size, input_size);
      const Matrix<T> w_hh = w.matrix<T>(prefix + "weight_hh" + s, 4 * hidden_size, hidden_size);
      const Vector<T> b_ih = w.vector<T>(prefix + "bias_ih" + s, 4 * hidden_size);
      const Vector<T> b_hh = w.vector<T>(prefix + "bias_hh" + s, 4 * hidden_size);
      l.set_direction(d, w_ih, w_hh, b_ih, b_hh);
    }
    return l;
  }
  /// Writes the weights back under `prefix` in state_dict layout.
  void save(WeightStore& w, const std::string& prefix) const {
    for (Index d = 0; d < dirs_; ++d) {
      const std::string s = d == 0 ? "_l0" : "_l0_reverse";
      w.add<T>(prefix + "weight_ih" + s, Matrix<T>(w_ih_t_.middleCols(d * 4 * hidden_, 4 * hidden_).transpose()));
      w.add<T>(prefix + "weight_hh" + s, w_hh_[static_cast<std::size_t>(d)]);
      w.add<T>(prefix + "bias_ih" + s, b_ih_[static_cast<std::size_t>(d)]);
      w.add<T>(prefix + "bias_hh" + s, b_hh_[static_cast<std::size_t>(d)]);
    }
  }

  /// Sets one direction's weights (torch layout); direction 1 is the reverse one.
  /// Throws ShapeError naming the weight and both shapes when a shape is wrong.
  void set_direction(Index direction, const Matrix<T>& weight_ih, const Matrix<T>& weight_hh, const Vector<T>& bias_ih,
                     const Vector<T>& bias_hh) {
    if (direction < 0 || direction >= dirs_)
      throw ValueError("LSTM", "direction", std::to_string(direction) + " is not in [0, " + std::to_string(dirs_) + ")");
    const std::string s = direction == 0 ? "_l0" : "_l0_reverse";
    check_shape("weight_ih" + s, {weight_ih.rows(), weight_ih.cols()}, {4 * hidden_, in_});
    check_shape("weight_hh" + s, {weight_hh.rows(), weight_hh.cols()}, {4 * hidden_, hidden_});
    check_shape("bias_ih" + s, {bias_ih.size()}, {4 * hidden_});
    check_shape("bias_hh" + s, {bias_hh.size()}, {4 * hidden_});
    const auto d = static_cast<std::size_t>(direction);
    w_ih_t_.middleCols(direction * 4 * hidden_, 4 * hidden_) = weight_ih.transpose();
    w_hh_[d] = weight_hh;
    b_ih_[d] = bias_ih;
    b_hh_[d] = bias_hh;
    bias_.segment(direction * 4 * hidden_, 4 * hidden_) = bias_ih + bias_hh;
  }

  Index input_size() const { return in_; }
  Index hidden_size() const { return hidden_; }
  Index num_directions() const { return dirs_; }
  bool bidirectional() const { return dirs_ == 2; }
  /// Width of one output step: num_directions · hidden_size.
  Index output_size() const { return dirs_ * hidden_; }
  /// Width of one row of input_gates: num_directions · 4 · hidden_size.
  Index gate_size() const { return dirs_ * 4 * hidden_; }
  /// Scalars of workspace mean_from_gates needs.
  Index workspace_size() const { return 7 * hidden_; }

  /// The input part of every gate for each row of x [n, in]: x·W_ihᵀ + b_ih + b_hh, [n, gate_size()].
  template <class Derived>
  Matrix<T> input_gates(const Eigen::MatrixBase<Derived>& x) const {
    check_input(x.cols());
    Matrix<T> g(x.rows(), gate_size());
    detail::gemm<T>(x, w_ih_t_, g);
    g.rowwise() += bias_.transpose();
    return g;
  }

  /// Mean over t of the outputs of a sequence of `length` steps whose step t
  /// has input gates gate_row(t) (a row of input_gates). Writes output_size()
  /// values to out (zeros for length 0); `work` holds workspace_size() scalars.
  template <class GateRow>
  void mean_from_gates(Index length, GateRow&& gate_row, T* out, T* work) const {
    const Index H = hidden_;
    for (Index d = 0; d < dirs_; ++d) {
      VectorMap<T> h(work, H), c(work + H, H), gates(work + 2 * H, 4 * H), sum(work + 6 * H, H);
      h.setZero();
      c.setZero();
      sum.setZero();
      const Matrix<T>& w_hh = w_hh_[static_cast<std::size_t>(d)];
      for (Index s = 0; s < length; ++s) {
        const Index t = d == 0 ? s : length - 1 - s;
        gates = ConstVectorMap<T>(gate_row(t) + d * 4 * H, 4 * H);
        if (s > 0) gates.noalias() += w_hh * h;
        for (Index k = 0; k < H; ++k) {
          const T i = sigmoid(gates[k]), f = sigmoid(gates[H + k]), g = std::tanh(gates[2 * H + k]),
                  o = sigmoid(gates[3 * H + k]);
          c[k] = f * c[k] + i * g;
          h[k] = o * std::tanh(c[k]);
        }
        sum += h;
      }
      VectorMap<T> o(out + d * H, H);
      if (length > 0)
        o = sum / static_cast<T>(length);
      else
        o.setZero();
    }
  }

  /// Outputs [L, output_size()] of a sequence x [L, in].
  template <class Derived>
  Matrix<T> forward(const Eigen::MatrixBase<Derived>& x) const {
    const Matrix<T> g = input_gates(x);
    const Index L = x.rows(), H = hidden_;
    Matrix<T> out(L, output_size());
    Vector<T> h(H), c(H), gates(4 * H);
    for (Index d = 0; d < dirs_; ++d) {
      h.setZero();
      c.setZero();
      for (Index s = 0; s < L; ++s) {
        const Index t = d == 0 ? s : L - 1 - s;
        gates = g.row(t).segment(d * 4 * H, 4 * H).transpose();
        gates.noalias() += w_hh_[static_cast<std::size_t>(d)] * h;
        for (Index k = 0; k < H; ++k) {
          const T i = sigmoid(gates[k]), f = sigmoid(gates[H + k]), gg = std::tanh(gates[2 * H + k]),
                  o = sigmoid(gates[3 * H + k]);
          c[k] = f * c[k] + i * gg;
          h[k] = o * std::tanh(c[k]);
        }
        out.row(t).segment(d * H, H) = h.transpose();
      }
    }
    return out;
  }

  /// Mean over t of forward(x), [output_size()] (zeros for an empty sequence).
  template <class Derived>
  Vector<T> forward_mean(const Eigen::MatrixBase<Derived>& x) const {
    const Matrix<T> g = input_gates(x);
    Vector<T> out(output_size());
    std::vector<T> work(static_cast<std::size_t>(workspace_size()));
    mean_from_gates(x.rows(), [&](Index t) { return g.data() + t * gate_size(); }, out.data(), work.data());
    return out;
  }

 private:
  static void check_sizes(Index in, Index hidden) {
    if (in < 1 || hidden < 1)
      throw ValueError("LSTM", "sizes",
                       "input_size " + std::to_string(in) + " and hidden_size " + std::to_string(hidden) + " must be positive");
  }
  void check_input(Index cols) const {
    if (cols != in_)
      throw ShapeError("LSTM", "input", "width " + std::to_string(cols) + ", expected input_size " + std::to_string(in_));
  }
  static void check_shape(const std::string& name, const Shape& got, const Shape& expected) {
    if (got != expected)
      throw ShapeError("LSTM", name, "shape is " + detail::shape_str(got) + ", expected " + detail::shape_str(expected));
  }

  Index in_ = 0, hidden_ = 0, dirs_ = 2;
  Matrix<T> w_ih_t_;  ///< [in, dirs·4H], both directions side by side
  Vector<T> bias_;    ///< b_ih + b_hh, [dirs·4H]
  std::vector<Matrix<T>> w_hh_;
  std::vector<Vector<T>> b_ih_, b_hh_;
};

}  // namespace hgtok::nn
