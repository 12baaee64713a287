// HetGNN: the Heterogeneous Graph Neural Network encoder (Zhang, Song, Huang,
// Swami, Chawla, "Heterogeneous Graph Neural Network", KDD 2019), as the
// authors' code (chuxuzhang/KDD2019_HetGNN, code/tools.py) computes it at
// inference, and MetaHetGNN, the same encoder with its type-dependent
// parameters generated from type embeddings (HiGPT's in-context idea, KDD
// 2024, applied to HetGNN).
//
// Neighbours come from RandomWalkWithRestart (graph/random_walk.hpp): for a
// node v, N_u(v) = the top-k most visited nodes of type u, most visited first.
// With d = out_channels (even), BiLSTM(in) = a one-layer bidirectional LSTM
// in → d/2 per direction (nn/lstm.hpp), node v of type t:
//
//   content:    the feature row x_v (width C·c_t) is a sequence of C content
//               vectors of width c_t (as the authors' code views its
//               concatenated features)
//               f1(v) = mean_s BiLSTM_content[t](x_v[s])                     [d]
//   neighbours: f2_u(v) = mean_s BiLSTM_neigh[u](f1(N_u(v)[s]))             [d], for each type u with N_u(v) ≠ ∅
//   attention:  candidates F = (f1(v), f2_u(v) for u in node-type order)
//               w_p = LeakyReLU(a_t · [f1(v) ; F_p]),  slope 0.01 (torch.nn.LeakyReLU's default, as the authors')
//               α = softmax_p w_p
//               out(v) = Σ_p α_p·F_p                                          [d]
//
// A neighbour type with no sampled neighbour for v is left out of v's
// candidates (the authors pad every list to a fixed size instead), so a node
// whose walks never leave it gets out(v) = f1(v).
//
// HetGNNOptions (HetGNN only) select OpenHGNN's variant (openhgnn.models.HetGNN; docs/hetgnn.md):
//   empty_neighbors = Zero: an empty type stays a candidate with f2_u(v) = 0 (DGL's zero for a node that
//                           receives no message), so F has 1 + (number of node types) rows for every v
//   attention_bias:         w_p = LeakyReLU(a_t · [f1(v) ; F_p] + b_t) (OpenHGNN's Linear(2d, 1) has a bias);
//                           b_t is loaded whenever neigh_att_bias.<t> is present, else 0
//   shared_content:         one content BiLSTM for every node type (all content widths equal)
//
// HetGNN weights (names of tests/reference/make_hetgnn_fixtures.py's reference module):
//   content_rnn.<t>.{weight_ih_l0 [2d, c_t], weight_hh_l0 [2d, d/2], bias_ih_l0, bias_hh_l0 [2d], *_reverse}
//     (shared_content: content_rnn.{weight_ih_l0, ...}, no type)
//   neigh_rnn.<u>.{... with input width d}        neigh_att.<t> [2d, 1]        neigh_att_bias.<t> [1] (optional)
//
// MetaHetGNN: one shared content BiLSTM (all types have content width c) and
// one shared neighbour BiLSTM; the type-specific parameters are generated:
//   content:    x_v[s] ↦ x_v[s]·W_c(e_t) + b_c(e_t) before the content BiLSTM     (ParameterGenerator c → c)
//   neighbours: f1(v') ↦ f1(v')·W_n(e_u) + b_n(e_u) before the neighbour BiLSTM   (ParameterGenerator d → d)
//   attention:  a_t = Linear(m → 2d)(e_t)
// with e_t the node type's embedding (TypeEmbeddings key node/<t>), so node types
// never seen at construction work zero-shot. Weights:
//   content_proj.lin_gen.*, neigh_proj.lin_gen.* (HiGPT ParameterGenerator names),
//   content_rnn.*, neigh_rnn.* (LSTM names), att_trans.weight [2d, m], att_trans.bias [2d]
//
// Threads: GEMMs over fixed row blocks, recurrences per node: results are
// bitwise identical for any thread count. Nothing is allocated per node or per
// neighbour inside the kernel (one workspace per row block).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/type_embeddings.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/random_walk.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/linear.hpp"
#include "hgtok/nn/lstm.hpp"
#include "hgtok/nn/row_blocks.hpp"
#include "hgtok/projector/generated_projectors.hpp"

namespace hgtok {

namespace detail {

/// f1 = mean BiLSTM over each row's content vectors: x [N, C·chunk] → [N, d],
/// each content vector first mapped by `proj` when given.
template <class T>
Matrix<T> hetgnn_content(const Matrix<T>& x, Index chunk, const nn::LSTM<T>& rnn, const nn::Linear<T>* proj) {
  const Index n = x.rows(), steps = x.cols() / chunk;
  Matrix<T> f1(n, rnn.output_size());
  for_row_blocks(n, 256, [&](Index r0, Index rows) {
    ConstMatrixMap<T> seq(x.data() + r0 * x.cols(), rows * steps, chunk);
    Matrix<T> gates;
    if (proj) {
      Matrix<T> p(rows * steps, proj->out_features());
      proj->forward_into(seq, p);
      gates = rnn.input_gates(p);
    } else {
      gates = rnn.input_gates(seq);
    }
    std::vector<T> work(static_cast<std::size_t>(rnn.workspace_size()));
    const Index gw = rnn.gate_size();
    for (Index i = 0; i < rows; ++i)
      rnn.mean_from_gates(steps, [&](Index t) { return gates.data() + (i * steps + t) * gw; }, f1.data() + (r0 + i) * f1.cols(),
                          work.data());
  });
  return f1;
}

/// The input gates of a neighbour BiLSTM for every node of one type: f1 [N, d] (mapped by proj when given).
template <class T>
Matrix<T> hetgnn_neighbor_gates(const Matrix<T>& f1, const nn::LSTM<T>& rnn, const nn::Linear<T>* proj) {
  Matrix<T> gates(f1.rows(), rnn.gate_size());
  for_row_blocks(f1.rows(), 256, [&](Index r0, Index rows) {
    if (proj) {
      Matrix<T> p(rows, proj->out_features());
      proj->forward_into(f1.middleRows(r0, rows), p);
      gates.middleRows(r0, rows) = rnn.input_gates(p);
    } else {
      gates.middleRows(r0, rows) = rnn.input_gates(f1.middleRows(r0, rows));
    }
  });
  return gates;
}

/// Checks that `nb` was sampled on a graph with g's node types and node counts.
template <class T>
void hetgnn_check_neighbors(const char* layer, const HeteroGraph<T>& g, const HetNeighbors& nb) {
  if (nb.node_types != g.node_types())
    throw ValueError(layer, "neighbors", "the neighbour lists were sampled on a graph with other node types");
  const Index n_types = g.num_node_types();
  if (static_cast<Index>(nb.lists.size()) != n_types)
    throw ShapeError(layer, "neighbors", std::to_string(nb.lists.size()) + " centre types, graph has " + std::to_string(n_types));
  for (Index c = 0; c < n_types; ++c) {
    if (static_cast<Index>(nb.lists[static_cast<std::size_t>(c)].size()) != n_types)
      throw ShapeError(layer, "neighbors/" + g.node_type_name(c),
                       std::to_string(nb.lists[static_cast<std::size_t>(c)].size()) + " neighbour types, graph has " +
                           std::to_string(n_types));
    for (Index u = 0; u < n_types; ++u) {
      const NeighborList& l = nb.of(c, u);
      const std::string field = "neighbors/" + g.node_type_name(c) + "/" + g.node_type_name(u);
      if (static_cast<Index>(l.indptr.size()) != g.num_nodes(c) + 1 || l.indptr.front() != 0 ||
          l.indptr.back() != static_cast<Index>(l.ids.size()))
        throw ShapeError(layer, field, "indptr does not describe " + std::to_string(g.num_nodes(c)) + " lists over " +
                                           std::to_string(l.ids.size()) + " ids");
      for (std::size_t i = 1; i < l.indptr.size(); ++i)
        if (l.indptr[i] < l.indptr[i - 1]) throw ValueError(layer, field, "indptr decreases at " + std::to_string(i));
      for (Index id : l.ids)
        if (id < 0 || id >= g.num_nodes(u))
          throw ValueError(layer, field, "neighbour id " + std::to_string(id) + " is out of range [0, " +
                                             std::to_string(g.num_nodes(u)) + ") of node type '" + g.node_type_name(u) + "'");
    }
  }
}

/// Neighbour aggregation and attention for every node of centre type c.
/// f1[u], gates[u], rnn[u] by node type id (gates empty for a type with no neighbour anywhere).
/// `bias`: the attention bias b_t, added when non-null; `zero_empty`: an empty neighbour type is a zero candidate.
template <class T>
Matrix<T> hetgnn_combine(const HeteroGraph<T>& g, Index c, const HetNeighbors& nb, const std::vector<Matrix<T>>& f1,
                         const std::vector<Matrix<T>>& gates, const std::vector<const nn::LSTM<T>*>& rnn,
                         const Vector<T>& att, T slope, const T* bias = nullptr, bool zero_empty = false) {
  const Index n = g.num_nodes(c), n_types = g.num_node_types(), d = att.size() / 2;
  Matrix<T> out(n, d);
  Index work_size = 0;
  for (const auto* r : rnn)
    if (r) work_size = std::max(work_size, r->workspace_size());
  for_row_blocks(n, 256, [&](Index r0, Index rows) {
    Matrix<T> cand(n_types + 1, d);
    std::vector<T> score(static_cast<std::size_t>(n_types + 1));
    std::vector<T> work(static_cast<std::size_t>(work_size));
    for (Index v = r0; v < r0 + rows; ++v) {
      const auto self = f1[static_cast<std::size_t>(c)].row(v);
      cand.row(0) = self;
      Index p = 1;
      for (Index u = 0; u < n_types; ++u) {
        const NeighborList& l = nb.of(c, u);
        const Index len = l.size(v);
        if (len == 0) {
          if (zero_empty) cand.row(p++).setZero();
          continue;
        }
        const Index* ids = l.begin(v);
        const Matrix<T>& gu = gates[static_cast<std::size_t>(u)];
        rnn[static_cast<std::size_t>(u)]->mean_from_gates(
            len, [&](Index t) { return gu.data() + ids[t] * gu.cols(); }, cand.data() + p * d, work.data());
        ++p;
      }
      const T self_part = self.dot(att.head(d).transpose());
      T mx = -std::numeric_limits<T>::infinity();
      for (Index k = 0; k < p; ++k) {
        T s = self_part + cand.row(k).dot(att.tail(d).transpose());
        if (bias) s += *bias;
        score[static_cast<std::size_t>(k)] = nn::leaky_relu(s, slope);
        mx = std::max(mx, score[static_cast<std::size_t>(k)]);
      }
      T sum = T(0);
      for (Index k = 0; k < p; ++k) sum += (score[static_cast<std::size_t>(k)] = std::exp(score[static_cast<std::size_t>(k)] - mx));
      auto o = out.row(v);
      o.setZero();
      for (Index k = 0; k < p; ++k) o += (score[static_cast<std::size_t>(k)] / sum) * cand.row(k);
    }
  });
  return out;
}

/// True when some node of any centre type has a neighbour of type u.
inline bool hetgnn_type_used(const HetNeighbors& nb, Index u) {
  for (const auto& per_centre : nb.lists)
    if (!per_centre[static_cast<std::size_t>(u)].ids.empty()) return true;
  return false;
}

template <class T>
const Matrix<T>& hetgnn_features(const char* layer, const HeteroGraph<T>& g, Index t, const TypeMatrices<T>* x,
                                 Index chunk) {
  const std::string& name = g.node_type_name(t);
  const Matrix<T>* m = &g.x(t);
  if (x) {
    auto it = x->find(name);
    if (it == x->end()) throw LookupError(layer, name, "no input features for node type '" + name + "'");
    m = &it->second;
  }
  if (m->cols() < chunk || m->cols() % chunk != 0)
    throw ShapeError(layer, name,
                     "node type '" + name + "' has feature width " + std::to_string(m->cols()) +
                         ", not a positive multiple of its content width " + std::to_string(chunk));
  if (m->rows() != g.num_nodes(t))
    throw ShapeError(layer, name,
                     "node type '" + name + "' has " + std::to_string(m->rows()) + " feature rows for " +
                         std::to_string(g.num_nodes(t)) + " nodes");
  return *m;
}

inline void hetgnn_check_dims(const char* layer, Index out) {
  if (out < 2 || out % 2 != 0)
    throw ValueError(layer, "out_channels", std::to_string(out) + " must be even and positive (two LSTM directions of out/2)");
}

}  // namespace detail

/// Where OpenHGNN's HetGNN differs from the default (header comment; docs/hetgnn.md).
struct HetGNNOptions {
  enum class EmptyNeighbors { Drop, Zero };
  EmptyNeighbors empty_neighbors = EmptyNeighbors::Drop;  ///< Drop: an empty type is no candidate; Zero: a zero one
  bool shared_content = false;  ///< one content BiLSTM for every node type (content_rnn.*, no type in the name)
  bool attention_bias = false;  ///< the model has neigh_att_bias.<t> (zero unless loaded; loaded whenever present)
  /// Everything OpenHGNN's model does (openhgnn.models.HetGNN, PyPI openhgnn 0.7.0).
  static HetGNNOptions openhgnn() { return {EmptyNeighbors::Zero, true, true}; }
  bool operator==(const HetGNNOptions& o) const {
    return empty_neighbors == o.empty_neighbors && shared_content == o.shared_content && attention_bias == o.attention_bias;
  }
};

/// HetGNN with one learned parameter set per node type (the paper's model).
template <class T = float>
class HetGNN {
 public:
  HetGNN() = default;
  /// A model with zero weights: content width c_t per node type, output width d.
  HetGNN(std::map<std::string, Index> content_dims, Index out_channels, double negative_slope = 0.01,
         HetGNNOptions options = {})
      : content_dims_(std::move(content_dims)), out_(out_channels), slope_(negative_slope), options_(options) {
    validate();
    if (options_.shared_content) content_rnn_[""] = nn::LSTM<T>(content_dims_.begin()->second, out_ / 2);
    for (const auto& [t, c] : content_dims_) {
      if (!options_.shared_content) content_rnn_[t] = nn::LSTM<T>(c, out_ / 2);
      neigh_rnn_[t] = nn::LSTM<T>(out_, out_ / 2);
      att_[t] = Vector<T>::Zero(2 * out_);
      if (options_.attention_bias) att_bias_[t] = T(0);
    }
  }

  /// Loads the weights named in the header comment, each after `prefix`.
  static HetGNN load(const WeightStore& w, const std::string& prefix, std::map<std::string, Index> content_dims,
                     Index out_channels, double negative_slope = 0.01, HetGNNOptions options = {}) {
    HetGNN h;
    h.content_dims_ = std::move(content_dims);
    h.out_ = out_channels;
    h.slope_ = negative_slope;
    h.options_ = options;
    h.validate();
    if (options.shared_content)
      h.content_rnn_[""] = nn::LSTM<T>::load(w, prefix + "content_rnn.", h.content_dims_.begin()->second, h.out_ / 2);
    for (const auto& [t, c] : h.content_dims_) {
      if (!options.shared_content) h.content_rnn_[t] = nn::LSTM<T>::load(w, prefix + "content_rnn." + t + ".", c, h.out_ / 2);
      h.neigh_rnn_[t] = nn::LSTM<T>::load(w, prefix + "neigh_rnn." + t + ".", h.out_, h.out_ / 2);
      const auto a = w.tensor<T>(prefix + "neigh_att." + t, Shape{2 * h.out_, 1});
      h.att_[t] = ConstVectorMap<T>(a.data(), 2 * h.out_);
      if (w.contains(prefix + "neigh_att_bias." + t))
        h.att_bias_[t] = w.tensor<T>(prefix + "neigh_att_bias." + t, Shape{1}).front();
      else if (options.attention_bias)
        h.att_bias_[t] = T(0);
    }
    return h;
  }
  void save(WeightStore& w, const std::string& prefix = "") const {
    if (options_.shared_content) content_rnn_.at("").save(w, prefix + "content_rnn.");
    for (const auto& [t, c] : content_dims_) {
      if (!options_.shared_content) content_rnn_.at(t).save(w, prefix + "content_rnn." + t + ".");
      neigh_rnn_.at(t).save(w, prefix + "neigh_rnn." + t + ".");
      w.add<T>(prefix + "neigh_att." + t, Shape{2 * out_, 1}, att_.at(t).data());
      if (att_bias_.count(t)) w.add<T>(prefix + "neigh_att_bias." + t, Shape{1}, &att_bias_.at(t));
    }
  }

  Index out_channels() const { return out_; }
  double negative_slope() const { return slope_; }
  const std::map<std::string, Index>& content_dims() const { return content_dims_; }
  const HetGNNOptions& options() const { return options_; }
  /// b_t of node type t (0 when the model has none).
  T attention_bias(const std::string& t) const {
    auto it = att_bias_.find(t);
    return it == att_bias_.end() ? T(0) : it->second;
  }

  /// Embeds every node of g: features x (one matrix per node type of g, width a
  /// multiple of the type's content width), neighbours sampled on g. Every node
  /// type of g must be one of the model's (LookupError naming it).
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x, const HetNeighbors& neighbors) const {
    return run(g, &x, neighbors);
  }
  /// As forward(g, x, neighbors) with the graph's own node features.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const HetNeighbors& neighbors) const { return run(g, nullptr, neighbors); }

 private:
  void validate() const {
    detail::hetgnn_check_dims("HetGNN", out_);
    for (const auto& [t, c] : content_dims_)
      if (c < 1) throw ValueError("HetGNN", "content_dims/" + t, "content width " + std::to_string(c) + " must be positive");
    if (options_.shared_content) {
      if (content_dims_.empty()) throw ValueError("HetGNN", "content_dims", "a shared content encoder needs at least one node type");
      for (const auto& [t, c] : content_dims_)
        if (c != content_dims_.begin()->second)
          throw ValueError("HetGNN", "content_dims/" + t,
                           "a shared content encoder needs one content width: '" + t + "' has " + std::to_string(c) + ", '" +
                               content_dims_.begin()->first + "' has " + std::to_string(content_dims_.begin()->second));
    }
  }

  TypeMatrices<T> run(const HeteroGraph<T>& g, const TypeMatrices<T>* x, const HetNeighbors& nb) const {
    detail::hetgnn_check_neighbors("HetGNN", g, nb);
    const Index n_types = g.num_node_types();
    for (Index t = 0; t < n_types; ++t)
      if (!content_dims_.count(g.node_type_name(t)))
        throw LookupError("HetGNN", "node_type", "node type '" + g.node_type_name(t) + "' is not one of the model's");
    std::vector<Matrix<T>> f1(static_cast<std::size_t>(n_types)), gates(f1.size());
    std::vector<const nn::LSTM<T>*> rnn(f1.size(), nullptr);
    for (Index t = 0; t < n_types; ++t) {
      const std::string& name = g.node_type_name(t);
      const Index chunk = content_dims_.at(name);
      f1[static_cast<std::size_t>(t)] =
          detail::hetgnn_content(detail::hetgnn_features("HetGNN", g, t, x, chunk), chunk,
                                  content_rnn_.at(options_.shared_content ? std::string() : name),
                                  static_cast<const nn::Linear<T>*>(nullptr));
    }
    for (Index u = 0; u < n_types; ++u) {
      if (!detail::hetgnn_type_used(nb, u)) continue;
      rnn[static_cast<std::size_t>(u)] = &neigh_rnn_.at(g.node_type_name(u));
      gates[static_cast<std::size_t>(u)] = detail::hetgnn_neighbor_gates(f1[static_cast<std::size_t>(u)], *rnn[static_cast<std::size_t>(u)],
                                                                      static_cast<const nn::Linear<T>*>(nullptr));
    }
    const bool zero_empty = options_.empty_neighbors == HetGNNOptions::EmptyNeighbors::Zero;
    TypeMatrices<T> out;
    for (Index c = 0; c < n_types; ++c) {
      const std::string& name = g.node_type_name(c);
      const auto bias = att_bias_.find(name);
      out[name] = detail::hetgnn_combine(g, c, nb, f1, gates, rnn, att_.at(name), static_cast<T>(slope_),
                                         bias == att_bias_.end() ? nullptr : &bias->second, zero_empty);
    }
    return out;
  }

  std::map<std::string, Index> content_dims_;
  Index out_ = 0;
  double slope_ = 0.01;
  HetGNNOptions options_;
  std::map<std::string, nn::LSTM<T>> content_rnn_, neigh_rnn_;  // content_rnn_[""]: the shared one
  std::map<std::string, Vector<T>> att_;
  std::map<std::string, T> att_bias_;  // only the types that have one
};

/// HetGNN whose type-dependent parameters are generated from type embeddings.
template <class T = float>
class MetaHetGNN {
 public:
  MetaHetGNN() = default;
  /// A model with zero weights: content width c (all types), output width d, type-embedding width m.
  MetaHetGNN(Index content_dim, Index out_channels, Index embedding_dim, double negative_slope = 0.01)
      : c_(content_dim), out_(out_channels), m_(embedding_dim), slope_(negative_slope) {
    validate();
    content_proj_ = GeneratedProjectors<T>(ParameterGenerator<T>(m_, c_, c_), "content_proj");
    neigh_proj_ = GeneratedProjectors<T>(ParameterGenerator<T>(m_, out_, out_), "neigh_proj");
    content_rnn_ = nn::LSTM<T>(c_, out_ / 2);
    neigh_rnn_ = nn::LSTM<T>(out_, out_ / 2);
    att_trans_ = nn::Linear<T>(m_, 2 * out_);
  }

  static MetaHetGNN load(const WeightStore& w, const std::string& prefix, Index content_dim, Index out_channels,
                         Index embedding_dim, double negative_slope = 0.01) {
    MetaHetGNN h;
    h.c_ = content_dim;
    h.out_ = out_channels;
    h.m_ = embedding_dim;
    h.slope_ = negative_slope;
    h.validate();
    h.content_proj_ = GeneratedProjectors<T>::load(w, prefix + "content_proj", h.m_, h.c_, h.c_);
    h.neigh_proj_ = GeneratedProjectors<T>::load(w, prefix + "neigh_proj", h.m_, h.out_, h.out_);
    h.content_rnn_ = nn::LSTM<T>::load(w, prefix + "content_rnn.", h.c_, h.out_ / 2);
    h.neigh_rnn_ = nn::LSTM<T>::load(w, prefix + "neigh_rnn.", h.out_, h.out_ / 2);
    h.att_trans_ = nn::Linear<T>::load(w, prefix + "att_trans", h.m_, 2 * h.out_);
    return h;
  }
  void save(WeightStore& w, const std::string& prefix = "") const {
    content_proj_.save(w, prefix + "content_proj");
    neigh_proj_.save(w, prefix + "neigh_proj");
    content_rnn_.save(w, prefix + "content_rnn.");
    neigh_rnn_.save(w, prefix + "neigh_rnn.");
    att_trans_.save(w, prefix + "att_trans");
  }

  Index content_dim() const { return c_; }
  Index out_channels() const { return out_; }
  Index embedding_dim() const { return m_; }
  void clear_cache() const {
    content_proj_.clear_cache();
    neigh_proj_.clear_cache();
  }
  std::size_t cache_size() const { return content_proj_.cache_size() + neigh_proj_.cache_size(); }

  /// Embeds every node of g (features x, neighbours sampled on g), type
  /// embeddings from `table` (LookupError naming a type without one).
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x, const HetNeighbors& neighbors,
                          const TypeEmbeddings<T>& table) const {
    return run(g, &x, neighbors, table);
  }
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const HetNeighbors& neighbors, const TypeEmbeddings<T>& table) const {
    return run(g, nullptr, neighbors, table);
  }

 private:
  void validate() const {
    detail::hetgnn_check_dims("MetaHetGNN", out_);
    if (c_ < 1) throw ValueError("MetaHetGNN", "content_dim", std::to_string(c_) + " must be positive");
    if (m_ < 2) throw ValueError("MetaHetGNN", "embedding_dim", std::to_string(m_) + " must be at least 2");
  }

  TypeMatrices<T> run(const HeteroGraph<T>& g, const TypeMatrices<T>* x, const HetNeighbors& nb,
                      const TypeEmbeddings<T>& table) const {
    detail::hetgnn_check_neighbors("MetaHetGNN", g, nb);
    detail::check_embedding_width(table, m_, "model");
    const Index n_types = g.num_node_types();
    std::vector<Matrix<T>> f1(static_cast<std::size_t>(n_types)), gates(f1.size());
    std::vector<const nn::LSTM<T>*> rnn(f1.size(), nullptr);
    for (Index t = 0; t < n_types; ++t) {
      const std::string& name = g.node_type_name(t);
      const Matrix<T>& xt = detail::hetgnn_features("MetaHetGNN", g, t, x, c_);
      const auto proj = content_proj_.get(name, &detail::type_embedding(table, name));
      f1[static_cast<std::size_t>(t)] = detail::hetgnn_content(xt, c_, content_rnn_, proj.get());
    }
    for (Index u = 0; u < n_types; ++u) {
      if (!detail::hetgnn_type_used(nb, u)) continue;
      const std::string& name = g.node_type_name(u);
      const auto proj = neigh_proj_.get(name, &detail::type_embedding(table, name));
      rnn[static_cast<std::size_t>(u)] = &neigh_rnn_;
      gates[static_cast<std::size_t>(u)] = detail::hetgnn_neighbor_gates(f1[static_cast<std::size_t>(u)], neigh_rnn_, proj.get());
    }
    TypeMatrices<T> out;
    for (Index c = 0; c < n_types; ++c) {
      const std::string& name = g.node_type_name(c);
      const Matrix<T> a = att_trans_.forward(Matrix<T>(detail::type_embedding(table, name).transpose()));
      out[name] = detail::hetgnn_combine(g, c, nb, f1, gates, rnn, Vector<T>(a.transpose()), static_cast<T>(slope_));
    }
    return out;
  }

  Index c_ = 0, out_ = 0, m_ = 0;
  double slope_ = 0.01;
  GeneratedProjectors<T> content_proj_, neigh_proj_;
  nn::LSTM<T> content_rnn_, neigh_rnn_;
  nn::Linear<T> att_trans_;
};

}  // namespace hgtok
