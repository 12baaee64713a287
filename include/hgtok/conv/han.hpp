// HANConv: the Heterogeneous Graph Attention Network layer (Wang, Ji, Shi,
// Wang, Cui, Yu, Ye, "Heterogeneous Graph Attention Network", WWW 2019, arXiv
// 1903.07293), with exactly the semantics of torch_geometric.nn.HANConv, and
// MetaHANConv, the same layer with its type-dependent parameters generated
// from type embeddings (HiGPT's in-context idea, KDD 2024, applied to HAN).
//
// The graph's edge types are usually metapath edge types (graph/metapath.hpp,
// add_metapaths). For F = out_channels, H heads, D = F / H, node type τ:
//
//   h_τ          = x_τ·W_proj[τ] + b_proj[τ]                       [N_τ, F] viewed [N_τ, H, D]   (node-level projection)
//   for each edge type e = (s, r, d):
//     a_src[j,h] = Σ_c h_s[j,h,c]·att_src[e][h,c]      a_dst[i,h] = Σ_c h_d[i,h,c]·att_dst[e][h,c]
//     α_{ij,h}   = softmax_j LeakyReLU_{0.2}(a_src[j,h] + a_dst[i,h])  over the incoming e-edges of i
//     z_e[i]     = ReLU( concat_h Σ_j α_{ij,h}·h_s[j,h] )             [N_d, F]  (0 for i without e-edges)
//   for each node type d with incoming edge types e_1..e_P (the graph's order):
//     w_p        = q · mean_i tanh(z_{e_p}[i]·W_k + b_k)              (semantic attention)
//     β          = softmax_p w_p
//     out_d      = Σ_p β_p·z_{e_p}                                    [N_d, F]
//
// A node type that receives no edge type is absent from the output (PyG
// returns None); one with zero nodes gets a [0, F] matrix and no semantic
// weights. An edge type with zero edges contributes z_e = 0 to the semantic
// attention, as in PyG.
//
// HANConv weights (PyG state_dict names, after an optional prefix):
//   proj.<τ>.weight [F, in_τ], proj.<τ>.bias [F]      lin_src.<s>__<r>__<d>, lin_dst.<...> [1, H, D]
//   k_lin.weight [F, F], k_lin.bias [F]                q [1, F]
//
// MetaHANConv: h_τ = x_τ·W(e_τ) + b(e_τ) with a ParameterGenerator (HiGPT's
// meta_linear.py; in → F) fed the node type's embedding e_τ; att_src[e] =
// Linear(m → F)(e_e) and att_dst[e] likewise (viewed [H, D]) from the edge
// type's embedding e_e; q and k_lin are shared by all types, as in HANConv.
// Weights: proj.lin_gen.{weight,bias}_generator.{0,2,4}.{weight,bias},
// lin_src_trans.{weight [F, m], bias [F]}, lin_dst_trans.*, k_lin.*, q.
// Types never named at construction work zero-shot: only their embeddings
// (EmbeddingTable, node/<τ> and edge/<s>__<r>__<d>) are needed.
//
// Threads: projections run in row blocks, the node-level softmax per
// destination node, the semantic mean over fixed row blocks summed in order:
// results are bitwise identical for any thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hgtok/conv/hgt_kernel.hpp"
#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/threading.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/linear.hpp"
#include "hgtok/nn/segment_softmax.hpp"
#include "hgtok/projector/generated_projectors.hpp"
#include "hgtok/projector/static_projectors.hpp"
#include "hgtok/text/embedding_table.hpp"

namespace hgtok {

/// Semantic attention weights per destination node type: one weight per
/// incoming edge type, in the graph's edge-type order.
template <class T>
using SemanticAttention = std::map<std::string, Vector<T>>;

namespace detail {

/// One edge type as the HAN kernel sees it: its attention vectors, [H·D] each.
template <class T>
struct HanRelation {
  Index edge_type_id = 0;
  Vector<T> att_src, att_dst;
};

/// a[j, h] = Σ_c h[j, h·D + c]·att[h·D + c]  for h [N, H·D]; returns [N, H] row-major.
template <class T>
Matrix<T> han_attention_logits(const Matrix<T>& h, const Vector<T>& att, Index heads, Index head_dim) {
  Matrix<T> a(h.rows(), heads);
  for_row_blocks(h.rows(), 1024, [&](Index r0, Index rows) {
    for (Index j = r0; j < r0 + rows; ++j)
      for (Index k = 0; k < heads; ++k)
        a(j, k) = h.row(j).segment(k * head_dim, head_dim).dot(att.segment(k * head_dim, head_dim).transpose());
  });
  return a;
}

/// Node-level attention of one edge type: z [N_dst, F] = ReLU(Σ_j α_ij·h_src[j]).
template <class T>
Matrix<T> han_node_attention(const HeteroGraph<T>& g, const HanRelation<T>& rel, const Matrix<T>& h_src,
                             const Matrix<T>& h_dst, Index heads, Index head_dim, T slope) {
  const Index e = rel.edge_type_id, width = heads * head_dim;
  const Index n = g.num_nodes(g.dst_type_id(e));
  Matrix<T> z = Matrix<T>::Zero(n, width);
  if (g.num_edges(e) == 0 || n == 0) return z;
  const Matrix<T> a_src = han_attention_logits(h_src, rel.att_src, heads, head_dim);
  const Matrix<T> a_dst = han_attention_logits(h_dst, rel.att_dst, heads, head_dim);
  const Csr& csr = g.in_csr(e);
  nn::segment_softmax_aggregate_all<T>(
      n, heads, head_dim, [&](Index i) { return csr.indptr[i + 1] - csr.indptr[i]; },
      [&](Index i, T* scores) {
        const Index first = csr.indptr[i], deg = csr.indptr[i + 1] - first;
        for (Index k = 0; k < deg; ++k) {
          const Index j = csr.indices[static_cast<std::size_t>(first + k)];
          for (Index h = 0; h < heads; ++h) scores[k * heads + h] = nn::leaky_relu(a_src(j, h) + a_dst(i, h), slope);
        }
      },
      [&](Index i, Index k) { return h_src.data() + csr.indices[static_cast<std::size_t>(csr.indptr[i] + k)] * width; },
      z.data());
  for_row_blocks(n, 1024, [&](Index r0, Index rows) { z.middleRows(r0, rows) = z.middleRows(r0, rows).cwiseMax(T(0)); });
  return z;
}

/// Semantic attention over the z of one node type's incoming edge types:
/// returns Σ_p β_p·z_p and writes β into `beta`.
template <class T>
Matrix<T> han_semantic_attention(const std::vector<Matrix<T>>& z, const nn::Linear<T>& k_lin, const Vector<T>& q,
                                 Vector<T>& beta) {
  const Index n = z.front().rows(), width = z.front().cols();
  constexpr Index kBlock = 256;
  const Index blocks = (n + kBlock - 1) / kBlock;
  const auto P = static_cast<Index>(z.size());
  beta.resize(P);
  for (Index p = 0; p < P; ++p) {
    // mean over nodes of tanh(z·W_k + b_k), as fixed-block partial sums added in block order.
    Matrix<T> partial = Matrix<T>::Zero(blocks, width);
    detail::parallel_for(blocks, [&](Index b) {
      const Index r0 = b * kBlock, rows = std::min(n, r0 + kBlock) - r0;
      Matrix<T> t(rows, width);
      t.noalias() = z[static_cast<std::size_t>(p)].middleRows(r0, rows) * k_lin.weight_t();
      t.rowwise() += k_lin.bias().transpose();
      partial.row(b) = t.array().tanh().matrix().colwise().sum();
    });
    RowVector<T> mean = RowVector<T>::Zero(width);
    for (Index b = 0; b < blocks; ++b) mean += partial.row(b);
    mean /= static_cast<T>(n);
    beta[p] = mean.dot(q.transpose());
  }
  const T mx = beta.maxCoeff();
  beta = (beta.array() - mx).exp().matrix();
  beta /= beta.sum();
  Matrix<T> out(n, width);
  for_row_blocks(n, 1024, [&](Index r0, Index rows) {
    auto ob = out.middleRows(r0, rows);
    ob = beta[0] * z[0].middleRows(r0, rows);
    for (Index p = 1; p < P; ++p) ob += beta[p] * z[static_cast<std::size_t>(p)].middleRows(r0, rows);
  });
  return out;
}

/// The whole HAN layer once projections h[t] (by node type id; empty when
/// unused) and each graph edge type's attention vectors are resolved.
template <class T>
TypeMatrices<T> han_forward(const HeteroGraph<T>& g, const std::vector<Matrix<T>>& h,
                            const std::vector<HanRelation<T>>& rels, Index heads, Index width, T slope,
                            const nn::Linear<T>& k_lin, const Vector<T>& q, SemanticAttention<T>* semantic) {
  const Index head_dim = width / heads;
  std::map<Index, std::vector<Matrix<T>>> z_by_dst;  // ordered by node type id
  for (const auto& r : rels) {
    const Index s = g.src_type_id(r.edge_type_id), d = g.dst_type_id(r.edge_type_id);
    z_by_dst[d].push_back(han_node_attention(g, r, h[static_cast<std::size_t>(s)], h[static_cast<std::size_t>(d)],
                                             heads, head_dim, slope));
  }
  TypeMatrices<T> out;
  if (semantic) semantic->clear();
  for (auto& [d, z] : z_by_dst) {
    const std::string& name = g.node_type_name(d);
    if (g.num_nodes(d) == 0) {
      out[name] = Matrix<T>(0, width);
      continue;
    }
    Vector<T> beta;
    out[name] = han_semantic_attention(z, k_lin, q, beta);
    if (semantic) (*semantic)[name] = beta;
  }
  return out;
}

/// Node types that are the src or dst of one of g's edge types, by id.
template <class T>
std::vector<Index> han_used_node_types(const HeteroGraph<T>& g) {
  std::set<Index> used;
  for (Index e = 0; e < g.num_edge_types(); ++e) {
    used.insert(g.src_type_id(e));
    used.insert(g.dst_type_id(e));
  }
  return std::vector<Index>(used.begin(), used.end());
}

/// The features of node type t from x (or the graph's own when x is null), checked against width `in`.
template <class T>
const Matrix<T>& han_features(const char* layer, const HeteroGraph<T>& g, Index t, const TypeMatrices<T>* x, Index in) {
  const std::string& name = g.node_type_name(t);
  const Matrix<T>* m = &g.x(t);
  if (x) {
    auto it = x->find(name);
    if (it == x->end()) throw LookupError(layer, name, "no input features for node type '" + name + "'");
    m = &it->second;
  }
  if (m->cols() != in)
    throw ShapeError(layer, name,
                     "node type '" + name + "' has feature width " + std::to_string(m->cols()) +
                         ", the layer's in_channels is " + std::to_string(in));
  if (m->rows() != g.num_nodes(t))
    throw ShapeError(layer, name,
                     "node type '" + name + "' has " + std::to_string(m->rows()) + " feature rows for " +
                         std::to_string(g.num_nodes(t)) + " nodes");
  return *m;
}

inline void han_check_dims(const char* layer, Index out, Index heads) {
  if (heads < 1 || out < 1 || out % heads != 0)
    throw ValueError(layer, "out_channels",
                     std::to_string(out) + " must be positive and divisible by heads " + std::to_string(heads));
}

}  // namespace detail

/// HAN layer with one learned parameter set per type (PyG HANConv).
template <class T = float>
class HANConv {
 public:
  HANConv() = default;
  /// A layer with zero weights. Every edge type's src and dst must be in node_types.
  HANConv(std::map<std::string, Index> in_channels, Index out_channels, Index heads, std::vector<std::string> node_types,
          std::vector<EdgeType> edge_types, double negative_slope = 0.2)
      : in_(std::move(in_channels)), out_(out_channels), heads_(heads), slope_(negative_slope),
        node_types_(std::move(node_types)), edge_types_(std::move(edge_types)), proj_("proj") {
    validate();
    for (const auto& t : node_types_) proj_.add(t, nn::Linear<T>(in_.at(t), out_));
    for (const auto& e : edge_types_) {
      att_src_[e.key()] = Vector<T>::Zero(out_);
      att_dst_[e.key()] = Vector<T>::Zero(out_);
    }
    k_lin_ = nn::Linear<T>(out_, out_);
    q_ = Vector<T>::Zero(out_);
  }

  /// Loads a PyG HANConv state_dict (names in the header comment, each after `prefix`).
  /// Missing tensors throw LookupError, wrong shapes ShapeError, naming the tensor and both shapes.
  static HANConv load(const WeightStore& w, const std::string& prefix, std::map<std::string, Index> in_channels,
                      Index out_channels, Index heads, std::vector<std::string> node_types,
                      std::vector<EdgeType> edge_types, double negative_slope = 0.2) {
    HANConv c;
    c.in_ = std::move(in_channels);
    c.out_ = out_channels;
    c.heads_ = heads;
    c.slope_ = negative_slope;
    c.node_types_ = std::move(node_types);
    c.edge_types_ = std::move(edge_types);
    c.proj_ = StaticProjectors<T>("proj");
    c.validate();
    for (const auto& t : c.node_types_) c.proj_.add(t, nn::Linear<T>::load(w, prefix + "proj." + t, c.in_.at(t), c.out_));
    const Shape att{1, c.heads_, c.out_ / c.heads_};
    for (const auto& e : c.edge_types_) {
      const auto s = w.tensor<T>(prefix + "lin_src." + e.key(), att);
      const auto d = w.tensor<T>(prefix + "lin_dst." + e.key(), att);
      c.att_src_[e.key()] = ConstVectorMap<T>(s.data(), c.out_);
      c.att_dst_[e.key()] = ConstVectorMap<T>(d.data(), c.out_);
    }
    c.k_lin_ = nn::Linear<T>::load(w, prefix + "k_lin", c.out_, c.out_);
    const auto q = w.tensor<T>(prefix + "q", Shape{1, c.out_});
    c.q_ = ConstVectorMap<T>(q.data(), c.out_);
    return c;
  }

  /// Writes the parameters in PyG state_dict layout under `prefix`.
  void save(WeightStore& w, const std::string& prefix = "") const {
    for (const auto& t : node_types_) proj_.get(t)->save(w, prefix + "proj." + t);
    const Shape att{1, heads_, out_ / heads_};
    for (const auto& e : edge_types_) {
      w.add<T>(prefix + "lin_src." + e.key(), att, att_src_.at(e.key()).data());
      w.add<T>(prefix + "lin_dst." + e.key(), att, att_dst_.at(e.key()).data());
    }
    k_lin_.save(w, prefix + "k_lin");
    w.add<T>(prefix + "q", Shape{1, out_}, q_.data());
  }

  Index out_channels() const { return out_; }
  Index heads() const { return heads_; }
  double negative_slope() const { return slope_; }
  const std::map<std::string, Index>& in_channels() const { return in_; }
  const std::vector<std::string>& node_types() const { return node_types_; }
  const std::vector<EdgeType>& edge_types() const { return edge_types_; }
  /// Per-node-type projections (mutable, e.g. to set weights).
  StaticProjectors<T>& proj() { return proj_; }
  const StaticProjectors<T>& proj() const { return proj_; }
  /// Attention vectors [H·D] of an edge type (LookupError naming it when absent).
  Vector<T>& lin_src(const EdgeType& e) { return att(att_src_, e); }
  Vector<T>& lin_dst(const EdgeType& e) { return att(att_dst_, e); }
  nn::Linear<T>& k_lin() { return k_lin_; }
  Vector<T>& q() { return q_; }

  /// Runs the layer on g with features x (one matrix per node type touched by
  /// one of g's edge types). Returns one [N_t, F] matrix per node type that
  /// receives an edge type; semantic attention weights go to `semantic` when given.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x, SemanticAttention<T>* semantic = nullptr) const {
    return run(g, &x, semantic);
  }
  /// As forward(g, x) with the graph's own node features.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, SemanticAttention<T>* semantic = nullptr) const {
    return run(g, nullptr, semantic);
  }

 private:
  Vector<T>& att(std::map<std::string, Vector<T>>& m, const EdgeType& e) {
    auto it = m.find(e.key());
    if (it == m.end()) throw LookupError("HANConv", "edge_type", "unknown edge type '" + e.key() + "'");
    return it->second;
  }
  void validate() const {
    detail::han_check_dims("HANConv", out_, heads_);
    std::set<std::string> types(node_types_.begin(), node_types_.end());
    for (const auto& t : node_types_) {
      auto it = in_.find(t);
      if (it == in_.end()) throw LookupError("HANConv", "in_channels", "no input width for node type '" + t + "'");
      if (it->second < 1)
        throw ValueError("HANConv", "in_channels", "node type '" + t + "' has width " + std::to_string(it->second));
    }
    std::set<std::string> keys;
    for (const auto& e : edge_types_) {
      if (!types.count(e.src) || !types.count(e.dst))
        throw LookupError("HANConv", "edge_types", "edge type " + e.key() + " uses a node type not in node_types");
      if (!keys.insert(e.key()).second) throw ValueError("HANConv", "edge_types", "duplicate edge type " + e.key());
    }
  }

  TypeMatrices<T> run(const HeteroGraph<T>& g, const TypeMatrices<T>* x, SemanticAttention<T>* semantic) const {
    std::vector<detail::HanRelation<T>> rels;
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      const std::string key = g.edge_type(e).key();
      auto it = att_src_.find(key);
      if (it == att_src_.end())
        throw LookupError("HANConv", "edge_type", key + " is not one of the layer's edge types");
      rels.push_back({e, it->second, att_dst_.at(key)});
    }
    std::vector<Matrix<T>> h(static_cast<std::size_t>(g.num_node_types()));
    for (Index t : detail::han_used_node_types(g)) {
      const std::string& name = g.node_type_name(t);
      const auto proj = proj_.get(name);
      const Matrix<T>& xt = detail::han_features("HANConv", g, t, x, proj->in_features());
      h[static_cast<std::size_t>(t)].resize(xt.rows(), out_);
      detail::blocked_linear(*proj, xt, h[static_cast<std::size_t>(t)]);
    }
    return detail::han_forward(g, h, rels, heads_, out_, static_cast<T>(slope_), k_lin_, q_, semantic);
  }

  std::map<std::string, Index> in_;
  Index out_ = 0, heads_ = 1;
  double slope_ = 0.2;
  std::vector<std::string> node_types_;
  std::vector<EdgeType> edge_types_;
  StaticProjectors<T> proj_;
  std::map<std::string, Vector<T>> att_src_, att_dst_;
  nn::Linear<T> k_lin_;
  Vector<T> q_;
};

/// HAN layer whose type-dependent parameters are generated from type embeddings.
template <class T = float>
class MetaHANConv {
 public:
  MetaHANConv() = default;
  /// A layer with zero weights: input / output widths, heads, type-embedding width m.
  MetaHANConv(Index in_channels, Index out_channels, Index heads, Index embedding_dim, double negative_slope = 0.2)
      : in_(in_channels), out_(out_channels), heads_(heads), m_(embedding_dim), slope_(negative_slope) {
    validate();
    proj_ = GeneratedProjectors<T>(ParameterGenerator<T>(m_, in_, out_), "proj");
    lin_src_trans_ = nn::Linear<T>(m_, out_);
    lin_dst_trans_ = nn::Linear<T>(m_, out_);
    k_lin_ = nn::Linear<T>(out_, out_);
    q_ = Vector<T>::Zero(out_);
  }

  /// Loads the weights named in the header comment (each after `prefix`).
  static MetaHANConv load(const WeightStore& w, const std::string& prefix, Index in_channels, Index out_channels,
                          Index heads, Index embedding_dim, double negative_slope = 0.2) {
    MetaHANConv c;
    c.in_ = in_channels;
    c.out_ = out_channels;
    c.heads_ = heads;
    c.m_ = embedding_dim;
    c.slope_ = negative_slope;
    c.validate();
    c.proj_ = GeneratedProjectors<T>::load(w, prefix + "proj", c.m_, c.in_, c.out_);
    c.lin_src_trans_ = nn::Linear<T>::load(w, prefix + "lin_src_trans", c.m_, c.out_);
    c.lin_dst_trans_ = nn::Linear<T>::load(w, prefix + "lin_dst_trans", c.m_, c.out_);
    c.k_lin_ = nn::Linear<T>::load(w, prefix + "k_lin", c.out_, c.out_);
    const auto q = w.tensor<T>(prefix + "q", Shape{1, c.out_});
    c.q_ = ConstVectorMap<T>(q.data(), c.out_);
    return c;
  }
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
  Index embedding_dim() const { return m_; }
  /// Generated per-node-type projections (cached per type and embedding).
  const GeneratedProjectors<T>& proj() const { return proj_; }
  void clear_cache() const { proj_.clear_cache(); }
  std::size_t cache_size() const { return proj_.cache_size(); }

  /// Runs the layer on g with features x, type embeddings from `table`
  /// (LookupError naming a type without one).
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x, const EmbeddingTable<T>& table,
                          SemanticAttention<T>* semantic = nullptr) const {
    return run(g, &x, table, semantic);
  }
  /// As forward(g, x, table) with the graph's own node features.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const EmbeddingTable<T>& table,
                          SemanticAttention<T>* semantic = nullptr) const {
    return run(g, nullptr, table, semantic);
  }

 private:
  void validate() const {
    detail::han_check_dims("MetaHANConv", out_, heads_);
    if (in_ < 1) throw ValueError("MetaHANConv", "in_channels", std::to_string(in_) + " must be positive");
    if (m_ < 2) throw ValueError("MetaHANConv", "embedding_dim", std::to_string(m_) + " must be at least 2");
  }
  static const Vector<T>& embedding(const EmbeddingTable<T>& table, const std::string& key) {
    if (!table.contains(key))
      throw LookupError(table.source().empty() ? "EmbeddingTable" : table.source(), key,
                        "no type embedding for " + key.substr(0, 4) + " type '" + key.substr(5) + "'");
    return table.get(key);
  }

  TypeMatrices<T> run(const HeteroGraph<T>& g, const TypeMatrices<T>* x, const EmbeddingTable<T>& table,
                      SemanticAttention<T>* semantic) const {
    if (table.size() != 0 && table.dim() != m_)
      throw ShapeError(table.source().empty() ? "EmbeddingTable" : table.source(), "dim",
                       "type-embedding width " + std::to_string(table.dim()) + ", the layer expects " + std::to_string(m_));
    std::vector<detail::HanRelation<T>> rels;
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      const Vector<T>& emb = embedding(table, EmbeddingTable<T>::edge_key(g.edge_type(e)));
      const Matrix<T> row = emb.transpose();
      const Matrix<T> s = lin_src_trans_.forward(row), d = lin_dst_trans_.forward(row);
      rels.push_back({e, ConstVectorMap<T>(s.data(), out_), ConstVectorMap<T>(d.data(), out_)});
    }
    std::vector<Matrix<T>> h(static_cast<std::size_t>(g.num_node_types()));
    for (Index t : detail::han_used_node_types(g)) {
      const std::string& name = g.node_type_name(t);
      const Matrix<T>& xt = detail::han_features("MetaHANConv", g, t, x, in_);
      const auto proj = proj_.get(name, &embedding(table, EmbeddingTable<T>::node_key(name)));
      h[static_cast<std::size_t>(t)].resize(xt.rows(), out_);
      detail::blocked_linear(*proj, xt, h[static_cast<std::size_t>(t)]);
    }
    return detail::han_forward(g, h, rels, heads_, out_, static_cast<T>(slope_), k_lin_, q_, semantic);
  }

  Index in_ = 0, out_ = 0, heads_ = 1, m_ = 0;
  double slope_ = 0.2;
  GeneratedProjectors<T> proj_;
  nn::Linear<T> lin_src_trans_, lin_dst_trans_, k_lin_;
  Vector<T> q_;
};

}  // namespace hgtok
