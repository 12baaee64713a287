// HANConv: the Heterogeneous Graph Attention Network layer (Wang et al.,
// "Heterogeneous Graph Attention Network", WWW 2019, arXiv 1903.07293), with
// exactly the semantics of torch_geometric.nn.HANConv (PyG 2.8), at inference
// (attention dropout off). Metapath relations come from add_metapaths
// (graph/metapath.hpp), as PyG's AddMetaPaths builds them. See docs/han.md.
//
// For F = out_channels, H heads, D = F / H:
//
//   P_t        = x_t·W_proj[t]ᵀ + b_proj[t]                   [N_t, F] per node type t, viewed as [N_t, H, D]
//   for each edge type e = (s, r, d) of the graph, in the graph's order:
//     a_src[j, h] = P_s[j, h] · lin_src[e][h]     a_dst[i, h] = P_d[i, h] · lin_dst[e][h]
//     α_{ij,h}    = softmax_j LeakyReLU_0.2(a_src[j, h] + a_dst[i, h])   over i's incoming edges of e only
//     z_e[i, h]   = ReLU( Σ_j α_{ij,h} · P_s[j, h] )           0 for a destination with no incoming edge of e
//   semantic attention, per destination node type d with incoming edge types e_1..e_R:
//     w_r   = q · mean_i tanh(z_{e_r}[i]·W_kᵀ + b_k)           (mean over d's N_d nodes)
//     β     = softmax_r w_r
//     out_d = Σ_r β_r · z_{e_r}                                 [N_d, F]
//
// Output: one [N_d, F] matrix per node type that is the destination of at
// least one of the graph's edge types (zero-edge relations count); other node
// types are absent (PyG returns None for them). A destination type with zero
// nodes gets a [0, F] matrix and no semantic attention (as PyG).
//
// Weights (PyG state_dict names, after an optional prefix such as "convs.0."):
//   proj.<t>.weight [F, in_t], proj.<t>.bias [F]       one per node type of the layer
//   lin_src.<src>__<rel>__<dst>, lin_dst.<...> [1, H, D]  one per edge type of the layer
//   k_lin.weight [F, F], k_lin.bias [F]                  q [1, F]
//
// MetaHANConv (below HANConv): the generated, in-context variant, as HiGPT
// does for HGT (conv/meta_hgt.hpp). The same computation, with the
// type-dependent parameters generated from type embeddings (TypeEmbeddings keys
// node/<type>, edge/<src>__<rel>__<dst>), so node and edge types never named at
// construction work zero-shot. With e_t a node type's embedding (width m) and
// e_r an edge type's, and one input width `in` for every node type:
//
//   P_t        = x_t·W_proj(e_t) + b_proj(e_t)       generator m → in×F, F (projector/parameter_generator.hpp)
//   lin_src[r] = lin_src_trans(e_r)                   Linear(m → F), viewed [H, D]
//   lin_dst[r] = lin_dst_trans(e_r)                   Linear(m → F)
//   node-level and semantic attention exactly as above (k_lin, q shared by all types)
//
// Weights (after an optional prefix):
//   proj.lin_gen.{weight,bias}_generator.{0,2,4}.{weight,bias}   (HiGPT ParameterGenerator names)
//   lin_src_trans.weight [F, m], .bias [F]   lin_dst_trans.weight [F, m], .bias [F]
//   k_lin.weight [F, F], k_lin.bias [F]      q [1, F]
// Generated projections are cached per (node type, embedding), as MetaHGTConv's.
//
// Threads: GEMMs over row blocks fixed by the row count, attention per
// destination node, the node mean as fixed-block partial sums added in block
// order: results are bitwise identical for any thread count. Nothing is
// allocated per edge.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/core/type_embeddings.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/linear.hpp"
#include "hgtok/nn/row_blocks.hpp"
#include "hgtok/nn/segment_softmax.hpp"
#include "hgtok/projector/generated_projectors.hpp"

namespace hgtok {

/// Semantic attention weights β per destination node type (one entry per incoming edge type, in the graph's
/// edge-type order).
template <class T>
using HanSemanticAttention = std::map<std::string, std::vector<T>>;

namespace detail {

/// Input features per node type id of g, taken from x (null where x has none).
template <class T>
std::vector<const Matrix<T>*> han_inputs(const HeteroGraph<T>& g, const TypeMatrices<T>& x) {
  std::vector<const Matrix<T>*> xs(static_cast<std::size_t>(g.num_node_types()), nullptr);
  for (Index t = 0; t < g.num_node_types(); ++t) {
    auto it = x.find(g.node_type_name(t));
    if (it != x.end()) xs[static_cast<std::size_t>(t)] = &it->second;
  }
  return xs;
}
/// The graph's own features per node type id.
template <class T>
std::vector<const Matrix<T>*> han_inputs(const HeteroGraph<T>& g) {
  std::vector<const Matrix<T>*> xs(static_cast<std::size_t>(g.num_node_types()), nullptr);
  for (Index t = 0; t < g.num_node_types(); ++t) xs[static_cast<std::size_t>(t)] = &g.x(t);
  return xs;
}

/// Per node type id: 1 when the type is the src or dst of one of g's edge types.
template <class T>
std::vector<char> han_used_node_types(const HeteroGraph<T>& g) {
  std::vector<char> used(static_cast<std::size_t>(g.num_node_types()), 0);
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    used[static_cast<std::size_t>(g.src_type_id(e))] = 1;
    used[static_cast<std::size_t>(g.dst_type_id(e))] = 1;
  }
  return used;
}

/// The features of node type t, checked against the layer's input width (errors name `layer` and x/<type>).
template <class T>
const Matrix<T>& han_checked_features(const char* layer, const HeteroGraph<T>& g, Index t, const Matrix<T>* x, Index in) {
  const std::string& name = g.node_type_name(t);
  if (x == nullptr) throw LookupError(layer, "x/" + name, "no input features for this node type");
  if (x->cols() != in)
    throw ShapeError(layer, "x/" + name,
                     "feature width " + std::to_string(x->cols()) + ", the layer expects " + std::to_string(in));
  if (x->rows() != g.num_nodes(t))
    throw ShapeError(layer, "x/" + name,
                     "feature matrix has " + std::to_string(x->rows()) + " rows, the graph has " +
                         std::to_string(g.num_nodes(t)) + " nodes");
  return *x;
}

/// a[j, h] = P[j, h·D .. h·D+D) · vec[h·D .. h·D+D), [N, H] row-major.
template <class T>
std::vector<T> han_node_scores(const Matrix<T>& p, const std::vector<T>& vec, Index heads) {
  const Index n = p.rows(), width = p.cols(), d = width / heads;
  std::vector<T> a(static_cast<std::size_t>(n * heads));
  for_row_blocks(n, 256, [&](Index r0, Index rows) {
    for (Index j = r0; j < r0 + rows; ++j) {
      const T* row = p.data() + j * width;
      for (Index h = 0; h < heads; ++h) {
        T s = T(0);
        for (Index c = 0; c < d; ++c) s += row[h * d + c] * vec[static_cast<std::size_t>(h * d + c)];
        a[static_cast<std::size_t>(j * heads + h)] = s;
      }
    }
  });
  return a;
}

/// q · mean_i tanh(z[i]·W_kᵀ + b_k): per fixed row block a column sum, the blocks added in order.
template <class T>
T han_semantic_score(const Matrix<T>& ze, const nn::Linear<T>& k_lin, const std::vector<T>& q) {
  const Index n = ze.rows(), width = ze.cols();
  constexpr Index kBlock = 256;
  const Index blocks = (n + kBlock - 1) / kBlock;
  Matrix<T> partial(blocks, width);
  parallel_for(blocks, [&](Index b) {
    const Index r0 = b * kBlock, rows = std::min(n, r0 + kBlock) - r0;
    Matrix<T> k(rows, width);
    detail::gemm<T>(ze.middleRows(r0, rows), k_lin.weight_t(), k);
    k.rowwise() += k_lin.bias().transpose();
    k = k.array().tanh().matrix();  // Eigen's vectorised tanh
    partial.row(b) = k.colwise().sum();
  });
  T s = T(0);
  for (Index c = 0; c < width; ++c) {
    T col = T(0);
    for (Index b = 0; b < blocks; ++b) col += partial(b, c);
    s += q[static_cast<std::size_t>(c)] * (col / static_cast<T>(n));
  }
  return s;
}

/// HAN after the projection: node-level attention per edge type of g, then semantic attention per destination
/// node type. p: projected features [N_t, F] per node type id (read for types an edge type touches);
/// lin_src / lin_dst: the attention vectors [F] per edge type id.
template <class T>
TypeMatrices<T> han_attention(const HeteroGraph<T>& g, const std::vector<Matrix<T>>& p,
                              const std::vector<const std::vector<T>*>& lin_src,
                              const std::vector<const std::vector<T>*>& lin_dst, const nn::Linear<T>& k_lin,
                              const std::vector<T>& q, Index heads, Index width, HanSemanticAttention<T>* attention) {
  // Node-level attention per edge type: z_e [N_dst, F].
  const Index d = width / heads;
  const T slope = T(0.2);
  std::vector<Matrix<T>> z(static_cast<std::size_t>(g.num_edge_types()));
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    const Matrix<T>& ps = p[static_cast<std::size_t>(g.src_type_id(e))];
    const Matrix<T>& pd = p[static_cast<std::size_t>(g.dst_type_id(e))];
    const std::vector<T> a_src = han_node_scores(ps, *lin_src[static_cast<std::size_t>(e)], heads);
    const std::vector<T> a_dst = han_node_scores(pd, *lin_dst[static_cast<std::size_t>(e)], heads);
    const Csr& csr = g.in_csr(e);
    Matrix<T>& ze = z[static_cast<std::size_t>(e)];
    ze.resize(pd.rows(), width);
    nn::segment_softmax_aggregate_all<T>(
        pd.rows(), heads, d,
        [&](Index i) { return csr.indptr[static_cast<std::size_t>(i) + 1] - csr.indptr[static_cast<std::size_t>(i)]; },
        [&](Index i, T* s) {
          const Index b = csr.indptr[static_cast<std::size_t>(i)], n = csr.indptr[static_cast<std::size_t>(i) + 1] - b;
          const T* ad = a_dst.data() + i * heads;
          for (Index k = 0; k < n; ++k) {
            const T* as = a_src.data() + csr.indices[static_cast<std::size_t>(b + k)] * heads;
            for (Index h = 0; h < heads; ++h) s[k * heads + h] = nn::leaky_relu(as[h] + ad[h], slope);
          }
        },
        [&](Index i, Index k) {
          return ps.data() + csr.indices[static_cast<std::size_t>(csr.indptr[static_cast<std::size_t>(i)] + k)] * width;
        },
        ze.data());
    for_row_blocks(ze.rows(), 256, [&](Index r0, Index rows) {
      auto block = ze.middleRows(r0, rows);
      block = block.cwiseMax(T(0));
    });
  }
  // Semantic attention per destination node type.
  TypeMatrices<T> out;
  if (attention) attention->clear();
  for (Index t = 0; t < g.num_node_types(); ++t) {
    std::vector<Index> rels;
    for (Index e = 0; e < g.num_edge_types(); ++e)
      if (g.dst_type_id(e) == t) rels.push_back(e);
    if (rels.empty()) continue;
    const std::string& name = g.node_type_name(t);
    const Index n = g.num_nodes(t);
    if (n == 0) {
      out[name] = Matrix<T>(0, width);
      continue;
    }
    const std::size_t r_count = rels.size();
    std::vector<T> score(r_count);
    for (std::size_t r = 0; r < r_count; ++r) score[r] = han_semantic_score(z[static_cast<std::size_t>(rels[r])], k_lin, q);
    T m = -std::numeric_limits<T>::infinity();
    for (T s : score) m = std::max(m, s);
    T sum = T(0);
    for (T& s : score) {
      s = std::exp(s - m);
      sum += s;
    }
    for (T& s : score) s /= sum;
    Matrix<T> o(n, width);
    for_row_blocks(n, 256, [&](Index r0, Index rows) {
      auto ob = o.middleRows(r0, rows);
      ob = score[0] * z[static_cast<std::size_t>(rels[0])].middleRows(r0, rows);
      for (std::size_t r = 1; r < r_count; ++r) ob += score[r] * z[static_cast<std::size_t>(rels[r])].middleRows(r0, rows);
    });
    out[name] = std::move(o);
    if (attention) (*attention)[name] = std::move(score);
  }
  return out;
}

}  // namespace detail

template <class T = float>
class HANConv {
 public:
  /// Semantic attention weights β per destination node type (one entry per incoming edge type, in the graph's
  /// edge-type order).
  using SemanticAttention = HanSemanticAttention<T>;

  HANConv() = default;
  /// A layer with zero weights (shapes as load() reads them): in_channels per node type of the layer,
  /// edge_types the layer's metadata[1].
  HANConv(std::map<std::string, Index> in_channels, Index out_channels, Index heads, std::vector<EdgeType> edge_types)
      : in_(std::move(in_channels)), out_(out_channels), heads_(heads), edge_types_(std::move(edge_types)) {
    validate();
    for (const auto& [t, in_t] : in_) proj_[t] = nn::Linear<T>(in_t, out_);
    for (const auto& e : edge_types_) {
      lin_src_[e.key()] = std::vector<T>(static_cast<std::size_t>(out_), T(0));
      lin_dst_[e.key()] = std::vector<T>(static_cast<std::size_t>(out_), T(0));
    }
    k_lin_ = nn::Linear<T>(out_, out_);
    q_ = std::vector<T>(static_cast<std::size_t>(out_), T(0));
  }

  /// Loads a PyG HANConv state_dict (names above, each prefixed by `prefix`). in_channels: input width of
  /// each node type of the layer (PyG's in_channels dict); edge_types: the layer's metadata[1]. Missing
  /// tensors throw LookupError and wrong shapes ShapeError, naming the tensor (and both shapes); out_channels
  /// or heads other than the file's metadata records (under the prefix) a ValueError naming the entry.
  static HANConv load(const WeightStore& w, const std::string& prefix, std::map<std::string, Index> in_channels,
                      Index out_channels, Index heads, std::vector<EdgeType> edge_types) {
    HANConv c;
    c.in_ = std::move(in_channels);
    c.out_ = out_channels;
    c.heads_ = heads;
    c.edge_types_ = std::move(edge_types);
    c.validate();
    w.check_metadata(prefix + "out_channels", c.out_);  // the file's own dimensions, where it records them
    w.check_metadata(prefix + "heads", c.heads_);
    for (const auto& [t, in_t] : c.in_) c.proj_[t] = nn::Linear<T>::load(w, prefix + "proj." + t, in_t, c.out_);
    const Index d = c.head_dim();
    for (const auto& e : c.edge_types_) {
      c.lin_src_[e.key()] = w.tensor<T>(prefix + "lin_src." + e.key(), Shape{1, c.heads_, d});
      c.lin_dst_[e.key()] = w.tensor<T>(prefix + "lin_dst." + e.key(), Shape{1, c.heads_, d});
    }
    c.k_lin_ = nn::Linear<T>::load(w, prefix + "k_lin", c.out_, c.out_);
    c.q_ = w.tensor<T>(prefix + "q", Shape{1, c.out_});
    return c;
  }

  /// Writes the parameters in PyG state_dict layout under `prefix` (the names load() reads).
  void save(WeightStore& w, const std::string& prefix = "") const {
    for (const auto& [t, lin] : proj_) lin.save(w, prefix + "proj." + t);
    for (const auto& e : edge_types_) {
      w.add<T>(prefix + "lin_src." + e.key(), Shape{1, heads_, head_dim()}, lin_src_.at(e.key()).data());
      w.add<T>(prefix + "lin_dst." + e.key(), Shape{1, heads_, head_dim()}, lin_dst_.at(e.key()).data());
    }
    k_lin_.save(w, prefix + "k_lin");
    w.add<T>(prefix + "q", Shape{1, out_}, q_.data());
  }

  Index out_channels() const { return out_; }
  Index heads() const { return heads_; }
  Index head_dim() const { return out_ / heads_; }
  const std::map<std::string, Index>& in_channels() const { return in_; }
  const std::vector<EdgeType>& edge_types() const { return edge_types_; }

  /// Runs the layer on g with features x (a [N_t, in_t] matrix for every node type that is the src or dst of
  /// one of g's edge types; others are ignored). Every edge type of g must be one of the layer's.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x) const {
    return run(g, detail::han_inputs(g, x), nullptr);
  }
  /// As forward(g, x); `attention` receives the semantic attention weights β (PyG's
  /// return_semantic_attention_weights).
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x, SemanticAttention& attention) const {
    return run(g, detail::han_inputs(g, x), &attention);
  }
  /// As forward(g, x) / forward(g, x, attention) with the graph's own node features.
  TypeMatrices<T> forward(const HeteroGraph<T>& g) const { return run(g, detail::han_inputs(g), nullptr); }
  TypeMatrices<T> forward(const HeteroGraph<T>& g, SemanticAttention& attention) const {
    return run(g, detail::han_inputs(g), &attention);
  }

 private:
  void validate() const {
    if (heads_ < 1 || out_ < 1 || out_ % heads_ != 0)
      throw ValueError("HANConv", "out_channels",
                       std::to_string(out_) + " must be positive and divisible by heads " + std::to_string(heads_));
    for (const auto& [t, in_t] : in_)
      if (in_t < 1) throw ValueError("HANConv", "in_channels", "node type '" + t + "' has width " + std::to_string(in_t));
    std::set<std::string> keys;
    for (const auto& e : edge_types_) {
      if (!in_.count(e.src) || !in_.count(e.dst))
        throw LookupError("HANConv", "edge_types", "edge type " + e.key() + " uses a node type not in in_channels");
      if (!keys.insert(e.key()).second) throw ValueError("HANConv", "edge_types", "duplicate edge type " + e.key());
    }
  }

  TypeMatrices<T> run(const HeteroGraph<T>& g, const std::vector<const Matrix<T>*>& xs, SemanticAttention* attention) const {
    std::set<std::string> layer_edges;
    for (const auto& e : edge_types_) layer_edges.insert(e.key());
    for (const auto& e : g.edge_types())
      if (!layer_edges.count(e.key()))
        throw LookupError("HANConv", "edge_type", e.key() + " is not one of the layer's edge types");
    // Node types the edge types touch: project them (one GEMM each).
    const std::vector<char> used = detail::han_used_node_types(g);
    std::vector<Matrix<T>> p(used.size());
    for (Index t = 0; t < g.num_node_types(); ++t) {
      if (!used[static_cast<std::size_t>(t)]) continue;
      const std::string& name = g.node_type_name(t);
      if (xs[static_cast<std::size_t>(t)] == nullptr)
        throw LookupError("HANConv", "x/" + name, "no input features for this node type");
      auto proj = proj_.find(name);
      if (proj == proj_.end()) throw LookupError("HANConv", "proj." + name, "no projection for node type '" + name + "'");
      const Matrix<T>& x =
          detail::han_checked_features("HANConv", g, t, xs[static_cast<std::size_t>(t)], proj->second.in_features());
      p[static_cast<std::size_t>(t)].resize(x.rows(), out_);
      detail::blocked_linear(proj->second, x, p[static_cast<std::size_t>(t)]);
    }
    std::vector<const std::vector<T>*> lin_src, lin_dst;
    for (const auto& e : g.edge_types()) {
      lin_src.push_back(&lin_src_.at(e.key()));
      lin_dst.push_back(&lin_dst_.at(e.key()));
    }
    return detail::han_attention(g, p, lin_src, lin_dst, k_lin_, q_, heads_, out_, attention);
  }

  std::map<std::string, Index> in_;
  Index out_ = 0, heads_ = 1;
  std::vector<EdgeType> edge_types_;
  std::map<std::string, nn::Linear<T>> proj_;
  std::map<std::string, std::vector<T>> lin_src_, lin_dst_;
  nn::Linear<T> k_lin_;
  std::vector<T> q_;
};

/// HANConv with generated type-dependent parameters (see the header comment): node and edge types are given by
/// their embeddings at run time, not at construction.
template <class T = float>
class MetaHANConv {
 public:
  using SemanticAttention = HanSemanticAttention<T>;

  MetaHANConv() = default;
  /// A layer with zero weights: input width (every node type), out_channels F, heads, type-embedding width m.
  MetaHANConv(Index in_channels, Index out_channels, Index heads, Index embedding_dim)
      : in_(in_channels), out_(out_channels), heads_(heads), m_(embedding_dim) {
    validate();
    proj_ = GeneratedProjectors<T>(ParameterGenerator<T>(m_, in_, out_), "proj");
    lin_src_trans_ = nn::Linear<T>(m_, out_);
    lin_dst_trans_ = nn::Linear<T>(m_, out_);
    k_lin_ = nn::Linear<T>(out_, out_);
    q_ = std::vector<T>(static_cast<std::size_t>(out_), T(0));
  }

  /// Loads the parameters (names in the header comment, each prefixed by `prefix`). Missing tensors throw
  /// LookupError and wrong shapes ShapeError, naming the tensor (and both shapes); dimensions other than the
  /// file's metadata records (under the prefix) a ValueError naming the entry.
  static MetaHANConv load(const WeightStore& w, const std::string& prefix, Index in_channels, Index out_channels,
                          Index heads, Index embedding_dim) {
    MetaHANConv c;
    c.in_ = in_channels;
    c.out_ = out_channels;
    c.heads_ = heads;
    c.m_ = embedding_dim;
    c.validate();
    for (const auto& [key, given] : {std::pair<const char*, Index>{"in_channels", c.in_}, {"out_channels", c.out_},
                                     {"heads", c.heads_}, {"embedding_dim", c.m_}})
      w.check_metadata(prefix + key, given);  // the file's own dimensions, where it records them
    c.proj_ = GeneratedProjectors<T>::load(w, prefix + "proj", c.m_, c.in_, c.out_);
    c.lin_src_trans_ = nn::Linear<T>::load(w, prefix + "lin_src_trans", c.m_, c.out_);
    c.lin_dst_trans_ = nn::Linear<T>::load(w, prefix + "lin_dst_trans", c.m_, c.out_);
    c.k_lin_ = nn::Linear<T>::load(w, prefix + "k_lin", c.out_, c.out_);
    c.q_ = w.tensor<T>(prefix + "q", Shape{1, c.out_});
    return c;
  }
  /// Writes the parameters under `prefix` (the names load() reads).
  void save(WeightStore& w, const std::string& prefix = "") const {
    proj_.save(w, prefix + "proj");
    lin_src_trans_.save(w, prefix + "lin_src_trans");
    lin_dst_trans_.save(w, prefix + "lin_dst_trans");
    k_lin_.save(w, prefix + "k_lin");
    w.add<T>(prefix + "q", Shape{1, out_}, q_.data());
  }

  Index in_channels() const { return in_; }
  Index out_channels() const { return out_; }
  Index heads() const { return heads_; }
  Index head_dim() const { return out_ / heads_; }
  Index embedding_dim() const { return m_; }
  /// The generated projection source (per node type). Changing its weights does not clear the cache: call
  /// clear_cache().
  const GeneratedProjectors<T>& proj() const { return proj_; }
  GeneratedProjectors<T>& proj() { return proj_; }

  /// Drops every cached generated projection; their number and the bytes they hold.
  void clear_cache() const { proj_.clear_cache(); }
  std::size_t cache_size() const { return proj_.cache_size(); }
  std::size_t cache_bytes() const { return proj_.cache_bytes(); }

  /// Runs the layer on g with features x (a [N_t, in_channels] matrix for every node type that is the src or
  /// dst of one of g's edge types), type embeddings from `table` (LookupError naming the missing key
  /// node/<type> or edge/<src>__<rel>__<dst>; ShapeError for a table of another width).
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x, const TypeEmbeddings<T>& table) const {
    return run(g, detail::han_inputs(g, x), table, nullptr);
  }
  /// As forward(g, x, table); `attention` receives the semantic attention weights β.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x, const TypeEmbeddings<T>& table,
                          SemanticAttention& attention) const {
    return run(g, detail::han_inputs(g, x), table, &attention);
  }
  /// As forward(g, x, table) / forward(g, x, table, attention) with the graph's own node features.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeEmbeddings<T>& table) const {
    return run(g, detail::han_inputs(g), table, nullptr);
  }
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeEmbeddings<T>& table, SemanticAttention& attention) const {
    return run(g, detail::han_inputs(g), table, &attention);
  }

 private:
  void validate() const {
    if (heads_ < 1 || out_ < 1 || out_ % heads_ != 0)
      throw ValueError("MetaHANConv", "out_channels",
                       std::to_string(out_) + " must be positive and divisible by heads " + std::to_string(heads_));
    if (in_ < 1) throw ValueError("MetaHANConv", "in_channels", std::to_string(in_) + " must be positive");
    if (m_ < 2) throw ValueError("MetaHANConv", "embedding_dim", std::to_string(m_) + " must be at least 2");
  }

  TypeMatrices<T> run(const HeteroGraph<T>& g, const std::vector<const Matrix<T>*>& xs, const TypeEmbeddings<T>& table,
                      SemanticAttention* attention) const {
    detail::check_embedding_width(table, m_, "layer");
    // Node types the edge types touch: project them with their generated (cached) projection, one GEMM each.
    const std::vector<char> used = detail::han_used_node_types(g);
    std::vector<Matrix<T>> p(used.size());
    for (Index t = 0; t < g.num_node_types(); ++t) {
      if (!used[static_cast<std::size_t>(t)]) continue;
      const Matrix<T>& x = detail::han_checked_features("MetaHANConv", g, t, xs[static_cast<std::size_t>(t)], in_);
      const std::string& name = g.node_type_name(t);
      const auto proj = proj_.get(name, &detail::type_embedding(table, name));
      p[static_cast<std::size_t>(t)].resize(x.rows(), out_);
      detail::blocked_linear(*proj, x, p[static_cast<std::size_t>(t)]);
    }
    // lin_src / lin_dst of each edge type: linear maps of its embedding.
    const std::size_t num_e = static_cast<std::size_t>(g.num_edge_types());
    std::vector<std::vector<T>> src(num_e), dst(num_e);
    std::vector<const std::vector<T>*> lin_src(num_e), lin_dst(num_e);
    for (std::size_t e = 0; e < num_e; ++e) {
      const Matrix<T> emb = detail::type_embedding(table, g.edge_type(static_cast<Index>(e))).transpose();
      const Matrix<T> a = lin_src_trans_.forward(emb), b = lin_dst_trans_.forward(emb);
      src[e].assign(a.data(), a.data() + out_);
      dst[e].assign(b.data(), b.data() + out_);
      lin_src[e] = &src[e];
      lin_dst[e] = &dst[e];
    }
    return detail::han_attention(g, p, lin_src, lin_dst, k_lin_, q_, heads_, out_, attention);
  }

  Index in_ = 0, out_ = 0, heads_ = 1, m_ = 0;
  GeneratedProjectors<T> proj_;
  nn::Linear<T> lin_src_trans_, lin_dst_trans_, k_lin_;
  std::vector<T> q_;
};

}  // namespace hgtok
