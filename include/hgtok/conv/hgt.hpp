// HGTConv: the Heterogeneous Graph Transformer layer (Hu, Dong, Wang, Sun,
// "Heterogeneous Graph Transformer", WWW 2020, arXiv 2003.01332), with exactly
// the semantics of torch_geometric.nn.HGTConv (PyG 2.3+).
//
// For F = out_channels, H heads, D = F / H, node type τ(i), edge type e = (s, r, d):
//
//   [K_t | Q_t | V_t] = x_t·W_kqv[t] + b_kqv[t]                 [N_t, 3F], per node type t (x_t width may differ per type)
//   k_e[j, h] = K_s[j, h]·W_k[h, e]          v_e[j, h] = V_s[j, h]·W_v[h, e]     W_k, W_v D×D, no bias
//   s_{ij,h}  = (Q[i, h] · k_e[j, h]) · p_rel[e][h] / sqrt(D)
//   α_{ij,h}  = softmax_j s_{ij,h}            over all incoming edges of i, all relations together
//   agg[i]    = concat_h Σ_j α_{ij,h} · v_e[j, h]
//   o_i       = gelu(agg[i])·W_out[τ(i)] + b_out[τ(i)]          gelu in erf form
//   out_i     = β·o_i + (1-β)·x_i,  β = sigmoid(skip[τ(i)])     only when F equals τ(i)'s input width; else o_i
//
// Output: one [N_t, F] matrix per node type t that is the destination of one
// of the layer's edge types (whether or not the graph holds edges of it);
// other node types are absent. A destination with no incoming edge gets
// agg = 0. Edge types of the graph must be among the layer's.
//
// Weights (PyG state_dict names, after an optional prefix such as "convs.0."):
//   kqv_lin.lins.<t>.weight [3F, in_t], .bias [3F]     out_lin.lins.<t>.weight [F, F], .bias [F]
//   k_rel.weight, v_rel.weight [H·E, D, D]  (index h·E + e, e the edge type's position in the layer; x·W)
//   skip.<t> [1]                            p_rel.<src>__<rel>__<dst> [1, H]
//
// The position e of an edge type in k_rel / v_rel is the checkpoint's own order (PyG's metadata order), which
// the weights alone do not tell. tools/convert_checkpoint.py writes it to the file's __metadata__ under
// "<prefix>edge_types" (a JSON list of keys), with "<prefix>in_channels" (JSON object), "out_channels" and
// "heads". load() reads them when present: the edge types given are then mapped to their positions by name, in
// whatever order they are listed (a graph's own order is fine); one the checkpoint lacks is a LookupError naming
// it, and dimensions that differ from the metadata a ValueError naming the entry. Without that metadata the order
// given is taken as the checkpoint's.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hgtok/conv/hgt_kernel.hpp"
#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/linear.hpp"
#include "hgtok/projector/static_projectors.hpp"

namespace hgtok {

template <class T = float>
class HGTConv {
 public:
  using Projector = std::shared_ptr<const nn::Linear<T>>;

  HGTConv() = default;
  /// A layer with zero projectors, skip = 1 and p_rel = 1 (PyG's initial
  /// values for the last two). Every edge type's src and dst must be in node_types.
  HGTConv(std::map<std::string, Index> in_channels, Index out_channels, Index heads, std::vector<std::string> node_types,
          std::vector<EdgeType> edge_types)
      : in_(std::move(in_channels)), out_(out_channels), heads_(heads), node_types_(std::move(node_types)),
        edge_types_(std::move(edge_types)), kqv_("kqv_lin"), out_lin_("out_lin") {
    validate();
    const Index d = head_dim();
    for (const auto& t : node_types_) {
      kqv_.add(t, nn::Linear<T>(in_.at(t), 3 * out_));
      out_lin_.add(t, nn::Linear<T>(out_, out_));
      skip_[t] = T(1);
    }
    for (const auto& e : edge_types_) {
      p_rel_[e.key()] = std::vector<T>(static_cast<std::size_t>(heads_), T(1));
      for (Index h = 0; h < heads_; ++h) {
        k_rel_[e.key()].push_back(std::make_shared<const nn::Linear<T>>(d, d, false));
        v_rel_[e.key()].push_back(std::make_shared<const nn::Linear<T>>(d, d, false));
      }
    }
  }

  /// Loads a PyG HGTConv state_dict (names above, each prefixed by `prefix`).
  /// Missing tensors throw LookupError and wrong shapes ShapeError, naming the tensor (and both shapes).
  static HGTConv load(const WeightStore& w, const std::string& prefix, std::map<std::string, Index> in_channels,
                      Index out_channels, Index heads, std::vector<std::string> node_types,
                      std::vector<EdgeType> edge_types) {
    HGTConv c;
    c.in_ = std::move(in_channels);
    c.out_ = out_channels;
    c.heads_ = heads;
    c.node_types_ = std::move(node_types);
    c.edge_types_ = std::move(edge_types);
    c.validate();
    w.check_metadata(prefix + "out_channels", c.out_);
    w.check_metadata(prefix + "heads", c.heads_);
    if (const auto widths = metadata_in_channels(w, prefix))
      for (const auto& t : c.node_types_) {
        const auto it = widths->find(t);
        if (it == widths->end())
          throw LookupError(w.source(), "__metadata__." + prefix + "in_channels", "node type '" + t + "' is not one of the checkpoint's");
        if (it->second != c.in_.at(t))
          throw ValueError(w.source(), "__metadata__." + prefix + "in_channels",
                           "node type '" + t + "' has width " + std::to_string(it->second) + " in the checkpoint, given " +
                               std::to_string(c.in_.at(t)));
      }
    // Position of each of the layer's edge types in the checkpoint's k_rel / v_rel (see the top of this file).
    std::vector<Index> position(c.edge_types_.size());
    for (std::size_t e = 0; e < position.size(); ++e) position[e] = static_cast<Index>(e);
    Index num_e = static_cast<Index>(c.edge_types_.size());
    if (const auto order = metadata_edge_types(w, prefix)) {
      num_e = static_cast<Index>(order->size());
      for (std::size_t e = 0; e < position.size(); ++e) {
        const auto it = std::find(order->begin(), order->end(), c.edge_types_[e].key());
        if (it == order->end())
          throw LookupError(w.source(), "__metadata__." + prefix + "edge_types",
                            "edge type '" + c.edge_types_[e].key() + "' is not one of the checkpoint's");
        position[e] = static_cast<Index>(it - order->begin());
      }
    }
    std::map<std::string, Index> in_used;
    for (const auto& t : c.node_types_) in_used[t] = c.in_.at(t);
    c.kqv_ = StaticProjectors<T>::load(w, prefix + "kqv_lin", in_used, 3 * c.out_);
    std::map<std::string, Index> out_in;
    for (const auto& t : c.node_types_) out_in[t] = c.out_;
    c.out_lin_ = StaticProjectors<T>::load(w, prefix + "out_lin", out_in, c.out_);
    const Index d = c.head_dim();
    const Shape rel_shape{c.heads_ * num_e, d, d};
    const auto k_rel = w.tensor<T>(prefix + "k_rel.weight", rel_shape);
    const auto v_rel = w.tensor<T>(prefix + "v_rel.weight", rel_shape);
    for (std::size_t e = 0; e < c.edge_types_.size(); ++e) {
      const std::string key = c.edge_types_[e].key();
      for (Index h = 0; h < c.heads_; ++h) {
        const auto offset = static_cast<std::size_t>((h * num_e + position[e]) * d * d);
        nn::Linear<T> k(d, d, false), v(d, d, false);
        k.weight_t() = ConstMatrixMap<T>(k_rel.data() + offset, d, d);
        v.weight_t() = ConstMatrixMap<T>(v_rel.data() + offset, d, d);
        c.k_rel_[key].push_back(std::make_shared<const nn::Linear<T>>(std::move(k)));
        c.v_rel_[key].push_back(std::make_shared<const nn::Linear<T>>(std::move(v)));
      }
      const auto p = w.tensor<T>(prefix + "p_rel." + key, Shape{1, c.heads_});
      c.p_rel_[key] = std::vector<T>(p.begin(), p.end());
    }
    for (const auto& t : c.node_types_) c.skip_[t] = w.tensor<T>(prefix + "skip." + t, Shape{1})[0];
    return c;
  }

  /// Loads a checkpoint converted by tools/convert_checkpoint.py, every setting from its metadata (in_channels,
  /// out_channels, heads, edge_types under `prefix`; node types: those of in_channels). LookupError naming a
  /// missing entry.
  static HGTConv load(const WeightStore& w, const std::string& prefix = "") {
    const auto in = metadata_in_channels(w, prefix);
    const auto order = metadata_edge_types(w, prefix);
    const auto out = w.metadata_index(prefix + "out_channels");
    const auto heads = w.metadata_index(prefix + "heads");
    const char* missing = !in ? "in_channels" : !order ? "edge_types" : !out ? "out_channels" : !heads ? "heads" : nullptr;
    if (missing)
      throw LookupError(w.source(), "__metadata__." + prefix + missing,
                        "missing: pass the settings to load(), or convert the checkpoint with tools/convert_checkpoint.py");
    std::vector<std::string> node_types;
    for (const auto& kv : *in) node_types.push_back(kv.first);
    std::vector<EdgeType> edge_types;
    for (const auto& key : *order) edge_types.push_back(EdgeType::parse(key, w.source()));
    return load(w, prefix, *in, *out, *heads, std::move(node_types), std::move(edge_types));
  }

  /// Writes the parameters in PyG state_dict layout under `prefix`.
  void save(WeightStore& w, const std::string& prefix = "") const {
    kqv_.save(w, prefix + "kqv_lin");
    out_lin_.save(w, prefix + "out_lin");
    const Index d = head_dim(), num_e = static_cast<Index>(edge_types_.size());
    std::vector<T> k(static_cast<std::size_t>(heads_ * num_e * d * d)), v(k.size());
    for (Index e = 0; e < num_e; ++e)
      for (Index h = 0; h < heads_; ++h) {
        const std::string key = edge_types_[static_cast<std::size_t>(e)].key();
        const auto offset = static_cast<std::ptrdiff_t>((h * num_e + e) * d * d);
        MatrixMap<T>(k.data() + offset, d, d) = k_rel_.at(key)[static_cast<std::size_t>(h)]->weight_t();
        MatrixMap<T>(v.data() + offset, d, d) = v_rel_.at(key)[static_cast<std::size_t>(h)]->weight_t();
      }
    w.add<T>(prefix + "k_rel.weight", Shape{heads_ * num_e, d, d}, k.data());
    w.add<T>(prefix + "v_rel.weight", Shape{heads_ * num_e, d, d}, v.data());
    for (const auto& e : edge_types_) w.add<T>(prefix + "p_rel." + e.key(), Shape{1, heads_}, p_rel_.at(e.key()).data());
    for (const auto& t : node_types_) w.add<T>(prefix + "skip." + t, Shape{1}, &skip_.at(t));
  }

  Index out_channels() const { return out_; }
  Index heads() const { return heads_; }
  Index head_dim() const { return out_ / heads_; }
  const std::map<std::string, Index>& in_channels() const { return in_; }
  const std::vector<std::string>& node_types() const { return node_types_; }
  const std::vector<EdgeType>& edge_types() const { return edge_types_; }
  /// Projector sources (one projector per node type).
  const StaticProjectors<T>& kqv_lin() const { return kqv_; }
  StaticProjectors<T>& kqv_lin() { return kqv_; }
  const StaticProjectors<T>& out_lin() const { return out_lin_; }
  StaticProjectors<T>& out_lin() { return out_lin_; }

  /// Runs the layer on g with features x (one matrix per node type of the
  /// layer present in g, width in_channels[type]). Returns one [N_t, F] matrix
  /// per destination node type.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x) const {
    std::vector<const Matrix<T>*> xs(static_cast<std::size_t>(g.num_node_types()), nullptr);
    for (const auto& t : node_types_) {
      if (!g.has_node_type(t)) continue;
      auto it = x.find(t);
      if (it == x.end()) throw LookupError("HGTConv", t, "no input features for this node type");
      xs[static_cast<std::size_t>(g.node_type_id(t))] = &it->second;
    }
    return run(g, xs);
  }
  /// As forward(g, x) with the graph's own node features.
  TypeMatrices<T> forward(const HeteroGraph<T>& g) const {
    std::vector<const Matrix<T>*> xs(static_cast<std::size_t>(g.num_node_types()), nullptr);
    for (const auto& t : node_types_)
      if (g.has_node_type(t)) xs[static_cast<std::size_t>(g.node_type_id(t))] = &g.x(t);
    return run(g, xs);
  }

 private:
  /// The checkpoint's edge-type order, "<prefix>edge_types" in the metadata; nullopt when absent.
  static std::optional<std::vector<std::string>> metadata_edge_types(const WeightStore& w, const std::string& prefix) {
    const auto it = w.metadata().find(prefix + "edge_types");
    if (it == w.metadata().end()) return std::nullopt;
    const std::string field = "__metadata__." + prefix + "edge_types";
    const auto j = detail::parse_json(it->second, w.source(), field);
    if (!j.is_array()) throw FormatError(w.source(), field, "must be a JSON list of edge type keys");
    std::vector<std::string> keys;
    for (const auto& k : j) {
      if (!k.is_string()) throw FormatError(w.source(), field, "entry " + detail::json_excerpt(k) + " is not a string");
      if (std::find(keys.begin(), keys.end(), k.get<std::string>()) != keys.end())
        throw FormatError(w.source(), field, "edge type '" + k.get<std::string>() + "' is listed twice");
      keys.push_back(k.get<std::string>());
    }
    return keys;
  }
  /// The checkpoint's input width per node type, "<prefix>in_channels" in the metadata; nullopt when absent.
  static std::optional<std::map<std::string, Index>> metadata_in_channels(const WeightStore& w, const std::string& prefix) {
    const auto it = w.metadata().find(prefix + "in_channels");
    if (it == w.metadata().end()) return std::nullopt;
    const std::string field = "__metadata__." + prefix + "in_channels";
    const auto j = detail::parse_json(it->second, w.source(), field);
    if (!j.is_object()) throw FormatError(w.source(), field, "must be a JSON object node type -> width");
    std::map<std::string, Index> widths;
    for (auto kv = j.begin(); kv != j.end(); ++kv) {
      if (!kv->is_number_integer()) throw FormatError(w.source(), field, "width " + detail::json_excerpt(*kv) + " is not an integer");
      widths[kv.key()] = kv->get<Index>();
    }
    return widths;
  }

  void validate() const {
    if (heads_ < 1 || out_ < 1 || out_ % heads_ != 0)
      throw ValueError("HGTConv", "out_channels",
                       std::to_string(out_) + " must be positive and divisible by heads " + std::to_string(heads_));
    std::set<std::string> types(node_types_.begin(), node_types_.end());
    for (const auto& t : node_types_) {
      auto it = in_.find(t);
      if (it == in_.end()) throw LookupError("HGTConv", "in_channels", "no input width for node type '" + t + "'");
      if (it->second < 1)
        throw ValueError("HGTConv", "in_channels", "node type '" + t + "' has width " + std::to_string(it->second));
    }
    std::set<std::string> keys;
    for (const auto& e : edge_types_) {
      if (!types.count(e.src) || !types.count(e.dst))
        throw LookupError("HGTConv", "edge_types", "edge type " + e.key() + " uses a node type not in node_types");
      if (!keys.insert(e.key()).second) throw ValueError("HGTConv", "edge_types", "duplicate edge type " + e.key());
    }
  }

  TypeMatrices<T> run(const HeteroGraph<T>& g, const std::vector<const Matrix<T>*>& xs) const {
    const std::set<std::string> layer_types(node_types_.begin(), node_types_.end());
    std::set<std::string> layer_edges;
    for (const auto& e : edge_types_) layer_edges.insert(e.key());
    for (const auto& e : g.edge_types())
      if (!layer_edges.count(e.key()))
        throw LookupError("HGTConv", "edge_type", e.key() + " is not one of the layer's edge types");
    // K, Q, V per node type: one GEMM each.
    std::vector<Matrix<T>> kqv(static_cast<std::size_t>(g.num_node_types()));
    for (Index t = 0; t < g.num_node_types(); ++t) {
      const Matrix<T>* x = xs[static_cast<std::size_t>(t)];
      if (x == nullptr) continue;
      const std::string& name = g.node_type_name(t);
      check_features(g, t, *x, in_.at(name));
      kqv[static_cast<std::size_t>(t)].resize(x->rows(), 3 * out_);
      detail::blocked_linear(*kqv_.get(name), *x, kqv[static_cast<std::size_t>(t)]);
    }
    std::vector<detail::HgtRelation<T>> rels;
    std::set<Index> dst;
    for (const auto& e : edge_types_) {
      if (!g.has_node_type(e.src) || !g.has_node_type(e.dst)) continue;
      dst.insert(g.node_type_id(e.dst));
      if (!g.has_edge_type(e)) continue;
      detail::HgtRelation<T> r;
      r.edge_type_id = g.edge_type_id(e);
      r.k_rel = k_rel_.at(e.key());
      r.v_rel = v_rel_.at(e.key());
      r.p_rel = p_rel_.at(e.key());
      rels.push_back(std::move(r));
    }
    const std::vector<Index> dst_types(dst.begin(), dst.end());
    auto agg = detail::hgt_attention(g, kqv, rels, dst_types, heads_, out_);
    TypeMatrices<T> result;
    for (Index d : dst_types) {
      const std::string& name = g.node_type_name(d);
      Matrix<T>& a = agg[static_cast<std::size_t>(d)];
      const Matrix<T>& x = *xs[static_cast<std::size_t>(d)];
      const auto& lin = *out_lin_.get(name);
      Matrix<T> o(a.rows(), out_);
      const bool skip = x.cols() == out_;
      const T beta = nn::sigmoid(skip_.at(name));
      detail::for_row_blocks(a.rows(), 256, [&](Index r0, Index rows) { nn::gelu_inplace(a.middleRows(r0, rows)); });
      detail::blocked_linear(lin, a, o);
      if (skip)
        detail::for_row_blocks(a.rows(), 256, [&](Index r0, Index rows) {
          auto ob = o.middleRows(r0, rows);
          ob = beta * ob + (T(1) - beta) * x.middleRows(r0, rows);
        });
      result[name] = std::move(o);
    }
    return result;
  }

  static void check_features(const HeteroGraph<T>& g, Index t, const Matrix<T>& x, Index in) {
    const std::string& name = g.node_type_name(t);
    if (x.cols() != in)
      throw ShapeError("HGTConv", name,
                       "node type '" + name + "' has feature width " + std::to_string(x.cols()) +
                           ", the layer's in_channels is " + std::to_string(in));
    if (x.rows() != g.num_nodes(t))
      throw ShapeError("HGTConv", name,
                       "node type '" + name + "' has " + std::to_string(x.rows()) + " feature rows for " +
                           std::to_string(g.num_nodes(t)) + " nodes");
  }

  std::map<std::string, Index> in_;
  Index out_ = 0, heads_ = 1;
  std::vector<std::string> node_types_;
  std::vector<EdgeType> edge_types_;
  StaticProjectors<T> kqv_, out_lin_;
  std::map<std::string, std::vector<Projector>> k_rel_, v_rel_;
  std::map<std::string, std::vector<T>> p_rel_;
  std::map<std::string, T> skip_;
};

}  // namespace hgtok
