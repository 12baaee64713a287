// The kernel registry: every encoder kernel a Tokenizer can compose, as one trait each, and the list of them.
//
// A trait says everything the Tokenizer and the config need about its kernel:
//   name, generated       config "kernel"; weights generated from an EmbeddingTable (true) or one set per type
//   fields()              the config fields it takes besides the common ones (tokenizer/config.hpp), docs order
//   check(config, source) checks across fields, after they are read (optional)
//   Layer<T>, make<T>     the layer class; build layer l (zero weights when `w` is null, else loaded under prefix)
//   forward(layer, in, x) run it on the prepared graph (EncoderInput) and the previous layer's outputs
//   reads_every_type      it reads every node type's features (else only those an edge type touches)
//   gives_output(c, g, t) whether node type t gets an output
//   runs_as_union         tokenize_many may run subgraphs as one union (rows never mix: see union_batch.hpp)
//   doc_layer, doc_weights  its row of docs/tokenizer.md's kernel table
// KernelList derives from the list the Layer variant, the TokenizerKernel entries config parsing uses, the lookup
// by name and the docs table. Adding a kernel: its header, a trait, and one entry in BuiltinKernels
// (docs/extending.md). Every kernel's Layer<T> must be a distinct class.
#pragma once

#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "hgtok/conv/han.hpp"
#include "hgtok/conv/hetgnn.hpp"
#include "hgtok/conv/hgt.hpp"
#include "hgtok/conv/meta_hgt.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/openhgnn_walk.hpp"
#include "hgtok/graph/random_walk.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/core/type_embeddings.hpp"
#include "hgtok/tokenizer/config.hpp"

namespace hgtok {

/// What one layer runs on: the (prepared) graph, the type embeddings (generated kernels; null for static ones),
/// the sampled neighbours (kernels that take the random-walk fields).
template <class T>
struct EncoderInput {
  const HeteroGraph<T>* graph = nullptr;
  const TypeEmbeddings<T>* table = nullptr;
  const HetNeighbors* neighbors = nullptr;
};

/// Input width per node type of layer `l` of a static stack: the config's for layer 0 (in_channels, or
/// content_dim when `content`), hidden_channels after.
inline std::map<std::string, Index> tokenizer_layer_widths(const TokenizerConfig& c, Index l, bool content) {
  std::map<std::string, Index> out;
  for (const auto& t : c.node_types) out[t] = l > 0 ? c.hidden_channels : content ? c.content_width(t) : c.in_width(t);
  return out;
}

/// What a trait may leave out.
struct KernelTraitDefaults {
  static constexpr bool reads_every_type = false;
  static constexpr bool runs_as_union = false;
  static void check(const TokenizerConfig&, const std::string&) {}
  /// Destinations of the graph's edge types.
  template <class T>
  static bool gives_output(const TokenizerConfig&, const HeteroGraph<T>& g, Index t) {
    for (Index e = 0; e < g.num_edge_types(); ++e)
      if (g.dst_type_id(e) == t) return true;
    return false;
  }
};

struct MetaHGTKernel : KernelTraitDefaults {
  static constexpr const char* name = "meta_hgt";
  static constexpr bool generated = true;
  static std::vector<std::string> fields() { return {"variant", "in_channels", "heads", "embedding_dim"}; }
  static constexpr const char* doc_layer = "HiGPT `MetaHGTConv` ([hgt.md](hgt.md))";
  static constexpr const char* doc_weights = "`{kqv_lin,out_lin,k_rel,v_rel}.lin_gen.*`, `skipTrans.*`, `p_relTrans.*`, `norm.*`";
  template <class T>
  using Layer = MetaHGTConv<T>;
  template <class T>
  static Layer<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    const Index in = l == 0 ? c.in_channels : c.hidden_channels;
    const auto variant = c.variant == "inference" ? MetaHGTConv<T>::Variant::HiGPTInference : MetaHGTConv<T>::Variant::Pretrain;
    if (!w) return MetaHGTConv<T>(in, c.hidden_channels, c.heads, c.embedding_dim, variant);
    return MetaHGTConv<T>::load(*w, prefix, in, c.hidden_channels, c.heads, c.embedding_dim, variant);
  }
  template <class T>
  static TypeMatrices<T> forward(const MetaHGTConv<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x, *in.table);
  }
  static constexpr bool runs_as_union = true;
};

struct HGTKernel : KernelTraitDefaults {
  static constexpr const char* name = "hgt";
  static constexpr bool generated = false;
  static std::vector<std::string> fields() { return {"in_channels", "heads", "node_types", "edge_types"}; }
  static constexpr const char* doc_layer = "PyG `HGTConv` ([hgt.md](hgt.md))";
  static constexpr const char* doc_weights =
      "`kqv_lin.lins.<t>.*`, `out_lin.lins.<t>.*`, `k_rel.weight`, `v_rel.weight`, `p_rel.<key>`, `skip.<t>`";
  template <class T>
  using Layer = HGTConv<T>;
  template <class T>
  static Layer<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    auto in = tokenizer_layer_widths(c, l, false);
    if (!w) return HGTConv<T>(std::move(in), c.hidden_channels, c.heads, c.node_types, c.edge_types);
    return HGTConv<T>::load(*w, prefix, std::move(in), c.hidden_channels, c.heads, c.node_types, c.edge_types);
  }
  template <class T>
  static TypeMatrices<T> forward(const HGTConv<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x);
  }
  static constexpr bool reads_every_type = true;
  /// Destinations of the layer's edge types whose two node types are in the graph (edges or not).
  template <class T>
  static bool gives_output(const TokenizerConfig& c, const HeteroGraph<T>& g, Index t) {
    for (const auto& e : c.edge_types)
      if (e.dst == g.node_type_name(t) && g.has_node_type(e.src)) return true;
    return false;
  }
  static constexpr bool runs_as_union = true;
};

struct HANKernel : KernelTraitDefaults {
  static constexpr const char* name = "han";
  static constexpr bool generated = false;
  static std::vector<std::string> fields() {
    return {"in_channels", "heads", "node_types", "edge_types", "metapaths", "keep_same_node_type", "drop_unconnected_node_types"};
  }
  static constexpr const char* doc_layer = "PyG `HANConv` ([han.md](han.md))";
  static constexpr const char* doc_weights = "`proj.<t>.*`, `lin_src.<key>`, `lin_dst.<key>`, `k_lin.*`, `q`";
  template <class T>
  using Layer = HANConv<T>;
  template <class T>
  static Layer<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    auto in = tokenizer_layer_widths(c, l, false);
    if (!w) return HANConv<T>(std::move(in), c.hidden_channels, c.heads, c.edge_types);
    return HANConv<T>::load(*w, prefix, std::move(in), c.hidden_channels, c.heads, c.edge_types);
  }
  template <class T>
  static TypeMatrices<T> forward(const HANConv<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x);
  }
};

struct MetaHANKernel : KernelTraitDefaults {
  static constexpr const char* name = "meta_han";
  static constexpr bool generated = true;
  static std::vector<std::string> fields() {
    return {"in_channels", "heads", "embedding_dim", "metapaths", "keep_same_node_type", "drop_unconnected_node_types"};
  }
  static constexpr const char* doc_layer = "MetaHAN ([han.md](han.md))";
  static constexpr const char* doc_weights = "`proj.lin_gen.*`, `lin_src_trans.*`, `lin_dst_trans.*`, `k_lin.*`, `q`";
  template <class T>
  using Layer = MetaHANConv<T>;
  template <class T>
  static Layer<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    const Index in = l == 0 ? c.in_channels : c.hidden_channels;
    if (!w) return MetaHANConv<T>(in, c.hidden_channels, c.heads, c.embedding_dim);
    return MetaHANConv<T>::load(*w, prefix, in, c.hidden_channels, c.heads, c.embedding_dim);
  }
  template <class T>
  static TypeMatrices<T> forward(const MetaHANConv<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x, *in.table);
  }
};

/// Two LSTM directions of hidden_channels / 2 each; a shared content encoder reads one content width.
inline void check_hetgnn_config(const TokenizerConfig& c, const std::string& source) {
  if (c.hidden_channels % 2 != 0)
    throw ValueError(source, "hidden_channels",
                     std::to_string(c.hidden_channels) + " must be even (two LSTM directions of hidden_channels/2)");
  if (c.content_encoder == "shared")
    for (const auto& [t, w] : c.content_dim_by_type)
      if (w != c.content_dim_by_type.begin()->second)
        throw ValueError(source, "content_dim/" + t,
                         "content_encoder 'shared' reads one content width: '" + t + "' has " + std::to_string(w) + ", '" +
                             c.content_dim_by_type.begin()->first + "' has " + std::to_string(c.content_dim_by_type.begin()->second));
}

/// The HetGNN layer options a config selects (compat preset and the fields that override it).
inline HetGNNOptions hetgnn_options(const TokenizerConfig& c) {
  HetGNNOptions o;
  o.empty_neighbors = c.empty_neighbors == "zero" ? HetGNNOptions::EmptyNeighbors::Zero : HetGNNOptions::EmptyNeighbors::Drop;
  o.shared_content = c.content_encoder == "shared";
  o.attention_bias = c.attention_bias;
  return o;
}

/// The neighbours of every node of g for the random-walk kernels: config walk "hgtok" (RandomWalkWithRestart) or
/// "openhgnn" (OpenHGNNWalk), with the config's top_k restricted to the types g holds (a subgraph may lack some).
template <class T>
HetNeighbors sample_walk_neighbors(const TokenizerConfig& c, const HeteroGraph<T>& g) {
  std::map<std::string, Index> top_k;
  for (const auto& t : g.node_types())
    if (Index kt = c.top_k_by_type.empty() ? c.top_k : (c.top_k_by_type.count(t) ? c.top_k_by_type.at(t) : 0)) top_k[t] = kt;
  if (c.walk == "openhgnn") return OpenHGNNWalk(c.restart_prob, c.walk_length, c.walks_per_node, top_k, c.seed).sample(g);
  return RandomWalkWithRestart(c.restart_prob, c.walk_length, top_k, c.seed).sample(g);
}

struct HetGNNKernel : KernelTraitDefaults {
  static constexpr const char* name = "hetgnn";
  static constexpr bool generated = false;
  static std::vector<std::string> fields() {
    return {"content_dim", "node_types", "edge_types", "restart_prob", "walk_length", "top_k", "seed",
            "compat", "empty_neighbors", "content_encoder", "attention_bias", "walk", "walks_per_node"};
  }
  static constexpr const char* doc_layer = "HetGNN ([hetgnn.md](hetgnn.md))";
  static constexpr const char* doc_weights =
      "`content_rnn.<t>.*` (shared: `content_rnn.*`), `neigh_rnn.<t>.*`, `neigh_att.<t>`, `neigh_att_bias.<t>` (optional)";
  static void check(const TokenizerConfig& c, const std::string& source) { check_hetgnn_config(c, source); }
  template <class T>
  using Layer = HetGNN<T>;
  template <class T>
  static Layer<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    auto content = tokenizer_layer_widths(c, l, true);
    if (!w) return HetGNN<T>(std::move(content), c.hidden_channels, 0.01, hetgnn_options(c));
    return HetGNN<T>::load(*w, prefix, std::move(content), c.hidden_channels, 0.01, hetgnn_options(c));
  }
  template <class T>
  static TypeMatrices<T> forward(const HetGNN<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x, *in.neighbors);
  }
  static constexpr bool reads_every_type = true;
  /// Every node type (a node with no sampled neighbour is its own content embedding).
  template <class T>
  static bool gives_output(const TokenizerConfig&, const HeteroGraph<T>&, Index) {
    return true;
  }
};

struct MetaHetGNNKernel : KernelTraitDefaults {
  static constexpr const char* name = "meta_hetgnn";
  static constexpr bool generated = true;
  static std::vector<std::string> fields() {
    return {"content_dim", "embedding_dim", "restart_prob", "walk_length", "top_k", "seed", "walk", "walks_per_node"};
  }
  static constexpr const char* doc_layer = "MetaHetGNN ([hetgnn.md](hetgnn.md))";
  static constexpr const char* doc_weights =
      "`content_proj.lin_gen.*`, `neigh_proj.lin_gen.*`, `content_rnn.*`, `neigh_rnn.*`, `att_trans.*`";
  static void check(const TokenizerConfig& c, const std::string& source) { check_hetgnn_config(c, source); }
  template <class T>
  using Layer = MetaHetGNN<T>;
  template <class T>
  static Layer<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    const Index content = l == 0 ? c.content_dim : c.hidden_channels;
    if (!w) return MetaHetGNN<T>(content, c.hidden_channels, c.embedding_dim);
    return MetaHetGNN<T>::load(*w, prefix, content, c.hidden_channels, c.embedding_dim);
  }
  template <class T>
  static TypeMatrices<T> forward(const MetaHetGNN<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x, *in.neighbors, *in.table);
  }
  static constexpr bool reads_every_type = true;
  template <class T>
  static bool gives_output(const TokenizerConfig&, const HeteroGraph<T>&, Index) {
    return true;
  }
};

namespace detail {
/// The trait among K... whose Layer<T> is Conv.
template <class T, class Conv, class First, class... Rest>
struct KernelOfLayer {
  using type = std::conditional_t<std::is_same_v<typename First::template Layer<T>, Conv>, First,
                                  typename KernelOfLayer<T, Conv, Rest...>::type>;
};
template <class T, class Conv, class Last>
struct KernelOfLayer<T, Conv, Last> {
  using type = Last;
};
}  // namespace detail

/// A list of kernel traits, and what derives from it.
template <class... K>
struct KernelList {
  /// One encoder layer of any kernel of the list.
  template <class T>
  using Layer = std::variant<typename K::template Layer<T>...>;
  /// This list with more kernels after its own (a program's own kernels: docs/extending.md).
  template <class... More>
  using With = KernelList<K..., More...>;

  /// The entries config parsing looks kernels up in, in list order.
  static const std::vector<TokenizerKernel>& infos() {
    static const std::vector<TokenizerKernel> entries{TokenizerKernel{K::name, K::generated, K::fields(), &K::check}...};
    return entries;
  }
  /// Calls f(trait{}) for the kernel named `name`; false when none is.
  template <class F>
  static bool find(const std::string& name, F&& f) {
    return ((name == K::name && (f(K{}), true)) || ...);
  }
  /// f(trait{}, layer) with the trait of the layer's kernel.
  template <class T, class F>
  static decltype(auto) visit(const Layer<T>& layer, F&& f) {
    return std::visit(
        [&](const auto& conv) { return f(typename detail::KernelOfLayer<T, std::decay_t<decltype(conv)>, K...>::type{}, conv); }, layer);
  }
  /// docs/tokenizer.md's kernel table (a test checks the docs hold it).
  static std::string markdown_table() {
    std::string out = "| `kernel` | layer | fields | weights under `layers.<i>.` |\n|---|---|---|---|\n";
    ((out += "| `" + std::string(K::name) + "` | " + K::doc_layer + " | " + fields_doc(K::generated, K::fields()) + " | " +
             K::doc_weights + " |\n"),
     ...);
    return out;
  }

 private:
  static std::string fields_doc(bool generated, const std::vector<std::string>& fields) {
    std::string taken, optional;
    for (const auto& f : fields) {
      const auto* field = detail::find_config_field(f);
      const std::string note = field ? (generated ? field->doc_generated : field->doc_static) : "";
      std::string& to = note == "optional" ? optional : taken;
      to += (to.empty() ? "`" : ", `") + f + "`" + (note.empty() || note == "optional" ? "" : " (" + note + ")");
    }
    return optional.empty() ? taken : taken + "; optional " + optional;
  }
};

/// The library's kernels, in the order error messages list them.
using BuiltinKernels = KernelList<MetaHGTKernel, HGTKernel, HANKernel, MetaHANKernel, HetGNNKernel, MetaHetGNNKernel>;

inline const std::vector<TokenizerKernel>& tokenizer_kernels() { return BuiltinKernels::infos(); }

}  // namespace hgtok
