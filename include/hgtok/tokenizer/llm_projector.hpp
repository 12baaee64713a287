// LLMProjector: graph width → LLM width, the last step before GraphTokens.
//
// Two kinds, each as its reference module:
//
//   Linear     (HiGPT HeteroLlama.graph_projector = nn.Linear(graph_hidden_size, hidden_size))
//              one token per node:     tokens[i] = h_i·Wᵀ + b                         [N, d_llm]
//              weights: "<prefix>.weight" [d_llm, F], "<prefix>.bias" [d_llm]
//
//   MlpPrefix  (PyG G-Retriever projector, torch_geometric.llm.models.GRetriever, mlp_out_tokens = k)
//              k prefix tokens per graph:  g = mean_i h_i   (over every node row given, all types together)
//                                          tokens = reshape(W₂·sigmoid(W₁·g + b₁) + b₂, [k, d_llm])
//              weights: "<prefix>.0.weight" [F, F], ".0.bias" [F], "<prefix>.2.weight" [k·d_llm, F], ".2.bias"
//              (the indices of torch.nn.Sequential(Linear, Sigmoid, Linear, Unflatten)).
//
// Shapes: input rows are node representations of width F (`in_channels`);
// output is [rows, d_llm] (Linear) or [k, d_llm] (MlpPrefix).
#pragma once

#include <string>
#include <utility>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/linear.hpp"

namespace hgtok {

template <class T = float>
class LLMProjector {
 public:
  enum class Kind { Linear, MlpPrefix };

  LLMProjector() = default;

  /// A Linear projector with zero weights, F → d_llm.
  static LLMProjector linear(Index in_channels, Index llm_dim) {
    LLMProjector p = shaped(Kind::Linear, in_channels, llm_dim, 0);
    p.lin_ = nn::Linear<T>(in_channels, llm_dim);
    return p;
  }
  /// A G-Retriever MLP with zero weights, F → k prefix tokens of width d_llm.
  static LLMProjector mlp_prefix(Index in_channels, Index llm_dim, Index num_tokens) {
    LLMProjector p = shaped(Kind::MlpPrefix, in_channels, llm_dim, num_tokens);
    p.lin_ = nn::Linear<T>(in_channels, in_channels);
    p.lin2_ = nn::Linear<T>(in_channels, llm_dim * num_tokens);
    return p;
  }

  /// A Linear projector F → d_llm with the weights of `w` under `prefix`, checked against these dimensions before
  /// anything is allocated (no zero weights first: a config's dimensions alone never size an allocation).
  static LLMProjector load_linear(const WeightStore& w, const std::string& prefix, Index in_channels, Index llm_dim) {
    LLMProjector p = shaped(Kind::Linear, in_channels, llm_dim, 0);
    p.load(w, prefix);
    return p;
  }
  /// A G-Retriever MLP F → k prefix tokens of width d_llm with the weights of `w` under `prefix`, as load_linear.
  static LLMProjector load_mlp_prefix(const WeightStore& w, const std::string& prefix, Index in_channels, Index llm_dim,
                                      Index num_tokens) {
    LLMProjector p = shaped(Kind::MlpPrefix, in_channels, llm_dim, num_tokens);
    p.load(w, prefix);
    return p;
  }

  /// Loads the weights named in the header comment; ShapeError / LookupError name the tensor on a mismatch. Float
  /// weights are also kept packed for the GEMM kernel (nn::Linear::pack), which doubles their memory.
  void load(const WeightStore& w, const std::string& prefix) {
    // Used on every call against a few rows: keep the weights in the GEMM kernel's layout (same results).
    if (kind_ == Kind::Linear) {
      lin_ = nn::Linear<T>::load(w, prefix, in_, llm_dim_);
      lin_.pack();
    } else {
      lin_ = nn::Linear<T>::load(w, prefix + ".0", in_, in_);
      lin2_ = nn::Linear<T>::load(w, prefix + ".2", in_, llm_dim_ * num_tokens_);
      lin_.pack();
      lin2_.pack();
    }
  }
  /// Writes the weights under the same names.
  void save(WeightStore& w, const std::string& prefix) const {
    if (kind_ == Kind::Linear) {
      lin_.save(w, prefix);
    } else {
      lin_.save(w, prefix + ".0");
      lin2_.save(w, prefix + ".2");
    }
  }

  Kind kind() const { return kind_; }
  Index in_channels() const { return in_; }
  Index llm_dim() const { return llm_dim_; }
  /// k for MlpPrefix, 0 for Linear (one token per node).
  Index num_tokens() const { return num_tokens_; }
  /// Rows of output for `rows` input rows.
  Index output_rows(Index rows) const { return kind_ == Kind::Linear ? rows : num_tokens_; }

  /// Linear only: y = x·Wᵀ + b into a preallocated [x.rows(), d_llm] block.
  template <class Derived, class Out>
  void forward_rows_into(const Eigen::MatrixBase<Derived>& x, Out&& y) const {
    if (kind_ != Kind::Linear) throw ValueError("LLMProjector", "kind", "forward_rows_into needs a linear projector");
    lin_.forward_into(x, std::forward<Out>(y));
  }

  /// MlpPrefix only: the k prefix tokens of the mean `pooled` [1, F] of a graph's node rows, into [k, d_llm].
  template <class Out>
  void forward_prefix_into(const RowVector<T>& pooled, Out&& y) const {
    if (kind_ != Kind::MlpPrefix) throw ValueError("LLMProjector", "kind", "forward_prefix_into needs an mlp_prefix projector");
    Matrix<T> h = lin_.forward(pooled);
    for (Index j = 0; j < h.cols(); ++j) h(0, j) = nn::sigmoid(h(0, j));
    const Matrix<T> flat = lin2_.forward(h);  // [1, k·d_llm]; row-major, so row r of the result is flat[r·d .. r·d+d)
    for (Index r = 0; r < num_tokens_; ++r) y.row(r) = flat.block(0, r * llm_dim_, 1, llm_dim_);
  }

  const nn::Linear<T>& first() const { return lin_; }
  const nn::Linear<T>& second() const { return lin2_; }

 private:
  static void check_positive(Index v, const char* field) {
    if (v <= 0) throw ValueError("LLMProjector", field, "must be positive, got " + std::to_string(v));
  }
  /// The dimensions, checked, and no weights yet.
  static LLMProjector shaped(Kind kind, Index in_channels, Index llm_dim, Index num_tokens) {
    check_positive(in_channels, "in_channels");
    check_positive(llm_dim, "llm_dim");
    if (kind == Kind::MlpPrefix) check_positive(num_tokens, "num_tokens");
    LLMProjector p;
    p.kind_ = kind;
    p.in_ = in_channels;
    p.llm_dim_ = llm_dim;
    p.num_tokens_ = kind == Kind::MlpPrefix ? num_tokens : 0;
    return p;
  }

  Kind kind_ = Kind::Linear;
  Index in_ = 0, llm_dim_ = 0, num_tokens_ = 0;
  nn::Linear<T> lin_;   ///< Linear: the graph_projector; MlpPrefix: Sequential[0]
  nn::Linear<T> lin2_;  ///< MlpPrefix: Sequential[2]
};

}  // namespace hgtok
