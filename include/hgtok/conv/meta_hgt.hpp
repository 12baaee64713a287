// MetaHGTConv: HiGPT's in-context heterogeneous graph tokenizer layer (Tang et
// al., "HiGPT: Heterogeneous Graph Language Model", KDD 2024, arXiv
// 2402.16024), with exactly the semantics of HiGPT's MetaHGTConv
// (HG_grounding/models/meta_hgt/meta_hgtconv_bert_all.py + meta_linear.py).
//
// HGT (conv/hgt.hpp) whose type-dependent parameters are generated from type
// embeddings (node/<type>, edge/<src>__<rel>__<dst>, read through TypeEmbeddings) by
// ParameterGenerators (projector/parameter_generator.hpp), so node and edge
// types never seen in training work zero-shot. With e_t a node type's
// embedding and e_r an edge type's:
//
//   [K_t | Q_t | V_t] = x_t·W_kqv(e_t) + b_kqv(e_t)                  kqv_lin generator, in → 3F
//   k_r[j] = K_s[j, h]·W_k(e_r) + b_k(e_r)   for every head h         k_rel generator, D → D (with bias)
//   v_r[j] = V_s[j, h]·W_v(e_r) + b_v(e_r)   for every head h         v_rel generator
//   p_rel[r] = p_relTrans(e_r)               [H]                       Linear(m → H)
//   s, α, agg as in HGT (softmax over all incoming edges of a destination, all relations)
//   o_i   = gelu(agg[i])·W_out(e_t) + b_out(e_t)                      out_lin generator, F → F
//   o_i   = β·o_i + (1-β)·x_i,  β = sigmoid(skipTrans(e_t))           only when F equals the input width
//   out_i = LayerNorm(clamp(o_i, -100, 100)),  eps = 1e-6             one LayerNorm shared by all types
//
// Variant::HiGPTInference follows HiGPT's higpt/model/meta_hgt copy instead,
// which drops the gelu and the clamp (the LayerNorm stays).
//
// Difference from HiGPT for heads > 1: HiGPT's MetaHeteroLinear writes the
// generated relation transform only into head 0's rows (type ids h·E + e with
// h > 0 never match an embedding key, so those rows stay uninitialised memory
// from new_empty). hgtok applies the transform to every head; for heads = 1
// the two are identical.
//
// Types: the graph's edge types are the layer's relations (each needs an
// edge/<key> embedding); node types touched by an edge type need node/<type>
// embeddings and features of width in_channels. Output: one [N_t, F] matrix
// per node type that is the destination of one of the graph's edge types (even
// one with zero edges); other types are absent.
//
// Weights (HiGPT state_dict names, after an optional prefix):
//   {kqv_lin,out_lin,k_rel,v_rel}.lin_gen.{weight,bias}_generator.{0,2,4}.{weight,bias}
//   skipTrans.weight [1, m], .bias [1]    p_relTrans.weight [H, m], .bias [H]    norm.weight, norm.bias [F]
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hgtok/conv/hgt_kernel.hpp"
#include "hgtok/core/error.hpp"
#include "hgtok/core/tensor.hpp"
#include "hgtok/core/type_embeddings.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/nn/activations.hpp"
#include "hgtok/nn/layer_norm.hpp"
#include "hgtok/nn/linear.hpp"
#include "hgtok/projector/generated_projectors.hpp"

namespace hgtok {

template <class T = float>
class MetaHGTConv {
 public:
  /// Which copy of HiGPT's layer to follow (see the header comment).
  enum class Variant {
    Pretrain,        ///< HG_grounding (the code that trains the checkpoint): gelu, clamp ±100, LayerNorm
    HiGPTInference,  ///< higpt/model/meta_hgt: no gelu, no clamp, LayerNorm
  };

  MetaHGTConv() = default;
  /// A layer with zero weights (LayerNorm γ = 1, β = 0): in/out widths, heads,
  /// type-embedding width m.
  MetaHGTConv(Index in_channels, Index out_channels, Index heads, Index embedding_dim, Variant variant = Variant::Pretrain)
      : in_(in_channels), out_(out_channels), heads_(heads), m_(embedding_dim), variant_(variant) {
    validate();
    kqv_ = GeneratedProjectors<T>(ParameterGenerator<T>(m_, in_, 3 * out_), "kqv_lin");
    out_lin_ = GeneratedProjectors<T>(ParameterGenerator<T>(m_, out_, out_), "out_lin");
    k_rel_ = GeneratedProjectors<T>(ParameterGenerator<T>(m_, head_dim(), head_dim()), "k_rel");
    v_rel_ = GeneratedProjectors<T>(ParameterGenerator<T>(m_, head_dim(), head_dim()), "v_rel");
    skip_trans_ = nn::Linear<T>(m_, 1);
    p_rel_trans_ = nn::Linear<T>(m_, heads_);
    norm_ = nn::LayerNorm<T>(out_, 1e-6);
  }

  /// Loads a HiGPT MetaHGTConv state_dict (names above, each prefixed by
  /// `prefix`, e.g. "" or "graph_encoder."). Missing tensors throw LookupError,
  /// wrong shapes ShapeError, naming the tensor (and both shapes). Dimensions the
  /// file's metadata holds under the prefix (in_channels, out_channels, heads,
  /// embedding_dim; tools/convert_checkpoint.py writes them) must equal those given:
  /// a ValueError names the entry otherwise.
  static MetaHGTConv load(const WeightStore& w, const std::string& prefix, Index in_channels, Index out_channels,
                          Index heads, Index embedding_dim, Variant variant = Variant::Pretrain) {
    MetaHGTConv c;
    c.in_ = in_channels;
    c.out_ = out_channels;
    c.heads_ = heads;
    c.m_ = embedding_dim;
    c.variant_ = variant;
    c.validate();
    w.check_metadata(prefix + "in_channels", c.in_);
    w.check_metadata(prefix + "out_channels", c.out_);
    w.check_metadata(prefix + "heads", c.heads_);
    w.check_metadata(prefix + "embedding_dim", c.m_);
    const Index d = c.head_dim();
    c.kqv_ = GeneratedProjectors<T>::load(w, prefix + "kqv_lin", c.m_, c.in_, 3 * c.out_);
    c.out_lin_ = GeneratedProjectors<T>::load(w, prefix + "out_lin", c.m_, c.out_, c.out_);
    c.k_rel_ = GeneratedProjectors<T>::load(w, prefix + "k_rel", c.m_, d, d);
    c.v_rel_ = GeneratedProjectors<T>::load(w, prefix + "v_rel", c.m_, d, d);
    c.skip_trans_ = nn::Linear<T>::load(w, prefix + "skipTrans", c.m_, 1);
    c.p_rel_trans_ = nn::Linear<T>::load(w, prefix + "p_relTrans", c.m_, c.heads_);
    c.norm_ = nn::LayerNorm<T>::load(w, prefix + "norm", c.out_, 1e-6);
    return c;
  }
  /// Loads a checkpoint converted by tools/convert_checkpoint.py, its dimensions from the metadata under `prefix`
  /// (LookupError naming a missing entry).
  static MetaHGTConv load(const WeightStore& w, const std::string& prefix = "", Variant variant = Variant::Pretrain) {
    Index dims[4] = {};
    const char* keys[4] = {"in_channels", "out_channels", "heads", "embedding_dim"};
    for (int i = 0; i < 4; ++i) {
      const auto v = w.metadata_index(prefix + keys[i]);
      if (!v)
        throw LookupError(w.source(), "__metadata__." + prefix + keys[i],
                          "missing: pass the dimensions to load(), or convert the checkpoint with tools/convert_checkpoint.py");
      dims[i] = *v;
    }
    return load(w, prefix, dims[0], dims[1], dims[2], dims[3], variant);
  }

  /// Writes the parameters in HiGPT state_dict layout under `prefix`.
  void save(WeightStore& w, const std::string& prefix = "") const {
    kqv_.save(w, prefix + "kqv_lin");
    out_lin_.save(w, prefix + "out_lin");
    k_rel_.save(w, prefix + "k_rel");
    v_rel_.save(w, prefix + "v_rel");
    skip_trans_.save(w, prefix + "skipTrans");
    p_rel_trans_.save(w, prefix + "p_relTrans");
    norm_.save(w, prefix + "norm");
  }

  Index in_channels() const { return in_; }
  Index out_channels() const { return out_; }
  Index heads() const { return heads_; }
  Index head_dim() const { return out_ / heads_; }
  Index embedding_dim() const { return m_; }
  Variant variant() const { return variant_; }
  /// The generated projector sources (kqv_lin, out_lin: per node type; k_rel, v_rel: per edge type).
  const GeneratedProjectors<T>& kqv_lin() const { return kqv_; }
  const GeneratedProjectors<T>& out_lin() const { return out_lin_; }
  const GeneratedProjectors<T>& k_rel() const { return k_rel_; }
  const GeneratedProjectors<T>& v_rel() const { return v_rel_; }
  /// Mutable sources (to set generator weights); changing weights does not clear the cache: call clear_cache().
  GeneratedProjectors<T>& kqv_lin() { return kqv_; }
  GeneratedProjectors<T>& out_lin() { return out_lin_; }
  GeneratedProjectors<T>& k_rel() { return k_rel_; }
  GeneratedProjectors<T>& v_rel() { return v_rel_; }

  /// Drops every cached generated projector.
  void clear_cache() const {
    kqv_.clear_cache();
    out_lin_.clear_cache();
    k_rel_.clear_cache();
    v_rel_.clear_cache();
  }
  /// Number of cached generated projectors, and the bytes they hold.
  std::size_t cache_size() const {
    return kqv_.cache_size() + out_lin_.cache_size() + k_rel_.cache_size() + v_rel_.cache_size();
  }
  std::size_t cache_bytes() const {
    return kqv_.cache_bytes() + out_lin_.cache_bytes() + k_rel_.cache_bytes() + v_rel_.cache_bytes();
  }

  /// Runs the layer on g with features x, looking up type embeddings in table
  /// (LookupError naming the type when one is missing).
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeMatrices<T>& x, const TypeEmbeddings<T>& table) const {
    std::vector<const Matrix<T>*> xs(static_cast<std::size_t>(g.num_node_types()), nullptr);
    for (Index t : used_node_types(g)) {
      const std::string& name = g.node_type_name(t);
      auto it = x.find(name);
      if (it == x.end()) throw LookupError("MetaHGTConv", name, "no input features for this node type");
      xs[static_cast<std::size_t>(t)] = &it->second;
    }
    return run(g, xs, table);
  }
  /// As forward(g, x, table) with the graph's own node features.
  TypeMatrices<T> forward(const HeteroGraph<T>& g, const TypeEmbeddings<T>& table) const {
    std::vector<const Matrix<T>*> xs(static_cast<std::size_t>(g.num_node_types()), nullptr);
    for (Index t : used_node_types(g)) xs[static_cast<std::size_t>(t)] = &g.x(t);
    return run(g, xs, table);
  }

 private:
  void validate() const {
    if (heads_ < 1 || out_ < 1 || out_ % heads_ != 0)
      throw ValueError("MetaHGTConv", "out_channels",
                       std::to_string(out_) + " must be positive and divisible by heads " + std::to_string(heads_));
    if (in_ < 1) throw ValueError("MetaHGTConv", "in_channels", std::to_string(in_) + " must be positive");
    if (m_ < 2) throw ValueError("MetaHGTConv", "embedding_dim", std::to_string(m_) + " must be at least 2");
  }

  /// Node types that are the src or dst of one of g's edge types, by id.
  static std::vector<Index> used_node_types(const HeteroGraph<T>& g) {
    std::set<Index> used;
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      used.insert(g.src_type_id(e));
      used.insert(g.dst_type_id(e));
    }
    return std::vector<Index>(used.begin(), used.end());
  }

  TypeMatrices<T> run(const HeteroGraph<T>& g, const std::vector<const Matrix<T>*>& xs,
                      const TypeEmbeddings<T>& table) const {
    detail::check_embedding_width(table, m_, "layer");
    const std::vector<Index> used = used_node_types(g);
    std::vector<std::string> node_keys, edge_keys, dst_keys;
    std::vector<const Vector<T>*> node_embs, edge_embs, dst_embs;
    for (Index t : used) {
      const std::string& name = g.node_type_name(t);
      const Matrix<T>& x = *xs[static_cast<std::size_t>(t)];
      if (x.cols() != in_)
        throw ShapeError("MetaHGTConv", name,
                         "node type '" + name + "' has feature width " + std::to_string(x.cols()) +
                             ", the layer's in_channels is " + std::to_string(in_));
      if (x.rows() != g.num_nodes(t))
        throw ShapeError("MetaHGTConv", name,
                         "node type '" + name + "' has " + std::to_string(x.rows()) + " feature rows for " +
                             std::to_string(g.num_nodes(t)) + " nodes");
      node_keys.push_back(name);
      node_embs.push_back(&detail::type_embedding(table, name));
    }
    std::set<Index> dst;
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      edge_keys.push_back(g.edge_type(e).key());
      edge_embs.push_back(&detail::type_embedding(table, g.edge_type(e)));
      dst.insert(g.dst_type_id(e));
    }
    const std::vector<Index> dst_types(dst.begin(), dst.end());
    for (Index d : dst_types) {
      dst_keys.push_back(g.node_type_name(d));
      dst_embs.push_back(&detail::type_embedding(table, g.node_type_name(d)));
    }
    // Every generated projector of the call; the types not cached yet are generated together, one pass over each
    // generator's weights (a new graph's first call).
    const auto kqv_proj = kqv_.get_many(node_keys, node_embs);
    const auto k_proj = k_rel_.get_many(edge_keys, edge_embs);
    const auto v_proj = v_rel_.get_many(edge_keys, edge_embs);
    const auto out_proj = out_lin_.get_many(dst_keys, dst_embs);

    // K, Q, V per node type.
    std::vector<Matrix<T>> kqv(static_cast<std::size_t>(g.num_node_types()));
    for (std::size_t i = 0; i < used.size(); ++i) {
      const Matrix<T>& x = *xs[static_cast<std::size_t>(used[i])];
      Matrix<T>& out = kqv[static_cast<std::size_t>(used[i])];
      out.resize(x.rows(), 3 * out_);
      detail::blocked_linear(*kqv_proj[i], x, out);
    }
    std::vector<detail::HgtRelation<T>> rels;
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      const Vector<T>& emb = *edge_embs[static_cast<std::size_t>(e)];
      detail::HgtRelation<T> r;
      r.edge_type_id = e;
      r.k_rel = {k_proj[static_cast<std::size_t>(e)]};
      r.v_rel = {v_proj[static_cast<std::size_t>(e)]};
      const Matrix<T> p = p_rel_trans_.forward(Matrix<T>(emb.transpose()));
      r.p_rel.assign(p.data(), p.data() + heads_);
      rels.push_back(std::move(r));
    }
    auto agg = detail::hgt_attention(g, kqv, rels, dst_types, heads_, out_);
    TypeMatrices<T> result;
    const bool pretrain = variant_ == Variant::Pretrain;
    for (std::size_t i = 0; i < dst_types.size(); ++i) {
      const Index d = dst_types[i];
      const std::string& name = dst_keys[i];
      const Vector<T>& emb = *dst_embs[i];
      const auto& lin = out_proj[i];
      const T beta = nn::sigmoid(skip_trans_.forward(Matrix<T>(emb.transpose()))(0, 0));
      Matrix<T>& a = agg[static_cast<std::size_t>(d)];
      const Matrix<T>& x = *xs[static_cast<std::size_t>(d)];
      const bool skip = x.cols() == out_;
      Matrix<T> o(a.rows(), out_);
      if (pretrain)
        detail::for_row_blocks(a.rows(), 256, [&](Index r0, Index rows) { nn::gelu_inplace(a.middleRows(r0, rows)); });
      detail::blocked_linear(*lin, a, o);
      detail::for_row_blocks(a.rows(), 256, [&](Index r0, Index rows) {
        auto ob = o.middleRows(r0, rows);
        if (skip) ob = beta * ob + (T(1) - beta) * x.middleRows(r0, rows);
        if (pretrain) ob = ob.cwiseMax(T(-100)).cwiseMin(T(100));
        norm_.apply_inplace(ob);
      });
      result[name] = std::move(o);
    }
    return result;
  }

  Index in_ = 0, out_ = 0, heads_ = 1, m_ = 0;
  Variant variant_ = Variant::Pretrain;
  GeneratedProjectors<T> kqv_, out_lin_, k_rel_, v_rel_;
  nn::Linear<T> skip_trans_, p_rel_trans_;
  nn::LayerNorm<T> norm_;
};

}  // namespace hgtok
