// Tokenizer: the whole path of ../DESIGN.md, top to bottom.
//
//   HeteroGraph (or a Subgraph from NeighborSampler, graph/sampler.hpp)
//     → (han, meta_han with metapaths: add_metapaths, graph/metapath.hpp, original edge types dropped)
//     → (hetgnn, meta_hetgnn: neighbours from RandomWalkWithRestart, graph/random_walk.hpp)
//     → encoder layers × num_layers, all of one kernel (config "kernel"):
//         "meta_hgt"     HiGPT's MetaHGTConv, weights generated from type embeddings   conv/meta_hgt.hpp
//         "hgt"          PyG HGTConv                                                  conv/hgt.hpp
//         "han"          PyG HANConv                                                  conv/han.hpp
//         "meta_han"     HAN with generated type parameters                           conv/han.hpp
//         "hetgnn"       HetGNN (Zhang et al., KDD 2019)                              conv/hetgnn.hpp
//         "meta_hetgnn"  HetGNN with generated type parameters                        conv/hetgnn.hpp
//       each layer reads the previous layer's outputs
//     → LLMProjector (tokenizer/llm_projector.hpp):
//         "linear":     HiGPT's graph_projector, Linear(hidden → d_llm), one token per node
//         "mlp_prefix": G-Retriever's projector, mean-pool → MLP → k prefix tokens
//     → GraphTokens [T, d_llm], node types in the requested order (HiGPT's hetero_key_order)
//
// Generated kernels (meta_hgt, meta_han, meta_hetgnn) take their type embeddings from an
// EmbeddingTable: read one from safetensors / npy, or build it with
// TypeDescriptions::embed(SentenceEncoder) (text/). Static kernels (hgt, han,
// hetgnn) hold one learned weight set per node / edge type listed in the
// config (node_types, edge_types) and need no table: call encode / tokenize
// without one (a table passed to them is ignored).
//
// A tokenizer is described completely by a directory holding config.json and
// weights.safetensors; load(dir) and save(dir) round-trip. Weight names:
//   layers.<i>.<the kernel's own state_dict name>        (see the kernel's header; docs/tokenizer.md)
//   graph_projector.{weight,bias}                       ("linear", HiGPT's name)
//   projector.{0,2}.{weight,bias}                       ("mlp_prefix", G-Retriever's names)
// A weights file must hold exactly these tensors with the shapes the config
// implies: a missing tensor is a LookupError, a wrong shape a ShapeError, a
// tensor the config does not use a FormatError (e.g. a 3-layer file read with
// num_layers = 2).
//
// Tokenizer::random builds an UNTRAINED tokenizer with seeded weights, for
// trying the path; real use loads trained weights (e.g. HiGPT's In-Context-HGT
// converted with tools/convert_checkpoint.py).
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "hgtok/conv/han.hpp"
#include "hgtok/conv/hetgnn.hpp"
#include "hgtok/conv/hgt.hpp"
#include "hgtok/conv/meta_hgt.hpp"
#include "hgtok/core/error.hpp"
#include "hgtok/core/rng.hpp"
#include "hgtok/graph/hetero_graph.hpp"
#include "hgtok/graph/metapath.hpp"
#include "hgtok/graph/random_walk.hpp"
#include "hgtok/graph/sampler.hpp"
#include "hgtok/io/weight_store.hpp"
#include "hgtok/text/embedding_table.hpp"
#include "hgtok/tokenizer/graph_tokens.hpp"
#include "hgtok/tokenizer/llm_projector.hpp"

namespace hgtok {

/// An encoder kernel a Tokenizer composes, and the config fields it takes.
struct TokenizerKernel {
  const char* name;
  bool generated;  ///< per-type weights generated from an EmbeddingTable: embedding_dim; no node_types / edge_types
  bool heads;      ///< attention heads: heads
  bool walks;      ///< RandomWalkWithRestart neighbours: restart_prob, walk_length, top_k, seed, content_dim (no in_channels)
  bool metapaths;  ///< HAN's metapaths: metapaths, keep_same_node_type, drop_unconnected_node_types
  bool variant;    ///< MetaHGT's variant: pretrain or inference
};

/// The kernels, in the order error messages list them.
inline const std::vector<TokenizerKernel>& tokenizer_kernels() {
  static const std::vector<TokenizerKernel> kernels{
      //  name          generated heads  walks  metapaths variant
      {"meta_hgt", true, true, false, false, true},
      {"hgt", false, true, false, false, false},
      {"han", false, true, false, true, false},
      {"meta_han", true, true, false, true, false},
      {"hetgnn", false, false, true, false, false},
      {"meta_hetgnn", true, false, true, false, false},
  };
  return kernels;
}

namespace detail {
inline std::string tokenizer_kernel_names(bool only_static = false, bool only_generated = false) {
  std::string out;
  for (const auto& k : tokenizer_kernels())
    if (!(only_static && k.generated) && !(only_generated && !k.generated)) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}
}  // namespace detail

/// Everything that shapes a tokenizer (config.json). Which fields a kernel takes: docs/tokenizer.md (a field
/// the kernel does not take is a FormatError naming it).
struct TokenizerConfig {
  std::string kernel = "meta_hgt";   ///< the encoder layer: meta_hgt, hgt, han, meta_han, hetgnn or meta_hetgnn
  std::string variant = "pretrain";  ///< meta_hgt: "pretrain" (HG_grounding) or "inference" (higpt/model copy)
  Index in_channels = 0;             ///< node feature width, the same for every node type (not hetgnn, meta_hetgnn)
  /// hgt, han: one width per node type instead (PyG's in_channels dict; JSON: an object); empty: in_channels
  std::map<std::string, Index> in_channels_by_type;
  Index hidden_channels = 0;         ///< width of every layer's output
  Index heads = 1;                   ///< meta_hgt, hgt, han
  Index num_layers = 1;
  Index embedding_dim = 0;           ///< meta_hgt, meta_han, meta_hetgnn: type-embedding width m
  std::vector<std::string> node_types;  ///< hgt, han, hetgnn: the layer's node types (PyG metadata()[0])
  std::vector<EdgeType> edge_types;     ///< hgt, han, hetgnn: the layer's edge types, in order (PyG metadata()[1])
  std::vector<Metapath> metapaths;      ///< han, meta_han: metapaths added before encoding (edge type j: src__metapath_<j>__dst)
  bool keep_same_node_type = false;         ///< han, meta_han with metapaths: AddMetaPaths' flag (drop_orig_edge_types is on)
  bool drop_unconnected_node_types = false; ///< han, meta_han with metapaths: AddMetaPaths' flag
  double restart_prob = 0;  ///< hetgnn, meta_hetgnn: RandomWalkWithRestart's parameters
  Index walk_length = 0;
  Index top_k = 0;                            ///< neighbours kept per node type (the same for all)
  std::map<std::string, Index> top_k_by_type; ///< or one k per node type (JSON: an object); types not listed: none
  std::uint64_t seed = 0;
  Index content_dim = 0;                      ///< hetgnn, meta_hetgnn: content-vector width (features = C vectors)
  std::map<std::string, Index> content_dim_by_type;  ///< hetgnn: one per node type instead (JSON: an object)
  std::string projector = "linear";  ///< "linear" (HiGPT graph_projector) or "mlp_prefix" (G-Retriever)
  Index num_prefix_tokens = 0;       ///< mlp_prefix: k tokens per graph (0 for linear)
  Index llm_dim = 0;                 ///< LLM embedding width (projector output)
  std::string source;                ///< where the config was read from (named in errors); not part of the JSON

  /// The kernel's entry of tokenizer_kernels() (ValueError naming an unknown kernel).
  const TokenizerKernel& kernel_info() const { return kernel_info(kernel, source.empty() ? "TokenizerConfig" : source); }
  /// Input width of node type `type` for layer 0 (hgt, han).
  Index in_width(const std::string& type) const {
    if (in_channels_by_type.empty()) return in_channels;
    auto it = in_channels_by_type.find(type);
    return it == in_channels_by_type.end() ? 0 : it->second;
  }
  /// Content-vector width of node type `type` for layer 0 (hetgnn, meta_hetgnn).
  Index content_width(const std::string& type) const {
    if (content_dim_by_type.empty()) return content_dim;
    auto it = content_dim_by_type.find(type);
    return it == content_dim_by_type.end() ? 0 : it->second;
  }

  nlohmann::json to_json() const {
    const TokenizerKernel& k = kernel_info();
    nlohmann::json j = {{"kernel", kernel}};
    if (k.variant) j["variant"] = variant;
    if (!k.walks) {
      if (in_channels_by_type.empty()) {
        j["in_channels"] = in_channels;
      } else {
        j["in_channels"] = nlohmann::json::object();
        for (const auto& [t, w] : in_channels_by_type) j["in_channels"][t] = w;
      }
    }
    j["hidden_channels"] = hidden_channels;
    if (k.heads) j["heads"] = heads;
    j["num_layers"] = num_layers;
    if (k.generated) j["embedding_dim"] = embedding_dim;
    if (!k.generated) {
      j["node_types"] = node_types;
      j["edge_types"] = nlohmann::json::array();
      for (const auto& e : edge_types) j["edge_types"].push_back(e.key());
    }
    if (k.metapaths && !metapaths.empty()) {
      j["metapaths"] = nlohmann::json::array();
      for (const auto& path : metapaths) {
        nlohmann::json p = nlohmann::json::array();
        for (const auto& e : path) p.push_back(e.key());
        j["metapaths"].push_back(p);
      }
      j["keep_same_node_type"] = keep_same_node_type;
      j["drop_unconnected_node_types"] = drop_unconnected_node_types;
    }
    if (k.walks) {
      j["restart_prob"] = restart_prob;
      j["walk_length"] = walk_length;
      if (top_k_by_type.empty()) {
        j["top_k"] = top_k;
      } else {
        j["top_k"] = nlohmann::json::object();
        for (const auto& [t, v] : top_k_by_type) j["top_k"][t] = v;
      }
      j["seed"] = seed;
      if (content_dim_by_type.empty()) {
        j["content_dim"] = content_dim;
      } else {
        j["content_dim"] = nlohmann::json::object();
        for (const auto& [t, v] : content_dim_by_type) j["content_dim"][t] = v;
      }
    }
    j["projector"] = projector;
    j["llm_dim"] = llm_dim;
    if (projector == "mlp_prefix") j["num_prefix_tokens"] = num_prefix_tokens;
    return j;
  }

  /// Parses and validates; `source` names the file in errors. Unknown keys, and keys the kernel does not take,
  /// are a FormatError (a typo must not silently fall back to a default).
  static TokenizerConfig from_json(const nlohmann::json& j, const std::string& source) {
    if (!j.is_object()) throw FormatError(source, "", "config must be a JSON object, got " + j.dump());
    static const std::set<std::string> known{
        "kernel", "variant", "in_channels", "hidden_channels", "heads", "num_layers", "embedding_dim", "node_types",
        "edge_types", "metapaths", "keep_same_node_type", "drop_unconnected_node_types", "restart_prob", "walk_length",
        "top_k", "seed", "content_dim", "projector", "num_prefix_tokens", "llm_dim"};
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!known.count(it.key())) throw FormatError(source, it.key(), "unknown config key '" + it.key() + "'");
    TokenizerConfig c;
    c.source = source;
    const auto is_int = [](const nlohmann::json& v) {
      return v.is_number_integer() && v.get<std::int64_t>() > 0 && v.get<std::int64_t>() <= (std::int64_t(1) << 24);
    };
    auto integer = [&](const char* key) {
      if (!j.contains(key) || !is_int(j[key]))
        throw FormatError(source, key, "must be an integer in [1, 2^24], got " + (j.contains(key) ? j[key].dump() : std::string("nothing")));
      return j[key].get<Index>();
    };
    auto string = [&](const char* key, const std::string& fallback) {
      if (!j.contains(key)) return fallback;
      if (!j[key].is_string()) throw FormatError(source, key, "must be a string, got " + j[key].dump());
      return j[key].get<std::string>();
    };
    auto boolean = [&](const char* key) {
      if (!j.contains(key)) return false;
      if (!j[key].is_boolean()) throw FormatError(source, key, "must be true or false, got " + j[key].dump());
      return j[key].get<bool>();
    };
    // An integer, or (when `per_type`) an object {node type: integer}.
    auto integer_or_map = [&](const char* key, bool per_type, Index& one, std::map<std::string, Index>& by_type) {
      if (per_type && j.contains(key) && j[key].is_object() && !j[key].empty()) {
        for (auto it = j[key].begin(); it != j[key].end(); ++it) {
          if (!is_int(it.value()))
            throw FormatError(source, std::string(key) + "/" + it.key(), "must be an integer in [1, 2^24], got " + it.value().dump());
          by_type[it.key()] = it.value().get<Index>();
        }
        return;
      }
      if (!j.contains(key) || !is_int(j[key]))
        throw FormatError(source, key,
                          std::string("must be an integer in [1, 2^24]") + (per_type ? " or an object {node type: integer}" : "") +
                              ", got " + (j.contains(key) ? j[key].dump() : std::string("nothing")));
      one = j[key].get<Index>();
    };

    if (!j.contains("kernel")) throw FormatError(source, "kernel", "missing");
    c.kernel = string("kernel", "");
    const TokenizerKernel& k = kernel_info(c.kernel, source);
    const std::string kernel_is = "kernel " + c.kernel;
    auto refuse = [&](const char* key, bool taken, const std::string& why) {
      if (!taken && j.contains(key)) throw FormatError(source, key, kernel_is + " does not take '" + key + "': " + why);
    };
    refuse("variant", k.variant, "only meta_hgt has a variant");
    refuse("in_channels", !k.walks, "its features are content vectors of width content_dim (any multiple of it per type)");
    refuse("heads", k.heads, "it has no attention heads");
    refuse("embedding_dim", k.generated, "it learns one weight set per type and reads no type embedding (generated kernels: " +
                                             detail::tokenizer_kernel_names(false, true) + ")");
    for (const char* key : {"node_types", "edge_types"})
      refuse(key, !k.generated, "it generates its per-type weights from the EmbeddingTable, so any type works (static kernels: " +
                                    detail::tokenizer_kernel_names(true, false) + ")");
    for (const char* key : {"metapaths", "keep_same_node_type", "drop_unconnected_node_types"})
      refuse(key, k.metapaths, "metapaths are HAN's (han, meta_han)");
    for (const char* key : {"restart_prob", "walk_length", "top_k", "seed", "content_dim"})
      refuse(key, k.walks, "random-walk neighbours are HetGNN's");

    if (k.variant) {
      c.variant = string("variant", "pretrain");
      if (c.variant != "pretrain" && c.variant != "inference")
        throw ValueError(source, "variant", "unknown variant '" + c.variant + "' (pretrain or inference)");
    }
    c.hidden_channels = integer("hidden_channels");
    if (k.heads) c.heads = integer("heads");
    c.num_layers = integer("num_layers");
    if (c.num_layers > 64) throw FormatError(source, "num_layers", "at most 64, got " + std::to_string(c.num_layers));
    if (k.generated) c.embedding_dim = integer("embedding_dim");
    c.llm_dim = integer("llm_dim");
    c.projector = string("projector", "linear");
    if (c.projector == "mlp_prefix") {
      c.num_prefix_tokens = integer("num_prefix_tokens");
    } else if (c.projector == "linear") {
      if (j.contains("num_prefix_tokens"))
        throw FormatError(source, "num_prefix_tokens", "only an mlp_prefix projector has prefix tokens");
    } else {
      throw ValueError(source, "projector", "unknown projector '" + c.projector + "' (linear or mlp_prefix)");
    }
    if (k.heads && c.hidden_channels % c.heads != 0)
      throw ValueError(source, "heads", std::to_string(c.heads) + " heads do not divide hidden_channels " +
                                            std::to_string(c.hidden_channels));
    if (k.walks && c.hidden_channels % 2 != 0)
      throw ValueError(source, "hidden_channels", std::to_string(c.hidden_channels) +
                                                      " must be even (two LSTM directions of hidden_channels/2)");

    if (!k.generated) parse_metadata(j, source, c);
    const std::set<std::string> types(c.node_types.begin(), c.node_types.end());
    // A per-type object must name exactly the config's node types.
    auto check_types = [&](const char* key, const std::map<std::string, Index>& by_type, bool all) {
      for (const auto& kv : by_type)
        if (!types.count(kv.first))
          throw LookupError(source, std::string(key) + "/" + kv.first, "node type '" + kv.first + "' is not in node_types");
      if (all && !by_type.empty())
        for (const auto& t : c.node_types)
          if (!by_type.count(t)) throw LookupError(source, key, "no value for node type '" + t + "'");
    };
    if (!k.walks) {
      integer_or_map("in_channels", !k.generated, c.in_channels, c.in_channels_by_type);
      check_types("in_channels", c.in_channels_by_type, true);
    }
    if (k.metapaths) parse_metapaths(j, source, c);
    c.keep_same_node_type = boolean("keep_same_node_type");
    c.drop_unconnected_node_types = boolean("drop_unconnected_node_types");
    if (c.metapaths.empty())
      for (const char* key : {"keep_same_node_type", "drop_unconnected_node_types"})
        if (j.contains(key)) throw FormatError(source, key, "only applies with metapaths");
    if (k.walks) {
      if (!j.contains("restart_prob") || !j["restart_prob"].is_number() || !(j["restart_prob"].get<double>() >= 0.0) ||
          !(j["restart_prob"].get<double>() <= 1.0))
        throw FormatError(source, "restart_prob", "must be a number in [0, 1], got " +
                                                      (j.contains("restart_prob") ? j["restart_prob"].dump() : std::string("nothing")));
      c.restart_prob = j["restart_prob"].get<double>();
      c.walk_length = integer("walk_length");
      integer_or_map("top_k", true, c.top_k, c.top_k_by_type);
      if (!k.generated) check_types("top_k", c.top_k_by_type, false);
      if (!j.contains("seed") || !j["seed"].is_number_integer() || (!j["seed"].is_number_unsigned() && j["seed"].get<std::int64_t>() < 0))
        throw FormatError(source, "seed", "must be a non-negative integer, got " + (j.contains("seed") ? j["seed"].dump() : std::string("nothing")));
      c.seed = j["seed"].get<std::uint64_t>();
      integer_or_map("content_dim", !k.generated, c.content_dim, c.content_dim_by_type);
      check_types("content_dim", c.content_dim_by_type, true);
    }
    return c;
  }

 private:
  static const TokenizerKernel& kernel_info(const std::string& name, const std::string& source) {
    for (const auto& k : tokenizer_kernels())
      if (name == k.name) return k;
    throw ValueError(source, "kernel", "unknown kernel '" + name + "' (a Tokenizer composes: " + detail::tokenizer_kernel_names() + ")");
  }

  static EdgeType parse_edge_type(const nlohmann::json& v, const std::string& source, const std::string& field) {
    if (!v.is_string()) throw FormatError(source, field, "must be an edge type 'src__relation__dst', got " + v.dump());
    try {
      return EdgeType::parse(v.get<std::string>(), source);
    } catch (const FormatError&) {
      throw FormatError(source, field, "'" + v.get<std::string>() + "' is not an edge type 'src__relation__dst'");
    }
  }

  /// node_types and edge_types (static kernels).
  static void parse_metadata(const nlohmann::json& j, const std::string& source, TokenizerConfig& c) {
    const std::string kernel_needs = "kernel " + c.kernel + " needs its layer's metadata: ";
    if (!j.contains("node_types")) throw FormatError(source, "node_types", kernel_needs + "missing (a list of node type names)");
    if (!j.contains("edge_types"))
      throw FormatError(source, "edge_types", kernel_needs + "missing (a list of 'src__relation__dst' keys)");
    if (!j["node_types"].is_array() || j["node_types"].empty())
      throw FormatError(source, "node_types", "must be a non-empty list of node type names, got " + j["node_types"].dump());
    std::set<std::string> types;
    for (std::size_t i = 0; i < j["node_types"].size(); ++i) {
      const auto& v = j["node_types"][i];
      const std::string field = "node_types[" + std::to_string(i) + "]";
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().find("__") != std::string::npos ||
          v.get<std::string>().find('/') != std::string::npos)
        throw FormatError(source, field, "must be a node type name (no '__' or '/'), got " + v.dump());
      if (!types.insert(v.get<std::string>()).second) throw ValueError(source, field, "node type " + v.dump() + " is listed twice");
      c.node_types.push_back(v.get<std::string>());
    }
    if (!j["edge_types"].is_array() || j["edge_types"].empty())
      throw FormatError(source, "edge_types", "must be a non-empty list of 'src__relation__dst' keys, got " + j["edge_types"].dump());
    std::set<std::string> keys;
    for (std::size_t i = 0; i < j["edge_types"].size(); ++i) {
      const std::string field = "edge_types[" + std::to_string(i) + "]";
      const EdgeType e = parse_edge_type(j["edge_types"][i], source, field);
      for (const auto& end : {e.src, e.dst})
        if (!types.count(end))
          throw LookupError(source, field, "edge type '" + e.key() + "' names node type '" + end + "', which is not in node_types");
      if (!keys.insert(e.key()).second) throw ValueError(source, field, "edge type '" + e.key() + "' is listed twice");
      c.edge_types.push_back(e);
    }
  }

  /// metapaths (han, meta_han): lists of chaining edge types; metapath j builds src__metapath_<j>__dst, which
  /// for han must be one of edge_types (the layer's metadata after the transform); for meta_han its embedding
  /// edge/src__metapath_<j>__dst comes from the EmbeddingTable at run time.
  static void parse_metapaths(const nlohmann::json& j, const std::string& source, TokenizerConfig& c) {
    if (!j.contains("metapaths")) return;
    const auto& mp = j["metapaths"];
    if (!mp.is_array()) throw FormatError(source, "metapaths", "must be a list of lists of 'src__relation__dst' keys, got " + mp.dump());
    std::set<std::string> keys;
    for (const auto& e : c.edge_types) keys.insert(e.key());
    for (std::size_t p = 0; p < mp.size(); ++p) {
      const std::string field = "metapaths[" + std::to_string(p) + "]";
      if (!mp[p].is_array() || mp[p].size() < 2)
        throw ValueError(source, field, "a metapath is a list of at least two edge types, got " + mp[p].dump());
      Metapath path;
      for (std::size_t r = 0; r < mp[p].size(); ++r)
        path.push_back(parse_edge_type(mp[p][r], source, field + "[" + std::to_string(r) + "]"));
      for (std::size_t r = 0; r + 1 < path.size(); ++r)
        if (path[r].dst != path[r + 1].src)
          throw ValueError(source, field, "relations do not chain: '" + path[r].key() + "' ends at node type '" + path[r].dst +
                                              "' but '" + path[r + 1].key() + "' starts at '" + path[r + 1].src + "'");
      const EdgeType built{path.front().src, "metapath_" + std::to_string(p), path.back().dst};
      if (!kernel_info(c.kernel, source).generated && !keys.count(built.key()))
        throw LookupError(source, "edge_types", field + " builds edge type '" + built.key() +
                                                    "', which is not in edge_types (list the edge types after the metapaths are added)");
      c.metapaths.push_back(std::move(path));
    }
  }
};

namespace detail {

/// What one layer runs on: the (prepared) graph, the type embeddings (generated kernels), the neighbours
/// (walk kernels).
template <class T>
struct EncoderInput {
  const HeteroGraph<T>* graph = nullptr;
  const EmbeddingTable<T>* table = nullptr;
  const HetNeighbors* neighbors = nullptr;
};

/// Input width per node type of layer `l` of a static stack: the config's for layer 0, hidden_channels after.
inline std::map<std::string, Index> tokenizer_layer_widths(const TokenizerConfig& c, Index l, bool content) {
  std::map<std::string, Index> out;
  for (const auto& t : c.node_types) out[t] = l > 0 ? c.hidden_channels : content ? c.content_width(t) : c.in_width(t);
  return out;
}

/// One kernel in a Tokenizer: build a layer (zero weights when `w` is null, else loaded from `w` under `prefix`),
/// run it, and say which node types it gives an output. Adding a kernel: a specialisation, an alternative in
/// Tokenizer::Layer, a line in Tokenizer::make_layer and an entry in tokenizer_kernels().
template <class Conv>
struct TokenizerKernelOps;

template <class T>
struct TokenizerKernelOps<MetaHGTConv<T>> {
  static MetaHGTConv<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    const Index in = l == 0 ? c.in_channels : c.hidden_channels;
    const auto variant = c.variant == "inference" ? MetaHGTConv<T>::Variant::HiGPTInference : MetaHGTConv<T>::Variant::Pretrain;
    if (!w) return MetaHGTConv<T>(in, c.hidden_channels, c.heads, c.embedding_dim, variant);
    return MetaHGTConv<T>::load(*w, prefix, in, c.hidden_channels, c.heads, c.embedding_dim, variant);
  }
  static TypeMatrices<T> forward(const MetaHGTConv<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x, *in.table);
  }
  /// Reads the features of every node type of the graph (true), or only of those an edge type touches (false).
  static constexpr bool reads_every_type = false;
  /// Destinations of the graph's edge types.
  static bool gives_output(const TokenizerConfig&, const HeteroGraph<T>& g, Index t) {
    for (Index e = 0; e < g.num_edge_types(); ++e)
      if (g.dst_type_id(e) == t) return true;
    return false;
  }
};

template <class T>
struct TokenizerKernelOps<HGTConv<T>> {
  static HGTConv<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    auto in = tokenizer_layer_widths(c, l, false);
    if (!w) return HGTConv<T>(std::move(in), c.hidden_channels, c.heads, c.node_types, c.edge_types);
    return HGTConv<T>::load(*w, prefix, std::move(in), c.hidden_channels, c.heads, c.node_types, c.edge_types);
  }
  static TypeMatrices<T> forward(const HGTConv<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x);
  }
  static constexpr bool reads_every_type = true;
  /// Destinations of the layer's edge types whose two node types are in the graph (edges or not).
  static bool gives_output(const TokenizerConfig& c, const HeteroGraph<T>& g, Index t) {
    for (const auto& e : c.edge_types)
      if (e.dst == g.node_type_name(t) && g.has_node_type(e.src)) return true;
    return false;
  }
};

template <class T>
struct TokenizerKernelOps<HANConv<T>> {
  static HANConv<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    auto in = tokenizer_layer_widths(c, l, false);
    if (!w) return HANConv<T>(std::move(in), c.hidden_channels, c.heads, c.edge_types);
    return HANConv<T>::load(*w, prefix, std::move(in), c.hidden_channels, c.heads, c.edge_types);
  }
  static TypeMatrices<T> forward(const HANConv<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x);
  }
  static constexpr bool reads_every_type = false;
  static bool gives_output(const TokenizerConfig& c, const HeteroGraph<T>& g, Index t) {
    return TokenizerKernelOps<MetaHGTConv<T>>::gives_output(c, g, t);
  }
};

template <class T>
struct TokenizerKernelOps<MetaHANConv<T>> {
  static MetaHANConv<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    const Index in = l == 0 ? c.in_channels : c.hidden_channels;
    if (!w) return MetaHANConv<T>(in, c.hidden_channels, c.heads, c.embedding_dim);
    return MetaHANConv<T>::load(*w, prefix, in, c.hidden_channels, c.heads, c.embedding_dim);
  }
  static TypeMatrices<T> forward(const MetaHANConv<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x, *in.table);
  }
  static constexpr bool reads_every_type = false;
  static bool gives_output(const TokenizerConfig& c, const HeteroGraph<T>& g, Index t) {
    return TokenizerKernelOps<MetaHGTConv<T>>::gives_output(c, g, t);
  }
};

template <class T>
struct TokenizerKernelOps<HetGNN<T>> {
  static HetGNN<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    auto content = tokenizer_layer_widths(c, l, true);
    if (!w) return HetGNN<T>(std::move(content), c.hidden_channels);
    return HetGNN<T>::load(*w, prefix, std::move(content), c.hidden_channels);
  }
  static TypeMatrices<T> forward(const HetGNN<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x, *in.neighbors);
  }
  static constexpr bool reads_every_type = true;
  /// Every node type (a node with no sampled neighbour is its own content embedding).
  static bool gives_output(const TokenizerConfig&, const HeteroGraph<T>&, Index) { return true; }
};

template <class T>
struct TokenizerKernelOps<MetaHetGNN<T>> {
  static MetaHetGNN<T> make(const TokenizerConfig& c, Index l, const WeightStore* w, const std::string& prefix) {
    const Index content = l == 0 ? c.content_dim : c.hidden_channels;
    if (!w) return MetaHetGNN<T>(content, c.hidden_channels, c.embedding_dim);
    return MetaHetGNN<T>::load(*w, prefix, content, c.hidden_channels, c.embedding_dim);
  }
  static TypeMatrices<T> forward(const MetaHetGNN<T>& conv, const EncoderInput<T>& in, const TypeMatrices<T>& x) {
    return conv.forward(*in.graph, x, *in.neighbors, *in.table);
  }
  static constexpr bool reads_every_type = true;
  static bool gives_output(const TokenizerConfig&, const HeteroGraph<T>&, Index) { return true; }
};

}  // namespace detail

template <class T = float>
class Tokenizer {
 public:
  /// One encoder layer: the kernel config.kernel names (every layer of a stack has the same kernel).
  using Layer = std::variant<MetaHGTConv<T>, HGTConv<T>, HANConv<T>, MetaHANConv<T>, HetGNN<T>, MetaHetGNN<T>>;

  /// Builds from a config and a weight store (names as documented above); `source` names the weights in errors.
  Tokenizer(TokenizerConfig config, const WeightStore& weights) : config_(std::move(config)) {
    // One validation path (the config's source, when it has one, stays in its errors).
    config_ = TokenizerConfig::from_json(config_.to_json(), config_.source.empty() ? "TokenizerConfig" : config_.source);
    for (Index l = 0; l < config_.num_layers; ++l) layers_.push_back(make_layer(config_, l, &weights));
    projector_ = empty_projector(config_);
    projector_.load(weights, projector_prefix());
    // Every tensor of the file must be one the config uses.
    WeightStore used = WeightStore::shapes_only();  // names only: no second copy of the weights
    save_weights(used);
    for (const auto& name : weights.names())
      if (!used.contains(name))
        throw FormatError(weights.source(), name, "tensor '" + name + "' is not used by the config (kernel " + config_.kernel +
                                                      ", num_layers " + std::to_string(config_.num_layers) +
                                                      ", projector " + config_.projector + ")");
  }

  /// An UNTRAINED tokenizer: every weight drawn uniformly from ±1/√fan_in with Rng(seed) (fan_in = a tensor's
  /// last dimension; LayerNorm γ = 1, β = 0). Works for every kernel.
  static Tokenizer random(const TokenizerConfig& config, std::uint64_t seed) {
    TokenizerConfig c = TokenizerConfig::from_json(config.to_json(), config.source.empty() ? "TokenizerConfig" : config.source);
    // Shapes come from a zero-initialised model's own state_dict, so names and shapes cannot drift. One layer
    // at a time, so at most one layer's zero copy exists beside the drawn weights (HiGPT's layer is ~3.6 GB).
    WeightStore w;
    Rng rng(seed);
    auto draw = [&](const WeightStore& shapes) {
      for (const auto& name : shapes.names()) {
        const Shape shape = shapes.shape(name);
        Index n = 1;
        for (auto d : shape) n *= d;
        std::vector<T> v(static_cast<std::size_t>(n));
        const bool norm = name.find(".norm.") != std::string::npos;
        const bool gamma = norm && name.size() > 6 && name.compare(name.size() - 6, 6, "weight") == 0;
        const double scale = 1.0 / std::sqrt(static_cast<double>(shape.size() >= 2 ? shape.back() : shape[0]));
        for (auto& x : v) x = norm ? T(gamma ? 1 : 0) : static_cast<T>((2.0 * rng.uniform() - 1.0) * scale);
        w.add(name, shape, v.data());
      }
    };
    for (Index l = 0; l < c.num_layers; ++l) {
      WeightStore shapes = WeightStore::shapes_only();
      std::visit([&](const auto& layer) { layer.save(shapes, layer_prefix(l)); }, make_layer(c, l, nullptr));
      draw(shapes);
    }
    WeightStore shapes = WeightStore::shapes_only();
    empty_projector(c).save(shapes, c.projector == "linear" ? "graph_projector" : "projector");
    draw(shapes);
    return Tokenizer(std::move(c), w);
  }

  /// Loads config.json and weights.safetensors from `dir`.
  static Tokenizer load(const std::string& dir) {
    namespace fs = std::filesystem;
    const std::string config_path = (fs::path(dir) / "config.json").string();
    std::ifstream in(config_path);
    if (!in) throw IOError(config_path, "", "cannot open for reading");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw FormatError(config_path, "", std::string("not valid JSON: ") + e.what());
    }
    return Tokenizer(TokenizerConfig::from_json(j, config_path), WeightStore::load((fs::path(dir) / "weights.safetensors").string()));
  }

  /// Writes config.json and weights.safetensors into `dir` (created if needed; each file written atomically).
  void save(const std::string& dir) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IOError(dir, "", "cannot create directory: " + ec.message());
    WeightStore w;
    save_weights(w);
    w.save((fs::path(dir) / "weights.safetensors").string());
    const fs::path final_path = fs::path(dir) / "config.json", tmp = fs::path(dir) / "config.json.tmp";
    {
      std::ofstream out(tmp);
      if (!out) throw IOError(tmp.string(), "", "cannot open for writing");
      out << config_.to_json().dump(2) << '\n';
      if (!out) throw IOError(tmp.string(), "", "write failed");
    }
    fs::rename(tmp, final_path, ec);
    if (ec) throw IOError(final_path.string(), "", "cannot rename from " + tmp.string() + ": " + ec.message());
  }

  const TokenizerConfig& config() const { return config_; }
  /// The encoder layers (std::get<HGTConv<T>>(layers()[i]) etc.; every alternative has out_channels()).
  const std::vector<Layer>& layers() const { return layers_; }
  const LLMProjector<T>& projector() const { return projector_; }
  /// True when the kernel generates its weights from type embeddings (meta_hgt, meta_han, meta_hetgnn): encode and
  /// tokenize then need an EmbeddingTable.
  bool needs_table() const { return config_.kernel_info().generated; }

  /// The encoder's output per node type (after every layer), before the LLM projector. Static kernels ignore
  /// `table`.
  TypeMatrices<T> encode(const HeteroGraph<T>& g, const EmbeddingTable<T>& table) const {
    Prepared p;
    prepare(g, p);
    return run_layers(p, &table);
  }
  /// As encode(g, table), for static kernels (hgt, han, hetgnn); a generated kernel throws ValueError.
  TypeMatrices<T> encode(const HeteroGraph<T>& g) const {
    require_static();
    Prepared p;
    prepare(g, p);
    return run_layers(p, nullptr);
  }

  /// Graph tokens of `g`. Linear projector: one row per node of each type in `type_order`, spans in that
  /// order. MlpPrefix: k rows from the mean of those nodes' encodings, one span "prefix" (type_id -1,
  /// node ids -1). A type unknown to the graph, listed twice, or that the last layer produces no output for
  /// (HGT / MetaHGT / HAN: it receives no edge type), is a LookupError / ValueError. `original_ids` (per type)
  /// replaces the local ids in node_ids, e.g. Subgraph::original_ids. Static kernels ignore `table`.
  GraphTokens<T> tokenize(const HeteroGraph<T>& g, const EmbeddingTable<T>& table, const std::vector<std::string>& type_order,
                          const std::map<std::string, std::vector<Index>>* original_ids = nullptr) const {
    return tokenize_impl(g, &table, type_order, original_ids);
  }
  /// As tokenize(g, table, ...), for static kernels (hgt, han, hetgnn); a generated kernel throws ValueError.
  GraphTokens<T> tokenize(const HeteroGraph<T>& g, const std::vector<std::string>& type_order,
                          const std::map<std::string, std::vector<Index>>* original_ids = nullptr) const {
    require_static();
    return tokenize_impl(g, nullptr, type_order, original_ids);
  }

  /// Graph tokens of a sampled subgraph, node ids mapped back to the original graph.
  GraphTokens<T> tokenize(const Subgraph<T>& s, const EmbeddingTable<T>& table, const std::vector<std::string>& type_order) const {
    return tokenize(s.graph, table, type_order, &s.original_ids);
  }
  /// As tokenize(s, table, type_order), for static kernels.
  GraphTokens<T> tokenize(const Subgraph<T>& s, const std::vector<std::string>& type_order) const {
    return tokenize(s.graph, type_order, &s.original_ids);
  }

  /// Graph tokens of many sampled subgraphs: element i is bitwise equal to tokenize(*subs[i], table, type_order).
  /// When no result can depend on which rows share a product, the subgraphs run as one disjoint union, so each
  /// weight is read from memory once for all of them instead of once per subgraph (at HiGPT's size a 14-node
  /// subgraph otherwise streams ~40 MB of weights). That holds for float on a CPU where hgtok's GEMM kernel runs
  /// (nn/gemm.hpp), kernels hgt and meta_hgt, the linear projector, and feature, hidden, head and LLM widths that
  /// are multiples of 16 (every row then starts at the same alignment, so Eigen's element-wise and row-wise code
  /// takes the same path for it). Otherwise, and whenever the union cannot be formed (subgraphs with different
  /// type lists, or any error), they run one by one. With `errors` (resized to subs.size()), a subgraph's error
  /// goes to errors[i] (its tokens stay empty) and the others are still tokenized; without it, the first error
  /// is thrown. Static kernels ignore `table`.
  std::vector<GraphTokens<T>> tokenize_many(const std::vector<const Subgraph<T>*>& subs, const EmbeddingTable<T>& table,
                                            const std::vector<std::string>& type_order,
                                            std::vector<std::string>* errors = nullptr) const {
    return tokenize_many_impl(subs, &table, type_order, errors);
  }
  /// As tokenize_many(subs, table, type_order, errors), with the token rows of every subgraph that succeeds
  /// written to `rows` instead of its own tensor: one after another, subgraphs in order, [sum of their rows ×
  /// llm_dim] row-major. `rows` is resized to that (its capacity is reused; only growth is zero-filled before it
  /// is overwritten). Each returned GraphTokens keeps its spans and node_ids (one id per row, so element i's rows
  /// are node_ids.size()) and an empty `tokens`. For a caller that lays many subgraphs' tokens out in one buffer
  /// (tokenize_batch): every token is copied once less. The rows are bitwise those of tokenize_many.
  std::vector<GraphTokens<T>> tokenize_many_into(const std::vector<const Subgraph<T>*>& subs, const EmbeddingTable<T>& table,
                                                 const std::vector<std::string>& type_order, std::vector<T>& rows,
                                                 std::vector<std::string>* errors = nullptr) const {
    return tokenize_many_impl(subs, &table, type_order, errors, &rows);
  }
  /// As tokenize_many_into(subs, table, ...), for static kernels.
  std::vector<GraphTokens<T>> tokenize_many_into(const std::vector<const Subgraph<T>*>& subs, const std::vector<std::string>& type_order,
                                                 std::vector<T>& rows, std::vector<std::string>* errors = nullptr) const {
    require_static();
    return tokenize_many_impl(subs, nullptr, type_order, errors, &rows);
  }
  /// As tokenize_many(subs, table, ...), for static kernels (hgt, han, hetgnn).
  std::vector<GraphTokens<T>> tokenize_many(const std::vector<const Subgraph<T>*>& subs,
                                            const std::vector<std::string>& type_order,
                                            std::vector<std::string>* errors = nullptr) const {
    require_static();
    return tokenize_many_impl(subs, nullptr, type_order, errors);
  }
  /// Whether tokenize_many runs subgraphs as one union with this tokenizer (see there).
  bool tokenizes_as_union() const {
    if (!detail::gemm_uses_kernel<T>()) return false;
    if (config_.kernel != "meta_hgt" && config_.kernel != "hgt") return false;
    if (config_.projector != "linear" || !config_.metapaths.empty()) return false;
    auto aligned = [](Index w) { return w > 0 && w % 16 == 0; };
    if (!aligned(config_.hidden_channels) || !aligned(config_.llm_dim) || config_.heads <= 0 ||
        config_.hidden_channels % config_.heads != 0 || !aligned(config_.hidden_channels / config_.heads))
      return false;
    if (config_.in_channels_by_type.empty()) return aligned(config_.in_channels);
    for (const auto& [type, width] : config_.in_channels_by_type)
      if (!aligned(width)) return false;
    return true;
  }

 private:
  /// The graph the layers run on (g itself, or its metapath transform) and the sampled neighbours. Filled in
  /// place by prepare() (graph may point at transformed), so neither copied nor moved.
  struct Prepared {
    Prepared() = default;
    Prepared(const Prepared&) = delete;
    Prepared& operator=(const Prepared&) = delete;
    const HeteroGraph<T>* graph = nullptr;
    HeteroGraph<T> transformed;
    HetNeighbors neighbors;
  };

  static std::string layer_prefix(Index l) { return "layers." + std::to_string(l) + "."; }
  std::string projector_prefix() const { return config_.projector == "linear" ? "graph_projector" : "projector"; }
  std::string source() const { return config_.source.empty() ? "TokenizerConfig" : config_.source; }
  static LLMProjector<T> empty_projector(const TokenizerConfig& c) {
    return c.projector == "linear" ? LLMProjector<T>::linear(c.hidden_channels, c.llm_dim)
                                   : LLMProjector<T>::mlp_prefix(c.hidden_channels, c.llm_dim, c.num_prefix_tokens);
  }
  void save_weights(WeightStore& w) const {
    for (std::size_t l = 0; l < layers_.size(); ++l)
      std::visit([&](const auto& layer) { layer.save(w, layer_prefix(static_cast<Index>(l))); }, layers_[l]);
    projector_.save(w, projector_prefix());
  }

  /// Layer l of config c's kernel: zero weights when `w` is null, else loaded from w under layers.<l>.
  static Layer make_layer(const TokenizerConfig& c, Index l, const WeightStore* w) {
    const std::string prefix = layer_prefix(l);
    if (c.kernel == "meta_hgt") return detail::TokenizerKernelOps<MetaHGTConv<T>>::make(c, l, w, prefix);
    if (c.kernel == "hgt") return detail::TokenizerKernelOps<HGTConv<T>>::make(c, l, w, prefix);
    if (c.kernel == "han") return detail::TokenizerKernelOps<HANConv<T>>::make(c, l, w, prefix);
    if (c.kernel == "meta_han") return detail::TokenizerKernelOps<MetaHANConv<T>>::make(c, l, w, prefix);
    if (c.kernel == "hetgnn") return detail::TokenizerKernelOps<HetGNN<T>>::make(c, l, w, prefix);
    if (c.kernel == "meta_hetgnn") return detail::TokenizerKernelOps<MetaHetGNN<T>>::make(c, l, w, prefix);
    throw ValueError(c.source, "kernel", "unknown kernel '" + c.kernel + "' (a Tokenizer composes: " + detail::tokenizer_kernel_names() + ")");
  }

  void require_static() const {
    if (needs_table())
      throw ValueError(source(), "kernel", "kernel " + config_.kernel +
                                               " generates its weights from type embeddings: pass an EmbeddingTable to encode / tokenize");
  }

  /// Checks g against the config, applies the metapaths (han, meta_han) and samples the neighbours (hetgnn, meta_hetgnn).
  void prepare(const HeteroGraph<T>& g, Prepared& p) const {
    const TokenizerKernel& k = config_.kernel_info();
    p.graph = &g;
    if (!config_.metapaths.empty()) {
      for (std::size_t j = 0; j < config_.metapaths.size(); ++j)
        for (const auto& e : config_.metapaths[j])
          if (!g.has_edge_type(e))
            throw LookupError(source(), "metapaths[" + std::to_string(j) + "]", "edge type '" + e.key() + "' is not in the graph");
      p.transformed = add_metapaths(g, config_.metapaths, true, config_.keep_same_node_type, config_.drop_unconnected_node_types);
      p.graph = &p.transformed;
    }
    const HeteroGraph<T>& h = *p.graph;
    if (!k.generated) {  // the graph's types must be the layer's
      const std::set<std::string> types(config_.node_types.begin(), config_.node_types.end());
      std::set<std::string> keys;
      for (const auto& e : config_.edge_types) keys.insert(e.key());
      for (const auto& t : h.node_types())
        if (!types.count(t))
          throw LookupError(source(), "node_types", "the graph's node type '" + t + "' is not one of the config's node_types");
      for (const auto& e : h.edge_types())
        if (!keys.count(e.key()))
          throw LookupError(source(), "edge_types",
                            "the graph's edge type '" + e.key() + "' is not one of the config's edge_types" +
                                (config_.metapaths.empty() ? "" : " (after the metapaths are added)"));
    }
    for (Index t = 0; t < h.num_node_types(); ++t) {
      const std::string& name = h.node_type_name(t);
      const Index width = h.x(t).cols();
      if (k.walks) {
        const Index c = config_.content_width(name);
        if (width < c || width % c != 0)
          throw ShapeError("Tokenizer", "x/" + name,
                           "feature width " + std::to_string(width) + " is not a positive multiple of the tokenizer's content_dim " +
                               std::to_string(c) + " (" + source() + ")");
      } else if (width != config_.in_width(name)) {
        throw ShapeError("Tokenizer", "x/" + name,
                         "feature width " + std::to_string(width) + ", the tokenizer's in_channels is " +
                             std::to_string(config_.in_width(name)));
      }
    }
    if (k.walks) {
      std::map<std::string, Index> top_k;  // types the graph holds (a subgraph may lack some)
      for (const auto& t : h.node_types())
        if (Index kt = config_.top_k_by_type.empty() ? config_.top_k : (config_.top_k_by_type.count(t) ? config_.top_k_by_type.at(t) : 0))
          top_k[t] = kt;
      p.neighbors = RandomWalkWithRestart(config_.restart_prob, config_.walk_length, top_k, config_.seed).sample(h);
    }
  }

  TypeMatrices<T> run_layers(const Prepared& p, const EmbeddingTable<T>* table) const {
    const detail::EncoderInput<T> in{p.graph, table, &p.neighbors};
    TypeMatrices<T> x;
    for (Index t = 0; t < p.graph->num_node_types(); ++t) x[p.graph->node_type_name(t)] = p.graph->x(t);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      if (l > 0) check_stack_input(*p.graph, x, l);
      x = std::visit([&](const auto& conv) {
            return detail::TokenizerKernelOps<std::decay_t<decltype(conv)>>::forward(conv, in, x);
          }, layers_[l]);
    }
    return x;
  }

  /// Layer l (≥ 1) reads layer l-1's outputs: every node type it reads must have one.
  void check_stack_input(const HeteroGraph<T>& g, const TypeMatrices<T>& x, std::size_t l) const {
    const bool every = std::visit([](const auto& conv) {
      return detail::TokenizerKernelOps<std::decay_t<decltype(conv)>>::reads_every_type;
    }, layers_[l]);
    std::set<Index> read;
    for (Index t = 0; t < g.num_node_types(); ++t)
      if (every) read.insert(t);
    for (Index e = 0; e < g.num_edge_types(); ++e) {
      read.insert(g.src_type_id(e));
      read.insert(g.dst_type_id(e));
    }
    for (Index t : read)
      if (!x.count(g.node_type_name(t)))
        throw LookupError("Tokenizer", "num_layers",
                          "layer " + std::to_string(l) + " reads node type '" + g.node_type_name(t) + "', but layer " +
                              std::to_string(l - 1) + " gives it no output (it receives no edge type); a stack of " +
                              std::to_string(layers_.size()) + " layers needs every such type to receive one (" + source() + ")");
  }

  bool gives_output(const HeteroGraph<T>& g, Index t) const {
    return std::visit([&](const auto& conv) {
      return detail::TokenizerKernelOps<std::decay_t<decltype(conv)>>::gives_output(config_, g, t);
    }, layers_.back());
  }

  std::vector<GraphTokens<T>> tokenize_many_impl(const std::vector<const Subgraph<T>*>& subs, const EmbeddingTable<T>* table,
                                                 const std::vector<std::string>& type_order,
                                                 std::vector<std::string>* errors, std::vector<T>* into = nullptr) const {
    const std::size_t n = subs.size();
    if (errors) errors->assign(n, std::string());
    std::vector<GraphTokens<T>> out(n);
    if (n > 1 && tokenizes_as_union()) {
      try {
        out = tokenize_union(subs, table, type_order, into);
        return out;
      } catch (const std::exception&) {  // one by one below names the subgraph at fault
        out.assign(n, GraphTokens<T>());
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      try {
        if (!subs[i]) throw ValueError("Tokenizer", "subs[" + std::to_string(i) + "]", "is null");
        out[i] = tokenize_impl(subs[i]->graph, table, type_order, &subs[i]->original_ids);
      } catch (const std::exception& e) {
        if (!errors) throw;
        (*errors)[i] = e.what();
      }
    }
    if (into) {  // gather the rows of those that succeeded, in order; their own tensors are dropped
      // (a failed subgraph's default tensor is a 0-d scalar of one value: it has no rows)
      const auto values = [](const GraphTokens<T>& r) { return r.tokens.dimension() == 2 ? r.tokens.size() : std::size_t(0); };
      std::size_t total = 0;
      for (const auto& r : out) total += values(r);
      into->resize(total);
      std::size_t at = 0;
      for (auto& r : out) {
        std::copy(r.tokens.data(), r.tokens.data() + values(r), into->data() + at);
        at += values(r);
        r.tokens = xt::xarray<T>();
      }
    }
    return out;
  }

  /// tokenize_many's union path: throws when the subgraphs cannot form one (the caller then goes one by one).
  std::vector<GraphTokens<T>> tokenize_union(const std::vector<const Subgraph<T>*>& subs, const EmbeddingTable<T>* table,
                                             const std::vector<std::string>& type_order, std::vector<T>* into) const {
    const std::size_t n = subs.size();
    for (const auto* s : subs)
      if (!s) throw ValueError("Tokenizer", "subs", "holds a null subgraph");
    const HeteroGraph<T>& first = subs[0]->graph;
    const auto names = first.node_types();
    const auto etypes = first.edge_types();
    // offsets[t][i]: the first row of subgraph i's nodes of type t in the union.
    std::vector<std::vector<Index>> offsets(names.size(), std::vector<Index>(n + 1, 0));
    for (std::size_t i = 0; i < n; ++i) {
      const HeteroGraph<T>& g = subs[i]->graph;
      if (g.node_types() != names || g.edge_types() != etypes)
        throw ValueError("Tokenizer", "subs", "subgraphs with different node or edge types");
      for (std::size_t t = 0; t < names.size(); ++t) {
        const Index id = static_cast<Index>(t);
        if (g.x(id).cols() != first.x(id).cols()) throw ShapeError("Tokenizer", "subs", "feature widths differ");
        offsets[t][i + 1] = offsets[t][i] + g.num_nodes(id);
      }
      for (const auto& type : type_order) {
        auto it = subs[i]->original_ids.find(type);
        if (!g.has_node_type(type) || it == subs[i]->original_ids.end() ||
            static_cast<Index>(it->second.size()) != g.num_nodes(type))
          throw ValueError("Tokenizer", "original_ids", "missing or of the wrong size");
      }
    }
    HeteroGraph<T> u;
    for (std::size_t t = 0; t < names.size(); ++t) {
      const Index id = static_cast<Index>(t);
      Matrix<T> x(offsets[t][n], first.x(id).cols());
      for (std::size_t i = 0; i < n; ++i)
        x.middleRows(offsets[t][i], offsets[t][i + 1] - offsets[t][i]) = subs[i]->graph.x(id);
      u.add_node_type(names[t], offsets[t][n], std::move(x));
    }
    for (std::size_t e = 0; e < etypes.size(); ++e) {
      const Index id = static_cast<Index>(e);
      const auto s_type = static_cast<std::size_t>(first.src_type_id(id)), d_type = static_cast<std::size_t>(first.dst_type_id(id));
      std::vector<Index> src, dst;
      for (std::size_t i = 0; i < n; ++i) {
        const HeteroGraph<T>& g = subs[i]->graph;
        for (Index v : g.edge_src(id)) src.push_back(v + offsets[s_type][i]);
        for (Index v : g.edge_dst(id)) dst.push_back(v + offsets[d_type][i]);
      }
      u.add_edge_type(etypes[e], src.data(), dst.data(), static_cast<Index>(src.size()));
    }
    const GraphTokens<T> all = tokenize_impl(u, table, type_order, nullptr);
    const Index d = config_.llm_dim;
    if (into) into->resize(all.tokens.size());  // every subgraph's rows, subgraph after subgraph
    Index into_row = 0;                          // the first row of subgraph i there
    std::vector<GraphTokens<T>> out(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Subgraph<T>& s = *subs[i];
      GraphTokens<T>& r = out[i];
      Index rows = 0;
      for (const auto& span : all.spans) {
        const Index count = s.graph.num_nodes(span.type);
        r.spans.push_back({span.type, span.type_id, rows, count});
        rows += count;
      }
      T* dest = nullptr;
      if (into) {
        dest = into->data() + into_row * d;
        into_row += rows;
      } else {
        r.tokens = xt::xarray<T>::from_shape({static_cast<std::size_t>(rows), static_cast<std::size_t>(d)});
        dest = r.tokens.data();
      }
      for (std::size_t k = 0; k < all.spans.size(); ++k) {
        const auto& span = all.spans[k];
        const auto t = static_cast<std::size_t>(first.node_type_id(span.type));
        const T* from = all.tokens.data() + (span.offset + offsets[t][i]) * d;
        std::copy(from, from + r.spans[k].count * d, dest + r.spans[k].offset * d);
        const auto& ids = s.original_ids.at(span.type);
        r.node_ids.insert(r.node_ids.end(), ids.begin(), ids.end());
      }
    }
    return out;
  }

  GraphTokens<T> tokenize_impl(const HeteroGraph<T>& g, const EmbeddingTable<T>* table, const std::vector<std::string>& type_order,
                               const std::map<std::string, std::vector<Index>>* original_ids) const {
    if (type_order.empty()) throw ValueError("Tokenizer", "type_order", "is empty: no node type to tokenize");
    Prepared p;
    prepare(g, p);
    const HeteroGraph<T>& h = *p.graph;
    std::set<std::string> seen;
    for (const auto& type : type_order) {
      g.node_type_id(type);  // LookupError naming an unknown type
      if (!h.has_node_type(type))
        throw LookupError("Tokenizer", "type_order", "node type '" + type + "' is dropped by drop_unconnected_node_types (" +
                                                         source() + "), so the encoder gives it no output");
      if (!gives_output(h, h.node_type_id(type)))
        throw LookupError("Tokenizer", "type_order", "node type '" + type + "' receives no edge type, so the encoder gives it no output");
      if (!seen.insert(type).second) throw ValueError("Tokenizer", "type_order", "node type '" + type + "' is listed twice");
    }
    const TypeMatrices<T> x = run_layers(p, table);
    GraphTokens<T> out;
    Index rows = 0;
    std::vector<const Matrix<T>*> blocks;
    for (const auto& type : type_order) {
      auto it = x.find(type);
      if (it == x.end())
        throw LookupError("Tokenizer", "type_order", "node type '" + type + "' receives no edge type, so the encoder gives it no output");
      out.spans.push_back({type, g.node_type_id(type), rows, it->second.rows()});
      blocks.push_back(&it->second);
      rows += it->second.rows();
    }
    if (original_ids)
      for (const auto& type : type_order) {
        auto it = original_ids->find(type);
        if (it == original_ids->end() || static_cast<Index>(it->second.size()) != g.num_nodes(type))
          throw ValueError("Tokenizer", "original_ids", "no mapping of " + std::to_string(g.num_nodes(type)) +
                                                            " ids for node type '" + type + "'");
      }
    const Index d = config_.llm_dim;
    if (projector_.kind() == LLMProjector<T>::Kind::Linear) {
      out.tokens = xt::xarray<T>::from_shape({static_cast<std::size_t>(rows), static_cast<std::size_t>(d)});
      MatrixMap<T> tokens(out.tokens.data(), rows, d);
      for (std::size_t s = 0; s < out.spans.size(); ++s) {
        const auto& span = out.spans[s];
        projector_.forward_rows_into(*blocks[s], tokens.middleRows(span.offset, span.count));
        for (Index i = 0; i < span.count; ++i)
          out.node_ids.push_back(original_ids ? original_ids->at(span.type)[static_cast<std::size_t>(i)] : i);
      }
      return out;
    }
    if (rows == 0) throw ValueError("Tokenizer", "type_order", "the requested node types hold no node: nothing to pool");
    RowVector<T> pooled = RowVector<T>::Zero(config_.hidden_channels);
    for (const auto* b : blocks) pooled += b->colwise().sum();  // fixed order: types in type_order, rows in order
    pooled /= static_cast<T>(rows);
    const Index k = projector_.num_tokens();
    out.tokens = xt::xarray<T>::from_shape({static_cast<std::size_t>(k), static_cast<std::size_t>(d)});
    MatrixMap<T> tokens(out.tokens.data(), k, d);
    projector_.forward_prefix_into(pooled, tokens);
    out.spans = {{"prefix", -1, 0, k}};
    out.node_ids.assign(static_cast<std::size_t>(k), -1);
    return out;
  }

  TokenizerConfig config_;
  std::vector<Layer> layers_;
  LLMProjector<T> projector_;
};

}  // namespace hgtok
